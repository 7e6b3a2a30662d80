"""Every client->server request, blocking and non-blocking, in memory and over stdio."""

from __future__ import annotations

from concurrent.futures import Future, wait

import pytest

from mcp_sync.client import McpFuture, OutputValidationError
from mcp_sync.errors import CapabilityError, McpError
from mcp_sync.types import (
    BlobResourceContents,
    CallToolResult,
    GetPromptResult,
    ListToolsResult,
    Prompt,
    PromptReference,
    ReadResourceResult,
    ResourceTemplate,
    ResourceTemplateReference,
    TextContent,
    TextResourceContents,
    Tool,
)
from tests.client.conftest import Recorder
from tests.client.lowlevel_server import PROMPTS, RESOURCES, TEMPLATES, TOOLS, TOOLS_PAGE


def test_handshake_exposes_server_info_capabilities_and_instructions(connect):
    client = connect()
    assert client.protocol_version == "2025-11-25"
    assert (client.server_info.name, client.server_info.version) == ("lowlevel-test", "1.2.3")
    assert client.instructions == "Use the add tool for sums."
    caps = client.server_capabilities
    assert caps.tools.list_changed is True
    assert caps.resources.subscribe is True
    assert caps.logging == {} and caps.completions == {}
    assert client.initialize_result.server_info == client.server_info


def test_list_tools_follows_every_page(connect):
    client = connect()
    tools = client.list_tools()
    assert all(isinstance(t, Tool) for t in tools)
    assert [t.name for t in tools] == [t["name"] for t in TOOLS]
    assert len(TOOLS) > 2 * TOOLS_PAGE  # really several pages
    assert tools[0].output_schema == TOOLS[0]["outputSchema"]


def test_list_tools_page_by_page(connect):
    client = connect()
    first = client.list_tools_page()
    assert isinstance(first, ListToolsResult)
    assert len(first.tools) == TOOLS_PAGE and first.next_cursor == f"at-{TOOLS_PAGE}"
    second = client.list_tools_page(first.next_cursor)
    assert second.tools[0].name == TOOLS[TOOLS_PAGE]["name"]
    with pytest.raises(McpError) as info:
        client.list_tools_page("garbage")
    assert info.value.code == -32602


def test_call_tool_returns_a_typed_result(connect):
    client = connect()
    result = client.call_tool("add", {"a": 2, "b": 3})
    assert isinstance(result, CallToolResult)
    assert result.content == [TextContent(text="5")]
    assert result.structured_content == {"sum": 5}
    assert not result.is_error


def test_tool_errors_are_results_not_exceptions(connect):
    client = connect()
    client.list_tools()  # "fail" has an outputSchema: an error result is not checked against it
    result = client.call_tool("fail")
    assert result.is_error is True
    assert result.content[0].text == "it failed"


def test_unknown_tool_is_an_mcp_error_with_code_and_message(connect):
    client = connect()
    with pytest.raises(McpError) as info:
        client.call_tool("nope")
    assert info.value.code == -32602
    assert "Unknown tool: nope" in info.value.message


def test_structured_content_is_checked_against_a_listed_output_schema(connect):
    client = connect()
    # Schema not known yet: nothing to check against.
    assert client.call_tool("bad_output").structured_content == {"sum": "not a number"}
    client.list_tools()
    with pytest.raises(OutputValidationError) as info:
        client.call_tool("bad_output")
    assert info.value.tool == "bad_output"
    assert "'not a number' is not of type 'number'" in str(info.value)
    assert "sum" in str(info.value)
    assert info.value.result.structured_content == {"sum": "not a number"}
    with pytest.raises(OutputValidationError, match="no structuredContent"):
        client.call_tool("no_structured")
    assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"sum": 2}


def test_a_tool_object_from_a_listing_can_be_called(connect):
    client = connect()
    add = next(t for t in client.list_tools() if t.name == "add")
    assert client.call_tool(add, {"a": 1, "b": 2}).structured_content == {"sum": 3}


def test_call_tool_meta_reaches_the_server(connect):
    client = connect()
    result = client.call_tool("echo_meta", meta={"com.example/trace": "abc"})
    assert result.structured_content == {"meta": {"com.example/trace": "abc"}}


def test_progress_callback_sees_every_notification_before_the_call_returns(connect):
    client = connect()
    seen = []
    result = client.call_tool("progress", progress=lambda *args: seen.append(args))
    assert result.content[0].text == "done"
    assert seen == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


