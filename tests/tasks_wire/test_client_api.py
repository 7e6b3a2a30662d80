"""The requestor API: ``client.call_tool_as_task`` and its :class:`~mcp_sync.Task` handle, raw task methods,
``call_tool`` of a 'required' tool, and the nowait twins; over stdio and HTTP."""

from __future__ import annotations

import threading
import time

import pytest

from mcp_sync import CapabilityError, McpError, RequestTimeout, Task
from mcp_sync.types import CallToolResult, CancelTaskResult, GetTaskResult, ListTasksResult


def test_task_handle_basics(harness):
    client = harness().client()
    task = client.call_tool_as_task("echo", {"text": "hi"}, ttl_ms=30_000)
    assert isinstance(task, Task)
    assert task.ttl == 30_000 and task.poll_interval == 20 and task.created_at.endswith("Z")
    assert task.immediate_response == "echoing hi"
    assert task.last.status in ("working", "completed")
    result = task.result(timeout=30)
    assert isinstance(result, CallToolResult) and result.content[0].text == "hi"
    assert task.result() is result  # one tasks/result, shared
    final = task.wait()
    assert isinstance(final, GetTaskResult) and final.status == "completed" and task.done


def test_wait_by_polling_and_watch(harness):
    client = harness().client()
    task = client.call_tool_as_task("status_msg", {"text": "working hard"})
    seen = []
    for snapshot in task.watch(timeout=30):
        seen.append((snapshot.status, snapshot.status_message))
        if snapshot.status_message == "working hard":
            client.call_tool("release", {"name": "status"})
    assert ("working", "working hard") in seen and seen[-1][0] == "completed"
    assert len(seen) == len(set(seen))  # only changes are reported
    task2 = client.call_tool_as_task("block", {"name": "poll-gate"})
    waiter = client.nowait.call_tool("release", {"name": "poll-gate"})
    assert task2.wait(timeout=30, poll=True).status == "completed"
    waiter.result(timeout=30)
    assert task2.result().content[0].text == "released poll-gate"


def test_result_timeout_then_result(harness):
    client = harness().client()
    task = client.call_tool_as_task("block", {"name": "timeout-gate"})
    with pytest.raises(RequestTimeout):
        task.result(timeout=0.05)
    with pytest.raises(RequestTimeout):
        list(task.watch(timeout=0.05))
    client.call_tool("release", {"name": "timeout-gate"})
    assert task.result(timeout=30).content[0].text == "released timeout-gate"


def test_cancel_and_failed_outcomes(harness):
    client = harness().client()
    task = client.call_tool_as_task("block", {"name": "never"})
    cancelled = task.cancel()
    assert cancelled.status == "cancelled" and task.done
    with pytest.raises(McpError) as info:
        task.result(timeout=30)
    assert info.value.code == -32602
    assert task.wait(timeout=30).status == "cancelled"
    with pytest.raises(McpError) as info:
        task.cancel()
    assert info.value.code == -32602

    failed = client.call_tool_as_task("boom", {"kind": "mcp"})
    with pytest.raises(McpError) as info:
        failed.result(timeout=30)
    assert info.value.code == -32050
    assert failed.wait().status == "failed"
    tool_error = client.call_tool_as_task("boom", {"kind": "python"})
    assert tool_error.result(timeout=30).is_error is True
    assert tool_error.status().status == "failed"


def test_raw_task_methods(harness):
    client = harness().client()
    task = client.call_tool_as_task("echo", {"text": "raw"})
    typed = client.get_task_result(task.task_id, timeout=30)
    assert isinstance(typed, CallToolResult)
    assert typed.content[0].text == "raw" and typed.meta["io.modelcontextprotocol/related-task"]
    got = client.get_task(task.task_id)
    assert isinstance(got, GetTaskResult) and got.status == "completed"
    page = client.list_tasks_page()
    assert isinstance(page, ListTasksResult) and [t.task_id for t in page.tasks] == [task.task_id]
    blocked = client.call_tool_as_task("block", {"name": "raw-gate"})
    cancelled = client.cancel_task(blocked.task_id)
    assert isinstance(cancelled, CancelTaskResult) and cancelled.status == "cancelled"
    assert [t.status for t in client.list_tasks()] == ["completed", "cancelled"]
    futures = [client.nowait.get_task(task.task_id), client.nowait.list_tasks(),
               client.nowait.get_task_result(task.task_id)]
    assert futures[0].result(timeout=30).status == "completed"
    assert len(futures[1].result(timeout=30)) == 2
    assert futures[2].result(timeout=30).content[0].text == "raw"


