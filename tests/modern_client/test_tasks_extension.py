"""The client side of the 2026-07-28 tasks extension (io.modelcontextprotocol/tasks), against a fake server.

The same :class:`~mcp_sync.client.tasks.Task` handle as in the legacy era:
``status()``, ``wait()``, ``result()``, ``cancel()``, ``watch()``; ``tasks/get``
paced by ``pollIntervalMs``; ``input_required`` answered by the configured
handlers through ``tasks/update``; a task-only tool through plain ``call_tool``;
the 2025-11-25 ``tasks`` capability never on this wire.
"""

from __future__ import annotations

import pytest

from mcp_sync.client.tasks import Task
from mcp_sync.errors import CapabilityError, ConnectionClosed, McpError
from mcp_sync.types import ElicitResult
from tests.modern_client.fake_tasks import EXT, FakeTasksCore

META_CAPS = "io.modelcontextprotocol/clientCapabilities"


def caps_of(message: dict) -> dict:
    return message["params"]["_meta"][META_CAPS]


def declares(message: dict) -> bool:
    return EXT in (caps_of(message).get("extensions") or {})


@pytest.fixture
def tasks_server(http_fake):
    def start(**options):
        return http_fake(core=FakeTasksCore(**options))
    start.connect = http_fake.connect
    return start


def test_call_tool_as_task_polls_at_the_servers_interval(tasks_server):
    fake = tasks_server(poll_interval_ms=80)
    client = tasks_server.connect(fake.url)
    assert client.era == "modern"
    task = client.call_tool_as_task("task_required", {"polls": 3})
    assert isinstance(task, Task)
    assert task.task_id.startswith("task-") and task.status_value == "working"
    assert (task.ttl, task.poll_interval) == (60_000, 80)
    first = task.status()
    assert first.status == "working" and first.poll_interval == 80
    result = task.result(timeout=10)
    assert result.content[0].text == "done after 3 polls" and not result.is_error
    assert task.done and task.last.status == "completed"
    polls = fake.core.polls[task.task_id]
    assert len(polls) == 4  # status() once, then the poller until completed
    gaps = [b - a for a, b in zip(polls[1:], polls[2:])]
    assert gaps and min(gaps) >= 0.075, gaps  # pollIntervalMs honoured between the poller's tasks/get
    # every tasks/* request declared the extension and named the task in Mcp-Name
    for entry in fake.core.entries("tasks/get"):
        assert declares(entry["message"])
        assert entry["headers"]["mcp-name"] == task.task_id
    call = fake.core.messages("tools/call")[-1]
    assert declares(call) and "task" not in call["params"]  # no 2025-11-25 task field


def test_the_legacy_tasks_capability_never_leaks_and_the_extension_only_when_asked(tasks_server):
    fake = tasks_server()
    client = tasks_server.connect(fake.url, tasks=True, elicitation=lambda p: ElicitResult(action="accept"))
    client.list_tools()
    plain = tasks_server.connect(fake.url, elicitation=lambda p: ElicitResult(action="accept"))
    plain.list_tools()
    plain.call_tool("echo", {"text": "x"})
    messages = [m for m in fake.core.messages() if "id" in m]
    assert all("tasks" not in caps_of(m) for m in messages)  # never the 2025-11-25 capability
    configured = [m for m in messages if m["method"] == "tools/list"][0]
    assert caps_of(configured)["extensions"] == {EXT: {}}
    unconfigured = [m for m in messages if m["method"] in ("tools/list", "tools/call")][1:]
    assert unconfigured and not any(declares(m) for m in unconfigured)