def test_resources_list_templates_read(connect):
    client = connect()
    resources = client.list_resources()
    assert [r.uri for r in resources] == [r["uri"] for r in RESOURCES]
    page = client.list_resources_page()
    assert len(page.resources) == 2 and page.next_cursor == "at-2"
    assert client.list_resources_page(page.next_cursor).resources[0].uri == RESOURCES[2]["uri"]
    templates = client.list_resource_templates()
    assert [t.uri_template for t in templates] == [t["uriTemplate"] for t in TEMPLATES]
    assert client.list_resource_templates_page().next_cursor is None

    text = client.read_resource("test://doc/1")
    assert isinstance(text, ReadResourceResult)
    assert text.contents == [TextResourceContents(uri="test://doc/1", mime_type="text/plain",
                                                  text="contents of test://doc/1")]
    assert client.read_resource(resources[0]).contents[0].text == "contents of test://doc/0"
    blob = client.read_resource("test://blob").contents[0]
    assert isinstance(blob, BlobResourceContents) and blob.blob == "AAEC"


def test_reading_a_missing_resource_raises_with_code_and_data(connect):
    client = connect()
    with pytest.raises(McpError) as info:
        client.read_resource("test://missing")
    assert (info.value.code, info.value.message, info.value.data) == (
        -32002, "Resource not found", {"uri": "test://missing"})


def test_subscribe_and_unsubscribe(connect):
    updated = Recorder()
    client = connect(on_resource_updated=updated)
    assert client.subscribe_resource("test://doc/2") is None
    assert updated.wait(1) == ["test://doc/2"]  # the server notifies at once
    assert client.unsubscribe_resource("test://doc/2") is None
    events = client.call_tool("history").structured_content["events"]
    assert {"subscribe": "test://doc/2"} in events and {"unsubscribe": "test://doc/2"} in events


def test_prompts_list_and_get(connect):
    client = connect()
    prompts = client.list_prompts()
    assert [p.name for p in prompts] == [p["name"] for p in PROMPTS]
    assert prompts[0].arguments[0].required is True
    assert client.list_prompts_page().next_cursor is None
    result = client.get_prompt("greet", {"name": "Ada"})
    assert isinstance(result, GetPromptResult)
    assert result.description == "A greeting"
    assert result.messages[0].role == "user"
    assert result.messages[0].content == TextContent(text="Hello, Ada!")
    assert client.get_prompt(prompts[1]).messages[0].content.text == "plain"


def test_prompt_errors(connect):
    client = connect()
    with pytest.raises(McpError) as info:
        client.get_prompt("greet")
    assert info.value.code == -32602
    with pytest.raises(TypeError, match="strings"):
        client.get_prompt("greet", {"name": 42})  # refused before sending


def test_complete_accepts_references_listings_and_dicts(connect):
    client = connect()
    by_ref = client.complete(PromptReference(name="greet"), "name", "al")
    assert by_ref.completion.values == ["alice", "alex"]
    assert by_ref.completion.total == 2 and by_ref.completion.has_more is False
    prompt = next(p for p in client.list_prompts() if p.name == "greet")
    assert isinstance(prompt, Prompt)
    assert client.complete(prompt, "name", "b").completion.values == ["bob"]
    assert client.complete({"type": "ref/prompt", "name": "greet"}, "name", "").completion.values == NAMES_ALL
    template = client.list_resource_templates()[0]
    assert isinstance(template, ResourceTemplate)
    assert client.complete(template, "id", "3").completion.values == ["3"]
    assert client.complete(ResourceTemplateReference(uri="test://doc/{id}"), "id", "").completion.values == \
        ["0", "1", "2", "3", "4"]
    with_context = client.complete(prompt, "name", "bo", {"lang": "en"})
    assert with_context.completion.values == ["bob", "lang=en"]


NAMES_ALL = ["alice", "alex", "bob"]


def test_set_log_level_filters_what_on_log_receives(connect):
    logs = Recorder()
    client = connect(on_log=logs)
    with pytest.raises(ValueError, match="unknown log level"):
        client.set_log_level("loud")
    client.set_log_level("error")
    client.call_tool("log")
    # Notifications sent before the response are delivered before the call returns.
    assert [(m.level, m.logger, m.data) for m in logs.calls] == [
        (level, "test", {"level": level}) for level in ("error", "critical", "alert", "emergency")]


def test_ping(connect):
    client = connect()
    assert client.ping() is None


