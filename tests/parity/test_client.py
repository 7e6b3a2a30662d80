"""Every public ``Client`` method gives the same values, types and exceptions in both eras, on every transport."""

from __future__ import annotations

import threading

import pytest

from mcp_sync import CapabilityError, McpError
from mcp_sync.client.subscriptions import Subscription
from mcp_sync.client.futures import McpFuture
from mcp_sync.types import (
    CallToolResult,
    CompleteResult,
    ElicitResult,
    GetPromptResult,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    LoggingMessageNotificationParams,
    Prompt,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    Tool,
)

TOOLS = ["add", "count", "double", "greet_later", "fail_tool", "gate", "ask", "midway", "chatty", "facts",
         "sample_it", "roots_it", "gather_it", "toggle_tool", "touch", "ask_in_task", "chatty_task",
         "raw_request", "context_calls", "elicit_task_it", "url_it", "maybe_escalate",
         "wait_for_cancel", "started", "saw_cancel"]


def test_identity_and_ping(served):
    client = served.client(name="parity-client")
    assert client.server_info.name == "parity" and client.server_info.version == "3.1"
    assert client.instructions == "A server for the parity suite."
    assert client.server_capabilities.tools is not None and client.server_capabilities.prompts is not None
    assert client.ping() is None
    assert client.closed is False


def test_listings_and_their_pages(served):
    client = served.client()
    tools = client.list_tools()
    assert [t.name for t in tools] == TOOLS and all(isinstance(t, Tool) for t in tools)
    page = client.list_tools_page()
    assert isinstance(page, ListToolsResult) and [t.name for t in page.tools] == TOOLS and page.next_cursor is None
    support = {t.name: t.execution.task_support for t in tools if t.execution}
    if served.era == "legacy":  # README era differences: 2026-07-28 tools carry no execution.taskSupport
        assert support == {"count": "optional", "double": "required", "greet_later": "optional",
                           "fail_tool": "optional", "gate": "optional", "ask_in_task": "optional", "chatty_task": "optional"}
    else:
        assert support == {}
    resources = client.list_resources()
    assert [(r.uri, r.mime_type) for r in resources] == [("test://greeting", "text/plain")]
    assert all(isinstance(r, Resource) for r in resources)
    assert isinstance(client.list_resources_page(), ListResourcesResult)
    templates = client.list_resource_templates()
    assert [t.uri_template for t in templates] == ["test://items/{item}"]
    assert all(isinstance(t, ResourceTemplate) for t in templates)
    assert isinstance(client.list_resource_templates_page(), ListResourceTemplatesResult)
    prompts = client.list_prompts()
    assert [(p.name, [a.name for a in p.arguments]) for p in prompts] == [("brief", ["topic"])]
    assert all(isinstance(p, Prompt) for p in prompts)
    assert isinstance(client.list_prompts_page(), ListPromptsResult)


def test_call_tool_read_resource_get_prompt_complete(served):
    client = served.client()
    result = client.call_tool("add", {"a": 2, "b": 3})
    assert isinstance(result, CallToolResult)
    assert (result.is_error, result.structured_content, result.content[0].text) == (False, {"result": 5}, '{"result":5}')
    failed = client.call_tool("fail_tool")
    assert failed.is_error is True and failed.content[0].text == "RuntimeError: boom"
    with pytest.raises(McpError) as unknown:
        client.call_tool("no_such_tool")
    assert unknown.value.code == -32602
    read = client.read_resource("test://greeting")
    assert isinstance(read, ReadResourceResult) and read.contents[0].text == "hello from parity"
    assert client.read_resource("test://items/7").contents[0].text == "item 7"
    prompt = client.get_prompt("brief", {"topic": "mcp"})
    assert isinstance(prompt, GetPromptResult) and prompt.messages[0].content.text == "Brief me on mcp."
    completion = client.complete(client.list_prompts()[0], "topic", "m")
    assert isinstance(completion, CompleteResult) and completion.completion.values == ["mcp", "music", "maths"]