def test_configured_client_gets_a_plain_result_for_a_tool_the_server_runs_as_a_task(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    client = tasks_server.connect(fake.url, tasks=True)
    result = client.call_tool("task_optional")
    assert result.content[0].text == "ran as a task"
    assert len(fake.core.polls) == 1  # it was a task, polled to its end
    unconfigured = tasks_server.connect(fake.url)
    assert unconfigured.call_tool("task_optional").content[0].text == "ran at once"


def test_a_task_only_tool_works_through_plain_call_tool(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    client = tasks_server.connect(fake.url)
    result = client.call_tool("task_required", {"polls": 2})
    assert result.content[0].text == "done after 2 polls"
    calls = fake.core.messages("tools/call")
    assert [declares(c) for c in calls] == [False, True]  # -32021, then asked again declaring the extension
    assert calls[0]["id"] != calls[1]["id"]


def test_input_required_is_answered_by_the_handlers_through_tasks_update(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    asked = []

    def elicit(params):
        asked.append(params.message)
        return ElicitResult(action="accept", content={})  # the schema default fills in the name (SEP-1034)

    client = tasks_server.connect(fake.url, elicitation=elicit)
    task = client.call_tool_as_task("task_asks")
    assert task.result(timeout=10).content[0].text == "hello Ada"
    assert asked == ["Who?"]
    assert fake.core.updates == [{"taskId": task.task_id,
                                  "inputResponses": {"who": {"action": "accept", "content": {"name": "Ada"}}}}]
    update = fake.core.messages("tasks/update")[0]
    assert declares(update)


def test_watch_yields_each_status_until_terminal(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    client = tasks_server.connect(fake.url, elicitation=lambda p: ElicitResult(action="accept",
                                                                             content={"name": "Lin"}))
    task = client.call_tool_as_task("task_asks")
    seen = [status.status for status in task.watch(timeout=10)]
    assert seen[0] == "input_required" and seen[-1] == "completed"
    assert task.result(timeout=5).content[0].text == "hello Lin"
    assert len(fake.core.updates) == 1  # answered once, though both watch() and the poller saw the request


def test_a_failed_task_raises_its_error_and_wait_returns_the_status(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    client = tasks_server.connect(fake.url)
    task = client.call_tool_as_task("task_fails")
    assert task.wait(timeout=10).status == "failed"
    with pytest.raises(McpError) as failed:
        task.result(timeout=10)
    assert (failed.value.code, failed.value.message) == (-32603, "boom")


def test_cancel(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    client = tasks_server.connect(fake.url)
    task = client.call_tool_as_task("task_forever")
    assert task.cancel().status == "cancelled"
    assert fake.core.tasks[task.task_id]["status"] == "cancelled"
    with pytest.raises(McpError, match="cancelled"):
        task.result(timeout=10)
    assert client.get_task(task.task_id).status == "cancelled"


def test_cancelling_a_plain_call_cancels_its_task(tasks_server):
    fake = tasks_server(poll_interval_ms=20)
    client = tasks_server.connect(fake.url, tasks=True)
    future = client.nowait.call_tool("task_forever")
    assert fake.core.wait_for(lambda: any(fake.core.polls.values()))
    assert future.cancel()
    assert fake.core.wait_for(lambda: any(m.get("method") == "tasks/cancel" for m in
                                          (e["message"] for e in fake.core.log)))
    (task_id,) = fake.core.tasks
    assert fake.core.tasks[task_id]["status"] == "cancelled"


def test_a_server_without_the_extension(tasks_server):
    fake = tasks_server(declare=False)
    client = tasks_server.connect(fake.url)
    with pytest.raises(CapabilityError, match="io.modelcontextprotocol/tasks"):
        client.call_tool_as_task("task_required")
    with pytest.raises(CapabilityError):
        client.get_task("task-1")


def test_closing_the_client_ends_a_wait_for_a_task(tasks_server):
    fake = tasks_server(poll_interval_ms=60_000)  # the next poll would be a minute away
    client = tasks_server.connect(fake.url)
    task = client.call_tool_as_task("task_forever")
    future = task.result_future()
    assert fake.core.wait_for(lambda: len(fake.core.polls[task.task_id]) == 1)
    client.close()
    with pytest.raises(ConnectionClosed):
        future.result(timeout=10)


def test_over_stdio(stdio_fake):
    client = stdio_fake.client("modern-tasks",
                               elicitation=lambda p: ElicitResult(action="accept", content={"name": "Bo"}))
    assert client.era == "modern"
    task = client.call_tool_as_task("task_asks")
    assert isinstance(task, Task)
    assert task.result(timeout=10).content[0].text == "hello Bo"
    assert client.call_tool("task_required", {"polls": 1}).content[0].text == "done after 1 polls"
    methods = stdio_fake.methods()
    assert methods.count("tasks/update") == 1 and "tasks/get" in methods
    assert all("tasks" not in caps_of(m) for m in stdio_fake.log() if "id" in m and "params" in m)