def test_raw_request_and_notify(connect):
    client = connect()
    assert client.request("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})["structuredContent"] == \
        {"sum": 3}
    with pytest.raises(McpError) as info:
        client.request("no/such/method")
    assert info.value.code == -32601
    client.notify("notifications/whatever", {"x": 1})  # ignored by the server
    client.ping()


def test_missing_server_capability_is_refused_locally(connect):
    client = connect(tools_only=True)
    assert client.server_capabilities.prompts is None
    for call in (client.list_prompts, client.list_resources, lambda: client.set_log_level("info"),
                 lambda: client.complete(PromptReference(name="greet"), "name", "a"),
                 lambda: client.subscribe_resource("test://doc/1")):
        with pytest.raises(CapabilityError):
            call()
    future = client.nowait.list_prompts()  # non-blocking: the error arrives through the future
    with pytest.raises(CapabilityError, match="prompts"):
        future.result(timeout=1)
    assert [t.name for t in client.list_tools()][0] == "add"


def test_nowait_returns_futures_of_the_same_typed_results(connect):
    client = connect()
    futures = {
        "tools": client.nowait.list_tools(),
        "page": client.nowait.list_tools_page(),
        "call": client.nowait.call_tool("add", {"a": 20, "b": 22}),
        "resources": client.nowait.list_resources(),
        "templates": client.nowait.list_resource_templates(),
        "read": client.nowait.read_resource("test://doc/0"),
        "prompts": client.nowait.list_prompts(),
        "prompt": client.nowait.get_prompt("greet", {"name": "x"}),
        "complete": client.nowait.complete(PromptReference(name="greet"), "name", "a"),
        "level": client.nowait.set_log_level("debug"),
        "ping": client.nowait.ping(),
        "raw": client.nowait.request("ping"),
    }
    assert all(isinstance(f, McpFuture) and isinstance(f, Future) for f in futures.values())
    done, not_done = wait(list(futures.values()), timeout=10)
    assert not not_done
    assert len(futures["tools"].result()) == len(TOOLS)
    assert futures["call"].result().structured_content == {"sum": 42}
    assert len(futures["resources"].result()) == len(RESOURCES)
    assert futures["read"].result().contents[0].text == "contents of test://doc/0"
    assert futures["prompt"].result().messages[0].content.text == "Hello, x!"
    assert futures["complete"].result().completion.values == ["alice", "alex"]
    assert futures["level"].result() is None and futures["ping"].result() is None
    assert futures["raw"].result() == {}


def test_many_concurrent_calls_from_many_threads(connect):
    import threading

    client = connect()
    results: dict[int, int] = {}
    lock = threading.Lock()

    def worker(i: int) -> None:
        value = client.call_tool("add", {"a": i, "b": 1000}).structured_content["sum"]
        with lock:
            results[i] = value

    threads = [threading.Thread(target=worker, args=(i,), name=f"test-worker-{i}") for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {i: i + 1000 for i in range(40)}


def test_calling_before_open_is_a_clear_error(connect):
    client = connect(open=False)
    with pytest.raises(RuntimeError, match="not open"):
        client.list_tools()
    with client:
        assert client.ping() is None


def test_arguments_that_are_not_json_fail_at_once_and_leave_nothing_pending(connect):
    client = connect()
    with pytest.raises(TypeError):
        client.call_tool("add", {"a": object(), "b": 1})
    assert client.session.pending() == 0
    assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"sum": 2}


def test_a_server_repeating_a_cursor_cannot_loop_the_client_forever():
    from mcp_sync.client import Client, McpProtocolError
    from tests.client.lowlevel_server import TOOLS_ONLY, LowLevelServer

    server = LowLevelServer(TOOLS_ONLY)
    server.method("tools/list")(lambda connection, request: {"tools": [], "nextCursor": "again"})
    with Client.connect(server) as client:
        with pytest.raises(McpProtocolError, match="'again' twice"):
            client.list_tools()
        assert client.list_tools_page().next_cursor == "again"


def test_malformed_results_are_clear_errors():
    from mcp_sync.client import Client
    from mcp_sync.types import WireFormatError
    from tests.client.lowlevel_server import TOOLS_ONLY, LowLevelServer

    server = LowLevelServer(TOOLS_ONLY)
    server.method("tools/list")(lambda connection, request: {"tools": [{"description": "no name"}]})
    server.method("tools/call")(lambda connection, request: {"content": "not a list"})
    with Client.connect(server) as client:
        with pytest.raises(WireFormatError, match="name"):
            client.list_tools()
        with pytest.raises(WireFormatError, match="content"):
            client.call_tool("x")
        assert client.ping() is None