def test_nowait_twins_return_futures_of_the_same_results(served):
    client = served.client()
    futures = [client.nowait.call_tool("add", {"a": 1, "b": 1}), client.nowait.list_tools(),
               client.nowait.read_resource("test://greeting"), client.nowait.get_prompt("brief", {"topic": "x"})]
    assert all(isinstance(f, McpFuture) for f in futures)
    call, tools, read, prompt = (f.result(timeout=20) for f in futures)
    assert call.structured_content == {"result": 2} and len(tools) == len(TOOLS)
    assert read.contents[0].text == "hello from parity" and prompt.messages[0].content.text == "Brief me on x."


def test_progress_of_a_plain_call(served):
    client = served.client()
    seen = []
    result = client.call_tool("count", {"n": 3}, progress=lambda p, total, message: seen.append((p, total, message)))
    assert result.structured_content == {"result": 3}
    assert seen == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


def test_on_log_without_set_log_level(served):
    """Issue 16: ``Client(on_log=...)`` gets the server's log messages in both eras without ``set_log_level``."""
    logs: list[LoggingMessageNotificationParams] = []
    client = served.client(on_log=logs.append)
    assert client.call_tool("chatty").content[0].text == "ok"
    assert [(m.level, m.data) for m in logs] == [("info", "hello"), ("warning", {"n": 1})]
    assert all(isinstance(m, LoggingMessageNotificationParams) for m in logs)


def test_set_log_level_filters_in_both_eras(served):
    logs: list = []
    client = served.client(on_log=logs.append)
    assert client.set_log_level("warning") is None
    client.call_tool("chatty")
    assert [(m.level, m.data) for m in logs] == [("warning", {"n": 1})]
    with pytest.raises(ValueError):
        client.set_log_level("loud")


def test_list_changed_hook_fires_without_subscribe(served):
    """Issue 16: ``on_tools_changed`` fires in both eras without ``client.subscribe(tools=True)``."""
    changed = threading.Event()
    client = served.client(on_tools_changed=changed.set)
    try:
        client.call_tool("toggle_tool", {"present": True})
        assert changed.wait(20), "on_tools_changed did not fire"
        assert "extra" in [t.name for t in client.list_tools()]
    finally:
        client.call_tool("toggle_tool", {"present": False})


def test_subscribe_to_resource_updates(served, request):
    updated: list[str] = []
    arrived = threading.Event()

    def on_updated(uri: str) -> None:
        updated.append(uri)
        arrived.set()

    uri = f"test://items/{request.node.name}"  # this test's own: nobody else subscribes to it
    client = served.client(on_resource_updated=on_updated)
    with client.subscribe(resource_uris=[uri]) as subscription:
        assert isinstance(subscription, Subscription)
        assert subscription.acknowledged == {"resourceSubscriptions": [uri]}
        assert client.call_tool("touch", {"uri": uri}).structured_content == {"result": 1}
        assert arrived.wait(20) and updated == [uri]
        event = subscription.next(timeout=20)
        assert event is not None and event.method == "notifications/resources/updated"
    assert subscription.active is False


def test_raw_request_and_notify(served):
    """``request()`` returns the raw result of the era's wire (2026-07-28 adds ``resultType`` and
    ``_meta`` serverInfo, README era differences); its payload is the same."""
    client = served.client()
    raw = client.request("tools/call", {"name": "add", "arguments": {"a": 4, "b": 4}})
    assert isinstance(raw, dict) and raw["structuredContent"] == {"result": 8}
    assert ("resultType" in raw) == (served.era == "modern")
    assert client.nowait.request("tools/list").result(timeout=20)["tools"][0]["name"] == "add"
    assert client.notify("notifications/roots/list_changed") is None  # a notification the server ignores
    assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"result": 2}


def test_roots_and_set_roots(served):
    client = served.client(roots=["file:///one"])
    assert client.call_tool("roots_it").structured_content == {"result": ["file:///one"]}
    assert client.notify_roots_changed() is None
    client.set_roots(["file:///two", "file:///three"])
    assert [r.uri for r in client.roots()] == ["file:///two", "file:///three"]
    assert client.call_tool("roots_it").structured_content == {"result": ["file:///two", "file:///three"]}
    plain = served.client()
    with pytest.raises(CapabilityError):
        plain.set_roots(["file:///x"])