def test_plain_call_of_a_required_tool_runs_it_as_a_task(harness):
    client = harness().client()
    # not listed yet: the server refuses the plain call (-32601), the client lists the tools and runs it as a task
    assert client.call_tool("double", {"x": 4}).structured_content == {"result": 8}
    assert [t.status for t in client.list_tasks()] == ["completed"]
    client.list_tools()
    result = client.call_tool("double", {"x": 4})
    assert result.structured_content == {"result": 8}
    assert [t.status for t in client.list_tasks()] == ["completed", "completed"]
    assert client.call_tool("echo", {"text": "plain"}).content[0].text == "plain"  # optional: no task
    assert len(client.list_tasks()) == 2


def test_nowait_call_of_a_required_tool_cancels_its_task(harness):
    client = harness().client()
    client.list_tools()
    future = client.nowait.call_tool("required_block", {"name": "never-released"})
    pause = threading.Event()
    for _ in range(1500):  # tasks/list at the server's pollInterval until the hidden task exists
        listed = client.list_tasks()
        if listed:
            break
        pause.wait(0.02)
    [hidden] = listed
    assert hidden.status == "working"
    assert future.cancel()
    seen = client.call_tool("cancels_seen", {"wait_for": hidden.task_id}).structured_content["result"]
    assert hidden.task_id in seen
    assert client.get_task(hidden.task_id).status == "cancelled"


def test_progress_callback_of_a_task_call(harness):
    client = harness().client()
    seen: list = []
    done = threading.Event()

    def progress(p, total, message):
        seen.append(message)
        if message == "last":
            done.set()

    task = client.call_tool_as_task("progress", {"steps": 2}, progress=progress)
    client.call_tool("release", {"name": "progress"})
    task.result(timeout=30)
    assert done.wait(30) and seen == ["step 1", "step 2", "last"]


def test_status_notifications_wake_watch(harness):
    # pollInterval 60 s: only the server's notifications can make watch() see the changes in time
    client = harness(notify=True, args=("--poll-ms", "60000")).client()
    task = client.call_tool_as_task("block", {"name": "notify-gate"})
    started = time.monotonic()
    statuses = []
    for snapshot in task.watch(timeout=50):
        statuses.append(snapshot.status)
        if snapshot.status == "working":
            client.nowait.call_tool("release", {"name": "notify-gate"})
    assert statuses == ["working", "completed"]
    assert time.monotonic() - started < 50


def test_capability_errors(harness):
    no_tasks = harness(args=("--no-tasks",)).client()
    assert no_tasks.server_capabilities.tasks is None
    with pytest.raises(CapabilityError, match="tasks.requests.tools.call"):
        no_tasks.call_tool_as_task("echo", {"text": "x"})
    with pytest.raises(CapabilityError):
        no_tasks.get_task("anything")
    # with tasks disabled, the 'task' field is ignored and every tool runs normally
    assert no_tasks.request("tools/call", {"name": "echo", "arguments": {"text": "y"}, "task": {}}) \
        ["content"][0]["text"] == "y"
    assert no_tasks.call_tool("double", {"x": 3}).structured_content == {"result": 6}


def test_the_stateless_revision_has_no_core_tasks(harness):
    modern = harness().client(protocol="modern", protocol_version=None, era_cache=None)
    assert modern.protocol_version == "2026-07-28"
    # no core tasks there: the server offers the io.modelcontextprotocol/tasks extension instead (issue 7)
    assert type(modern.call_tool_as_task("echo", {"text": "x"})).__name__ == "ModernTask"
    # tools carry no execution.taskSupport there, and calls still give plain results
    assert all(tool.execution is None for tool in modern.list_tools())
    assert modern.call_tool("double", {"x": 5}).structured_content == {"result": 10}


def test_ttl_ms_is_the_name_and_ttl_still_works_with_a_warning(harness):
    """One rule for time values: milliseconds are *_ms; the old ttl= is accepted with a DeprecationWarning."""
    import warnings

    client = harness().client()
    task = client.call_tool_as_task("echo", {"text": "ms"}, ttl_ms=40_000)
    assert task.ttl_ms == task.ttl and task.ttl_ms is not None
    task.result(timeout=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = client.call_tool_as_task("echo", {"text": "old name"}, ttl=40_000)
    assert [w.category for w in caught] == [DeprecationWarning]
    assert caught[0].filename == __file__  # points at the caller
    old.result(timeout=10)
    with pytest.raises(TypeError, match="ttl_ms= only"):
        client.call_tool_as_task("echo", {"text": "both"}, ttl=1, ttl_ms=1)
