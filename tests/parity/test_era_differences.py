"""What must differ between the eras, as README.rst's era difference table says, row by row.

Each test names its row. The 2026-07-28 wire forbids or lacks something; the
SDK does the closest faithful thing, and these tests hold it to what the
table documents.
"""

from __future__ import annotations

import pytest

from mcp_sync import CapabilityError, McpError
from mcp_sync.types import DiscoverResult


def test_row_tool_error_in_a_task(served):
    """A tool error (``isError``) ends its task ``failed`` on 2025-11-25, ``completed`` on 2026-07-28;
    ``result()`` is the same ``is_error`` result in both."""
    client = served.client()
    task = client.call_tool_as_task("fail_tool")
    result = task.result(timeout=20)
    assert result.is_error is True and result.content[0].text == "RuntimeError: boom"
    assert task.status().status == {"legacy": "failed", "modern": "completed"}[served.era]


def test_row_requested_ttl(served):
    """``ttl=`` is sent on 2025-11-25 (the server may lower it); 2026-07-28 has no requested TTL: the task
    gets the server's default (here 300000 ms)."""
    client = served.client()
    task = client.call_tool_as_task("count", {"n": 1}, ttl_ms=60_000)
    assert task.ttl == {"legacy": 60_000, "modern": 300_000}[served.era]
    assert task.result(timeout=20).structured_content == {"result": 1}


def test_row_task_support_in_listings(served):
    """2026-07-28 tools carry no ``execution.taskSupport`` (the server decides): ``tool.execution`` is None;
    ``call_tool`` of a task-only tool still runs it as a task."""
    client = served.client()
    double = next(t for t in client.list_tools() if t.name == "double")
    if served.era == "legacy":
        assert double.execution.task_support == "required"
    else:
        assert double.execution is None
    assert client.call_tool("double", {"x": 3}).structured_content == {"result": 6}


def test_row_resource_subscription_methods(served):
    """``subscribe_resource``/``unsubscribe_resource`` are 2025-11-25 requests; on 2026-07-28 they raise
    CapabilityError naming ``client.subscribe(resource_uris=[...])``, which works in both eras."""
    client = served.client()
    if served.era == "legacy":
        assert client.subscribe_resource("test://greeting") is None
        assert client.unsubscribe_resource("test://greeting") is None
    else:
        with pytest.raises(CapabilityError, match=r"client\.subscribe\(resource_uris"):
            client.subscribe_resource("test://greeting")
        with pytest.raises(CapabilityError, match="Subscription"):
            client.unsubscribe_resource("test://greeting")
    with client.subscribe(resource_uris=["test://greeting"]) as subscription:
        assert subscription.acknowledged == {"resourceSubscriptions": ["test://greeting"]}


def test_row_discover(served):
    """``discover()`` is ``server/discover``, a 2026-07-28 request: CapabilityError on 2025-11-25."""
    client = served.client()
    if served.era == "legacy":
        with pytest.raises(CapabilityError):
            client.discover()
    else:
        result = client.discover()
        assert isinstance(result, DiscoverResult) and "2026-07-28" in result.supported_versions


def test_row_logs_of_a_task(served):
    """2026-07-28 carries no log notifications for tasks: an mcp_sync server carries a task's log messages
    in ``tasks/get`` ``_meta["dev.mcp-sync/logs"]`` and the client hands them to ``on_log`` (and
    ``on_notification``) while it polls, so ``on_log`` sees them in both eras."""
    logs: list = []
    raw: list = []
    client = served.client(on_log=logs.append, on_notification=lambda method, params: raw.append(method))
    assert client.call_tool_as_task("chatty_task").result(timeout=20).content[0].text == "ok"
    assert [(m.level, m.data) for m in logs] == [("info", "hello from a task")]
    assert raw.count("notifications/message") == 1
    logs.clear()
    client.call_tool("chatty_task")
    assert [m.data for m in logs] == ["hello from a task"]


def test_row_list_tasks_shows_this_clients_tasks(served):
    """2026-07-28 has no ``tasks/list``: ``list_tasks()`` lists the tasks this client created (2025-11-25:
    the server lists the tasks of the requestor, here the same ones)."""
    one = served.client()
    task = one.call_tool_as_task("count", {"n": 1})
    task.wait(timeout=20)
    assert [t.task_id for t in one.list_tasks()] == [task.task_id]
    other = served.client()
    assert other.list_tasks() == []


def test_row_server_requests_from_a_handler(served):
    """``ctx.send_request`` and ``ctx.complete_elicitation`` exist on 2025-11-25 sessions only: a
    2026-07-28 server sends no requests (``ctx.elicit``/``sample``/``list_roots``/``gather`` work in both)."""
    client = served.client()
    text = client.call_tool("raw_request").content[0].text
    assert text == {"legacy": "sent", "modern": "CapabilityError"}[served.era]


def test_row_protocol_version(served):
    """The version each side reports is the era's own."""
    client = served.client()
    assert client.protocol_version == {"legacy": "2025-11-25", "modern": "2026-07-28"}[served.era]
    facts = client.call_tool("facts").structured_content
    assert facts["version"] == client.protocol_version


def test_ping_and_closed_connection(served):
    """``ping`` does not exist in 2026-07-28: ``client.ping()`` returns None without a round trip there,
    and raises once the connection is closed, as in 2025-11-25."""
    client = served.client()
    assert client.ping() is None
    client.close()
    with pytest.raises(Exception) as info:
        client.ping()
    assert not isinstance(info.value, McpError)


def test_hook_stream_closes_with_the_client(served):
    """On 2026-07-28 ``on_tools_changed`` holds a ``subscriptions/listen`` stream; it ends with the client
    (no thread left: the autouse check)."""
    hooked = served.client(on_tools_changed=lambda: None)
    subscription = hooked._hook_subscription
    if served.era == "legacy":
        assert subscription is None
    else:
        assert subscription is not None and subscription.acknowledged == {"toolsListChanged": True}
    hooked.close()
    if subscription is not None:
        assert subscription.active is False


def test_row_client_tasks(served):
    """A server asking the client to run an elicitation as a task (``ctx.elicit_as_task``) is a 2025-11-25
    feature: on 2026-07-28 it raises ``CapabilityError`` (``ctx.elicit`` works in both eras)."""
    client = served.client(tasks=True, elicitation=lambda params: {"action": "accept", "content": {"name": "Tao"}})
    text = client.call_tool("elicit_task_it").content[0].text
    assert text == {"legacy": "Tao", "modern": "CapabilityError"}[served.era]
