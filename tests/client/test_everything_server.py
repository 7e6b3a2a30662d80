"""The client against examples/everything_server.py (the high-level server API):
in memory, as a stdio subprocess, and over Streamable HTTP."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from mcp_sync.client import Client
from mcp_sync.errors import McpError
from mcp_sync.types import (
    AudioContent,
    BlobResourceContents,
    CreateMessageResult,
    ElicitResult,
    EmbeddedResource,
    ImageContent,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
)
from tests.client.conftest import ROOT, Recorder

EXAMPLE = ROOT / "examples" / "everything_server.py"


def load_example():
    spec = importlib.util.spec_from_file_location("everything_server_for_client_tests", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example():
    return load_example()


@pytest.fixture(params=["memory", "stdio", "http"])
def everything(request, example):
    """``everything(**client_kwargs)`` -> an open client to the everything server."""
    clients: list[Client] = []
    handles: list = []

    def make(**kwargs) -> Client:
        if request.param == "memory":
            client = Client.connect(example.server, **kwargs)
        elif request.param == "stdio":
            client = Client.stdio([sys.executable, str(EXAMPLE), "--stdio"], cwd=ROOT, stderr=None, **kwargs)
        else:
            handle = example.server.start_http()
            handles.append(handle)
            client = Client.http(handle.url, **kwargs)
        clients.append(client)
        return client.open()

    yield make
    for client in clients:
        client.close()
    for handle in handles:
        handle.stop()


def text_of(result) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


def test_handshake_and_listing(everything):
    client = everything()
    assert client.server_info.name == "mcp-sync-everything"
    assert client.server_info.title == "mcp_sync everything server"
    assert client.instructions.startswith("A test server")
    tools = {t.name: t for t in client.list_tools()}
    assert {"test_simple_text", "test_sampling", "test_elicitation_sep1034_defaults"} <= set(tools)
    schema = tools["json_schema_2020_12_tool"].input_schema
    assert schema["$defs"]["address"]["$anchor"] == "addressDef" and schema["else"] == {"required": ["email"]}


def test_content_types(everything):
    client = everything()
    assert text_of(client.call_tool("test_simple_text")) == "This is a simple text response for testing."
    image = client.call_tool("test_image_content").content[0]
    assert isinstance(image, ImageContent) and image.mime_type == "image/png"
    audio = client.call_tool("test_audio_content").content[0]
    assert isinstance(audio, AudioContent) and audio.mime_type == "audio/wav"
    embedded = client.call_tool("test_embedded_resource").content[0]
    assert isinstance(embedded, EmbeddedResource)
    assert embedded.resource.text == "This is an embedded resource content."
    mixed = client.call_tool("test_multiple_content_types").content
    assert [type(block) for block in mixed] == [TextContent, ImageContent, EmbeddedResource]
    failed = client.call_tool("test_error_handling")
    assert failed.is_error and "intentionally returns an error" in text_of(failed)


def test_logging_and_progress_arrive_before_the_call_returns(everything):
    logs = Recorder()
    client = everything(on_log=logs)
    client.set_log_level("debug")
    assert text_of(client.call_tool("test_tool_with_logging")) == "Tool with logging executed successfully"
    assert [(m.level, m.data) for m in logs.calls] == [
        ("info", "Tool execution started"), ("info", "Tool processing data"), ("info", "Tool execution completed")]
    steps = []
    client.call_tool("test_tool_with_progress", progress=lambda p, total, message: steps.append((p, total)))
    assert steps == [(0, 100), (50, 100), (100, 100)]


def test_sampling_through_the_context_api(everything):
    asked = []

    def model(params):
        asked.append(params.messages[0].content.text)
        return CreateMessageResult(role="assistant", content=TextContent(text="Paris"), model="fake-llm")

    client = everything(sampling=model)
    assert text_of(client.call_tool("test_sampling", {"prompt": "Capital of France?"})) == "LLM response: Paris"
    assert asked == ["Capital of France?"]


def test_elicitation_through_the_context_api(everything):
    client = everything(elicitation=lambda p: ElicitResult(action="accept",
                                                           content={"username": "ada", "email": "ada@example.com"}))
    result = text_of(client.call_tool("test_elicitation", {"message": "Who are you?"}))
    assert result == 'User response: action=accept, content={"username": "ada", "email": "ada@example.com"}'


def test_sep1034_defaults_reach_the_server(everything):
    client = everything(elicitation=lambda p: ElicitResult(action="accept", content={"age": 41}))
    result = text_of(client.call_tool("test_elicitation_sep1034_defaults"))
    assert result == ('Elicitation completed: action=accept, content={"name": "John Doe", "age": 41, '
                      '"score": 95.5, "status": "active", "verified": true}')


def test_without_handlers_the_server_is_told_no(everything):
    client = everything()
    with pytest.raises(McpError) as info:  # the server's Context refuses before asking: -32021, as in 2026-07-28
        client.call_tool("test_sampling", {"prompt": "x"})
    assert info.value.code == -32021 and info.value.data == {"requiredCapabilities": {"sampling": {}}}


def test_resources_prompts_completion(everything):
    client = everything()
    uris = {r.uri for r in client.list_resources()}
    assert {"test://static-text", "test://static-binary", "test://watched-resource"} <= uris
    assert client.read_resource("test://static-text").contents[0].text == \
        "This is the content of the static text resource."
    blob = client.read_resource("test://static-binary").contents[0]
    assert isinstance(blob, BlobResourceContents) and blob.mime_type == "image/png"
    templates = client.list_resource_templates()
    assert [t.uri_template for t in templates] == ["test://template/{id}/data"]
    assert '"id": "7"' in client.read_resource("test://template/7/data").contents[0].text
    assert client.subscribe_resource("test://watched-resource") is None
    assert client.unsubscribe_resource("test://watched-resource") is None

    prompt = client.get_prompt("test_prompt_with_arguments", {"arg1": "a", "arg2": "b"})
    assert prompt.messages[0].content.text == "Prompt with arguments: arg1='a', arg2='b'"
    embedded = client.get_prompt("test_prompt_with_embedded_resource", {"resourceUri": "test://x"})
    assert isinstance(embedded.messages[0].content, EmbeddedResource)
    assert client.complete(PromptReference(name="test_prompt_with_arguments"), "arg1", "pa").completion.values == \
        ["paris", "park", "party"]
    assert client.complete(ResourceTemplateReference(uri="test://template/{id}/data"), "id", "12") \
        .completion.values == [str(n) for n in range(120, 130)]
    assert client.ping() is None


def test_resource_updates_after_subscribing(example):
    updated = Recorder()
    with Client.connect(example.server, on_resource_updated=updated) as client:
        client.subscribe_resource("test://watched-resource")
        assert example.server.notify_resource_updated("test://watched-resource") == 1
        assert updated.wait(1) == ["test://watched-resource"]
        client.unsubscribe_resource("test://watched-resource")
        assert example.server.notify_resource_updated("test://watched-resource") == 0