def test_required_tool_without_listing_first(served):
    """Issue 16: ``call_tool`` of a ``task_support="required"`` tool works without a prior ``list_tools()``."""
    client = served.client()
    result = client.call_tool("double", {"x": 21})
    assert isinstance(result, CallToolResult) and result.structured_content == {"result": 42}
    client.list_tools()
    assert client.call_tool("double", {"x": 2}).structured_content == {"result": 4}


def test_elicitation_without_a_handler(served):
    """Issue 16: no elicitation handler gives the same McpError (-32021) in both eras."""
    client = served.client()
    with pytest.raises(McpError) as info:
        client.call_tool("ask")
    assert isinstance(info.value, McpError) and info.value.code == -32021  # (over HTTP a subclass with http_status)
    assert "elicitation" in info.value.message
    assert info.value.data == {"requiredCapabilities": {"elicitation": {"form": {}}}}
    assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"result": 2}  # still usable


def test_elicitation_handler_that_raises(served):
    """Issue 16: a handler that raises gives the same McpError (-32603) in both eras."""
    def broken(params):
        raise RuntimeError("the form broke")

    client = served.client(elicitation=broken)
    with pytest.raises(McpError) as info:
        client.call_tool("ask")
    assert isinstance(info.value, McpError) and info.value.code == -32603
    assert info.value.message == "Internal error while handling 'elicitation/create': RuntimeError"
    assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"result": 2}


def test_elicitation_answered(served):
    client = served.client(elicitation=lambda params: ElicitResult(action="accept", content={"name": "Kim"}))
    assert client.call_tool("ask").content[0].text == "accept:Kim"
    declining = served.client(elicitation=lambda params: {"action": "decline"})
    assert declining.call_tool("ask").content[0].text == "decline:None"


def test_a_tool_that_asks_midway_runs_once(served, request):
    """Issue 16: a tool that elicits mid-way does its earlier work once (progress [1, 2, 3, 4])."""
    client = served.client(elicitation=lambda params: {"action": "accept", "content": {"go": True}})
    seen: list = []
    result = client.call_tool("midway", {"key": request.node.name}, progress=lambda p, t, m: seen.append(p))
    assert result.structured_content == {"result": 1}  # started once
    assert seen == [1, 2, 3, 4]


def test_sampling_and_gather(served):
    client = served.client(sampling=lambda params: {"role": "assistant", "content": {"type": "text", "text": "hi!"},
                                                    "model": "test-model"},
                           elicitation=lambda params: {"action": "accept", "content": {"name": "Ada"}},
                           roots=["file:///r"])
    assert client.call_tool("sample_it").content[0].text == "hi!"
    assert client.call_tool("gather_it").structured_content == {"result": ["Ada", ["file:///r"]]}


def test_sampling_without_a_handler(served):
    client = served.client()
    with pytest.raises(McpError) as info:
        client.call_tool("sample_it")
    assert info.value.code == -32021 and info.value.data == {"requiredCapabilities": {"sampling": {}}}


def test_closed_client(served):
    from mcp_sync import ConnectionClosed

    client = served.client()
    client.close()
    assert client.closed is True
    with pytest.raises((ConnectionClosed, RuntimeError)):
        client.call_tool("add", {"a": 1, "b": 1})


def test_nowait_cancel_reaches_the_tool(served, request):
    """Issue 16: ``client.nowait.call_tool(...).cancel()`` sets the tool's ``ctx.cancelled`` in both eras."""
    client = served.client()
    key = request.node.name
    future = client.nowait.call_tool("wait_for_cancel", {"key": key})
    assert client.call_tool("started", {"key": key}).structured_content == {"result": True}
    assert future.cancel() is True and future.cancelled()
    seen = client.call_tool("saw_cancel", {"key": key, "wait": 20.0})
    assert seen.structured_content == {"result": True}
