"""Execution time limits of task work on the 2025-11-25 wire (issue #15, defect 8).

``@server.tool(task_timeout=...)`` and ``TaskLimits(task_timeout_ms=...)``: past
the limit the work is cancelled (``ctx.cancelled``) and the task ends ``failed``
with a "Task timed out" error that ``tasks/result`` answers until the TTL. A
TTL that cuts running work short is logged (WARNING). Over stdio (the server
in a subprocess) and HTTP (in process).
"""

from __future__ import annotations

import logging

import pytest

from mcp_sync import McpError
from mcp_sync.tasks import TaskLimits
from mcp_sync.tasks.limits import TaskLimits as _Limits


def _timed_out(error: McpError, limit: float) -> None:
    assert error.code == -32603
    assert error.message.startswith("Task timed out") and f"{limit:g} s" in error.message
    assert error.data == {"reason": "timeout", "timeLimitSeconds": limit}


def test_a_tool_past_its_task_timeout_fails_and_the_error_stays(harness):
    client = harness().client()
    task = client.call_tool_as_task("overrun", {"name": "never"}, ttl_ms=60_000)
    with pytest.raises(McpError) as info:
        task.result(30)
    _timed_out(info.value, 0.3)
    status = task.status()
    assert status.status == "failed" and status.status_message.startswith("Task timed out")
    # the work saw ctx.cancelled (it records its task id when it does)
    assert task.task_id in client.call_tool("cancels_seen", {"wait_for": task.task_id}).structured_content["result"]
    # tasks/result keeps answering the timeout (a new request each time), and tasks/list shows the failure
    for _ in range(2):
        with pytest.raises(McpError) as again:
            client.get_task_result(task.task_id, timeout=30)
        _timed_out(again.value, 0.3)
    assert [t.status for t in client.list_tasks() if t.task_id == task.task_id] == ["failed"]


def test_the_server_default_limit_applies_to_every_task_tool(harness):
    client = harness(args=("--task-timeout-ms", "250")).client()
    task = client.call_tool_as_task("block", {"name": "default-limit"}, ttl_ms=60_000)
    with pytest.raises(McpError) as info:
        task.result(30)
    _timed_out(info.value, 0.25)
    assert task.status().status == "failed"
    quick = client.call_tool_as_task("echo", {"text": "in time"}, ttl_ms=60_000)
    assert quick.result(30).content[0].text == "in time"  # work that ends in time is untouched
    assert quick.status().status == "completed"


def test_work_that_finishes_in_time_is_not_touched(harness):
    client = harness().client()
    task = client.call_tool_as_task("overrun", {"name": "released"}, ttl_ms=60_000)
    client.call_tool("release", {"name": "released"})
    assert task.result(30).content[0].text == "released released"
    assert task.status().status == "completed"


def test_a_ttl_cutting_running_work_short_is_logged(http_harness, caplog):
    harness = http_harness()
    client = harness.client()
    caplog.set_level(logging.WARNING, logger="mcp_sync.tasks")
    task = client.call_tool_as_task("block", {"name": "outlived"}, ttl_ms=1000)  # ample time to start first
    # the reaper removes it at its TTL and the work is cancelled: it records that it saw the cancellation
    assert task.task_id in client.call_tool("cancels_seen", {"wait_for": task.task_id}).structured_content["result"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and task.task_id[:8] in r.getMessage()]
    assert all(task.task_id not in r.getMessage() for r in caplog.records)  # never the whole id (a bearer handle)
    assert len(warnings) == 1 and "expired (TTL 1000 ms) while its work was still running" in warnings[0].getMessage()
    with pytest.raises(McpError) as info:
        task.status()
    assert info.value.code == -32602  # gone: what the requestor sees, hence the log line


def test_finished_or_cancelled_tasks_removed_later_log_nothing(http_harness, caplog):
    harness = http_harness()
    client = harness.client()
    caplog.set_level(logging.WARNING, logger="mcp_sync.tasks")
    task = client.call_tool_as_task("block", {"name": "cancel-me"}, ttl_ms=60_000)
    assert task.cancel().status == "cancelled"
    client.call_tool("cancels_seen", {"wait_for": task.task_id})
    client.close()  # its session ends: the server deletes the session's tasks
    assert not [r for r in caplog.records if task.task_id[:8] in r.getMessage()]


def test_limits_are_checked():
    assert TaskLimits(task_timeout_ms=1500).task_time_limit() == 1.5
    assert TaskLimits().task_time_limit() is None and TaskLimits().task_time_limit(2) == 2
    with pytest.raises(ValueError, match="task_timeout_ms"):
        _Limits(task_timeout_ms=0)
    with pytest.raises(ValueError, match="task_timeout_ms"):
        _Limits(task_timeout_ms=-5)
    from mcp_sync import Server

    server = Server("limits")
    for bad in (0, -1, "5", True):
        with pytest.raises(ValueError, match="task_timeout"):
            server.tool(task_support="optional", task_timeout=bad)(lambda: "x")
