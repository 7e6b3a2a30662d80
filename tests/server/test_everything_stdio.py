"""examples/everything_server.py over a real stdio pipe: every conformance fixture, schema-checked."""

from __future__ import annotations

import base64
import json

import pytest

from mcp_sync import McpError
from mcp_sync.types import to_wire
from tests.server.support import Collector, everything_stdio

TOOLS = ["test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
         "test_multiple_content_types", "test_error_handling", "test_tool_with_logging", "test_tool_with_progress",
         "test_reconnection", "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults",
         "test_elicitation_sep1330_enums", "json_schema_2020_12_tool",
         # 2026-07-28 fixtures (stateless wire; they work in legacy sessions too)
         "test_missing_capability", "test_streaming_elicitation", "test_logging_tool", "test_trigger_tool_change",
         "test_trigger_prompt_change", "test_x_mcp_header", "test_input_required_result_elicitation",
         "test_input_required_result_sampling", "test_input_required_result_list_roots",
         "test_input_required_result_request_state", "test_input_required_result_multiple_inputs",
         "test_input_required_result_multi_round", "test_input_required_result_tampered_state",
         "test_input_required_result_capabilities",
         # tasks extension fixtures (task tools also take part in 2025-11-25 task-augmented calls)
         "greet", "slow_compute", "failing_job", "protocol_error_job", "confirm_delete", "multi_input",
         "test_tool_with_task"]


def sampling(params):
    return {"role": "assistant", "content": {"type": "text", "text": "This is a test response from the client"},
            "model": "test-model", "stopReason": "endTurn"}


def elicitation(params):
    elicitation.seen.append(to_wire(params))
    properties = to_wire(params)["requestedSchema"]["properties"]
    if "username" in properties:
        return {"action": "accept", "content": {"username": "testuser", "email": "test@example.com"}}
    if "verified" in properties:
        return {"action": "accept", "content": {"name": "Jane Smith", "age": 25, "score": 88,
                                                "status": "inactive", "verified": False}}
    return {"action": "accept", "content": {"untitledSingle": "option1", "titledSingle": "value1",
                                            "legacyEnum": "opt1", "untitledMulti": ["option1", "option2"],
                                            "titledMulti": ["value1", "value2"]}}


elicitation.seen = []  # type: ignore[attr-defined]


@pytest.fixture
def client():
    elicitation.seen.clear()
    logs = Collector()
    with everything_stdio(sampling=sampling, elicitation=elicitation, on_log=logs) as client:
        client.logs = logs
        yield client


def test_lists_and_capabilities(client):
    caps = to_wire(client.server_capabilities)
    assert caps == {"tools": {"listChanged": True}, "prompts": {"listChanged": True},
                    "resources": {"subscribe": True, "listChanged": True}, "completions": {}, "logging": {},
                    "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
                    "extensions": {"io.modelcontextprotocol/skills": {"directoryRead": True}}}
    tools = client.request("tools/list", {})["tools"]
    assert [t["name"] for t in tools] == TOOLS
    assert all(t.get("description") for t in tools)
    schema = next(t for t in tools if t["name"] == "json_schema_2020_12_tool")["inputSchema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$defs"]["address"]["$anchor"] == "addressDef" and schema["additionalProperties"] is False
    assert set(schema) >= {"allOf", "if", "then", "else"}
    assert [r["uri"] for r in client.request("resources/list", {})["resources"]] == [
        "test://static-text", "test://static-binary", "test://watched-resource",
        "skill://pdf-processing/SKILL.md", "skill://pdf-processing/references/FORMS.md",
        "skill://pdf-processing/scripts/extract.py", "skill://writing/commit-messages/SKILL.md"]
    assert client.request("resources/templates/list", {})["resourceTemplates"][0]["uriTemplate"] == \
        "test://template/{id}/data"
    prompts = client.request("prompts/list", {})["prompts"]
    assert [p["name"] for p in prompts] == ["test_simple_prompt", "test_prompt_with_arguments",
                                            "test_prompt_with_embedded_resource", "test_prompt_with_image",
                                            "test_input_required_result_prompt"]
    assert all(p.get("description") for p in prompts)


def test_content_tools(client):
    simple = client.request("tools/call", {"name": "test_simple_text"})
    assert simple["content"] == [{"type": "text", "text": "This is a simple text response for testing."}]
    assert simple.get("structuredContent") in (None, {"result": "This is a simple text response for testing."})
    image = client.request("tools/call", {"name": "test_image_content", "arguments": {}})["content"][0]
    assert image["mimeType"] == "image/png" and base64.b64decode(image["data"]).startswith(b"\x89PNG")
    audio = client.request("tools/call", {"name": "test_audio_content", "arguments": {}})["content"][0]
    assert audio["mimeType"] == "audio/wav" and base64.b64decode(audio["data"]).startswith(b"RIFF")
    embedded = client.request("tools/call", {"name": "test_embedded_resource"})["content"][0]
    assert embedded == {"type": "resource", "resource": {"uri": "test://embedded-resource", "mimeType": "text/plain",
                                                         "text": "This is an embedded resource content."}}
    mixed = client.request("tools/call", {"name": "test_multiple_content_types"})["content"]
    assert [b["type"] for b in mixed] == ["text", "image", "resource"]
    assert json.loads(mixed[2]["resource"]["text"]) == {"test": "data", "value": 123}
    error = client.request("tools/call", {"name": "test_error_handling"})
    assert error["isError"] is True and error["content"][0]["text"] == \
        "RuntimeError: This tool intentionally returns an error for testing"
    assert client.call_tool("test_reconnection", {}).content[0].text == "Reconnection test completed"


