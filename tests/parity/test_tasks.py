"""Tasks look the same in both eras: the ``Task`` handle, the raw task methods, progress and status messages.

2025-11-25 has core tasks (``tasks/get``, ``tasks/result``, ``tasks/list``...);
2026-07-28 has the ``io.modelcontextprotocol/tasks`` extension (``tasks/get``
polling, no ``tasks/result`` or ``tasks/list``, no progress notifications). The
client hides it; what the wire forces to differ is in README.rst's era
difference table and tested in ``test_era_differences.py``.
"""

from __future__ import annotations

import pytest

from mcp_sync import McpError, Task
from mcp_sync.types import CallToolResult, CancelTaskResult, GetTaskResult, ListTasksResult
from mcp_sync.types import Task as TaskInfo


def test_progress_and_status_message_of_a_task(served):
    """Issue 16: ``call_tool_as_task(progress=cb)`` sees the tool's progress and the task its statusMessage."""
    client = served.client()
    seen: list = []
    task = client.call_tool_as_task("count", {"n": 3}, progress=lambda p, total, message: seen.append((p, message)))
    assert isinstance(task, Task) and isinstance(task.task_id, str)
    result = task.result(timeout=20)
    assert isinstance(result, CallToolResult) and result.structured_content == {"result": 3}
    assert seen == [(1, "step 1"), (2, "step 2"), (3, "step 3")]
    status = task.status()
    assert isinstance(status, GetTaskResult)
    assert (status.status, status.status_message) == ("completed", "step 3")


def test_plain_call_of_a_task_tool_keeps_its_progress(served):
    client = served.client()
    client.list_tools()
    seen: list = []
    result = client.call_tool("double", {"x": 5}, progress=lambda p, t, m: seen.append(p))
    assert result.structured_content == {"result": 10} and seen == []


def test_task_handle(served):
    client = served.client()
    task = client.call_tool_as_task("count", {"n": 2})
    assert (task.method, task.poll_interval, isinstance(task.created_at, str)) == ("tools/call", 20, True)
    assert task.wait(timeout=20, poll=True).status == "completed"
    assert task.wait(timeout=20).status == "completed"
    assert task.last.status == "completed"
    assert task.done is True and task.status_value == "completed"
    assert [s.status for s in task.watch(timeout=20)] == ["completed"]
    assert task.result(timeout=20).structured_content == {"result": 2}
    assert task.result_future().result(timeout=20).structured_content == {"result": 2}
    with pytest.raises(McpError) as finished:
        task.cancel()
    assert finished.value.code == -32602 and "terminal status 'completed'" in finished.value.message


def test_cancelling_a_running_task(served):
    client = served.client()
    task = client.call_tool_as_task("gate")
    assert task.status().status == "working"
    cancelled = task.cancel()
    assert isinstance(cancelled, GetTaskResult) and cancelled.status == "cancelled"
    assert task.wait(timeout=20).status == "cancelled"
    with pytest.raises(McpError) as no_result:
        task.result(timeout=20)
    assert no_result.value.code == -32602


def test_list_tasks_get_task_result_get_task_cancel_task(served):
    """Issue 16: ``list_tasks()`` and ``get_task_result()`` work in both eras and return the same types."""
    client = served.client()
    first = client.call_tool_as_task("count", {"n": 1})
    second = client.call_tool_as_task("gate")
    result = client.get_task_result(first.task_id, timeout=20)
    assert isinstance(result, CallToolResult) and result.structured_content == {"result": 1}
    future_result = client.nowait.get_task_result(first.task_id).result(timeout=20)
    assert future_result.structured_content == {"result": 1}
    got = client.get_task(first.task_id)
    assert isinstance(got, GetTaskResult) and (got.task_id, got.status) == (first.task_id, "completed")
    listed = client.list_tasks()
    assert all(isinstance(t, TaskInfo) for t in listed)
    assert [(t.task_id, t.status) for t in listed] == [(first.task_id, "completed"), (second.task_id, "working")]
    page = client.list_tasks_page()
    assert isinstance(page, ListTasksResult) and [t.task_id for t in page.tasks] == [first.task_id, second.task_id]
    assert page.next_cursor is None
    cancelled = client.cancel_task(second.task_id)
    assert isinstance(cancelled, CancelTaskResult) and cancelled.status == "cancelled"
    with pytest.raises(McpError) as finished:
        client.cancel_task(first.task_id)
    assert finished.value.code == -32602
    assert [t.status for t in client.list_tasks()] == ["completed", "cancelled"]
    with pytest.raises(McpError) as unknown:
        client.get_task("no-such-task")
    assert unknown.value.code == -32602


def test_get_task_result_of_a_cancelled_task(served):
    client = served.client()
    task = client.call_tool_as_task("gate")
    client.cancel_task(task.task_id)
    with pytest.raises(McpError) as info:
        client.get_task_result(task.task_id, timeout=20)
    assert info.value.code == -32602


def test_immediate_response(served):
    """Issue 16: a task's ``immediate_response`` reaches the client in both eras."""
    client = served.client()
    task = client.call_tool_as_task("greet_later", {"name": "Ann"})
    assert task.immediate_response == "on its way"
    assert task.result(timeout=20).content[0].text == "hello Ann"
    assert client.call_tool_as_task("count", {"n": 1}).immediate_response is None


def test_a_task_that_asks_for_input(served):
    client = served.client(elicitation=lambda params: {"action": "accept", "content": {"name": "Lee"}})
    task = client.call_tool_as_task("ask_in_task")  # its question goes through the task
    statuses = [s.status for s in task.watch(timeout=20)]
    assert statuses[-1] == "completed"
    assert task.result(timeout=20).content[0].text == "accept:Lee"