def test_logging_and_progress(client):
    client.set_log_level("debug")
    client.call_tool("test_tool_with_logging", {})
    logs = client.logs.wait(3)
    assert [m.data for m in logs] == ["Tool execution started", "Tool processing data", "Tool execution completed"]
    assert {m.level for m in logs} == {"info"}
    progress = Collector()
    client.call_tool("test_tool_with_progress", {}, progress=progress)
    assert progress.wait(3) == [(0, 100, None), (50, 100, None), (100, 100, None)]


def test_sampling_and_elicitation(client):
    assert client.call_tool("test_sampling", {"prompt": "Test prompt"}).content[0].text == \
        "LLM response: This is a test response from the client"
    answer = client.call_tool("test_elicitation", {"message": "Who are you?"}).content[0].text
    assert answer == 'User response: action=accept, content={"username": "testuser", "email": "test@example.com"}'
    defaults = client.call_tool("test_elicitation_sep1034_defaults", {}).content[0].text
    assert defaults.startswith("Elicitation completed: action=accept, content={\"name\": \"Jane Smith\"")
    enums = client.call_tool("test_elicitation_sep1330_enums", {})
    assert not enums.is_error and "titledMulti" in enums.content[0].text
    properties = elicitation.seen[1]["requestedSchema"]["properties"]
    assert properties["name"] == {"type": "string", "default": "John Doe"}
    assert properties["age"] == {"type": "integer", "default": 30}
    assert properties["score"] == {"type": "number", "default": 95.5}
    assert properties["status"] == {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"}
    assert properties["verified"] == {"type": "boolean", "default": True}
    enum_props = elicitation.seen[2]["requestedSchema"]["properties"]
    assert enum_props["legacyEnum"]["enumNames"] == ["Option One", "Option Two", "Option Three"]
    assert enum_props["titledMulti"]["items"]["anyOf"][0] == {"const": "value1", "title": "First Choice"}


def test_schema_2020_12_tool_validates_with_its_own_schema(client):
    ok = client.call_tool("json_schema_2020_12_tool", {"name": "n", "contactMethod": "phone", "phone": "1"})
    assert not ok.is_error
    bad = client.call_tool("json_schema_2020_12_tool", {"name": "n", "contactMethod": "phone", "email": "e"})
    assert bad.is_error and "'phone' is a required property" in bad.content[0].text


def test_resources(client):
    assert client.request("resources/read", {"uri": "test://static-text"}) == {"contents": [
        {"uri": "test://static-text", "mimeType": "text/plain",
         "text": "This is the content of the static text resource."}]}
    binary = client.request("resources/read", {"uri": "test://static-binary"})["contents"][0]
    assert binary["mimeType"] == "image/png" and base64.b64decode(binary["blob"]).startswith(b"\x89PNG")
    templated = client.request("resources/read", {"uri": "test://template/123/data"})["contents"][0]
    assert json.loads(templated["text"]) == {"id": "123", "templateTest": True, "data": "Data for ID: 123"}
    assert client.request("resources/subscribe", {"uri": "test://watched-resource"}) == {}
    assert client.request("resources/unsubscribe", {"uri": "test://watched-resource"}) == {}
    with pytest.raises(McpError) as info:
        client.request("resources/read", {"uri": "test://nonexistent"})
    assert info.value.code == -32002 and info.value.data == {"uri": "test://nonexistent"}


def test_prompts_and_completion(client):
    assert client.request("prompts/get", {"name": "test_simple_prompt"})["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}]
    args = client.request("prompts/get", {"name": "test_prompt_with_arguments",
                                          "arguments": {"arg1": "hello", "arg2": "world"}})
    assert args["messages"][0]["content"]["text"] == "Prompt with arguments: arg1='hello', arg2='world'"
    embedded = client.request("prompts/get", {"name": "test_prompt_with_embedded_resource",
                                              "arguments": {"resourceUri": "test://example-resource"}})["messages"]
    assert embedded[0]["content"]["resource"] == {"uri": "test://example-resource", "mimeType": "text/plain",
                                                  "text": "Embedded resource content for testing."}
    image = client.request("prompts/get", {"name": "test_prompt_with_image"})["messages"]
    assert image[0]["content"]["type"] == "image" and image[1]["content"]["text"] == "Please analyze the image above."
    with pytest.raises(McpError) as info:
        client.request("prompts/get", {"name": "test_prompt_with_arguments", "arguments": {"arg1": "x"}})
    assert info.value.code == -32602
    completion = client.request("completion/complete", {
        "ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"},
        "argument": {"name": "arg1", "value": "par"}})
    assert completion == {"completion": {"values": ["paris", "park", "party"]}}
    ids = client.complete({"type": "ref/resource", "uri": "test://template/{id}/data"}, "id", "12")
    assert ids.completion.values[:2] == ["120", "121"]


def test_ping_and_unknown_method(client):
    assert client.request("ping") == {}
    with pytest.raises(McpError) as info:
        client.session.call("nope/nothing", {}, timeout=10)
    assert info.value.code == -32601
