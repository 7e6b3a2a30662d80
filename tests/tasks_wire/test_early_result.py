"""Task.result() against a receiver that answers ``tasks/result`` early (issue #15, defect 5).

2025-11-25 says ``tasks/result`` blocks until the task is terminal; FastMCP 3.x
answers it at once with -32602 "Task not completed yet" while the task works.
The task server started with ``--early-result`` behaves that way (over stdio,
a real subprocess, and over HTTP). The client falls back to polling
``tasks/get`` and fetches the result once the task is terminal.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mcp_sync import McpError


def _early(harness):
    return harness(args=("--early-result",)).client()


def test_result_polls_when_the_receiver_answers_early(harness):
    client = _early(harness)
    task = client.call_tool_as_task("block", {"name": "early"}, ttl_ms=60_000)
    with ThreadPoolExecutor(1, thread_name_prefix="test-early-result") as pool:
        pending = pool.submit(task.result, 60)
        assert client.call_tool("early_answers", {"at_least": 1}).structured_content["result"] >= 1
        assert not pending.done()  # it did not give up on the early answer
        client.call_tool("release", {"name": "early"})
        result = pending.result(60)
    assert result.content[0].text == "released early"
    assert task.status().status == "completed"


def test_wait_and_a_tool_error_through_the_fallback(harness):
    client = _early(harness)
    task = client.call_tool_as_task("block", {"name": "early-wait"}, ttl_ms=60_000)
    with ThreadPoolExecutor(1, thread_name_prefix="test-early-wait") as pool:
        pending = pool.submit(task.wait, 60)
        assert client.call_tool("early_answers", {"at_least": 1}).structured_content["result"] >= 1
        client.call_tool("release", {"name": "early-wait"})
        assert pending.result(60).status == "completed"
    failing = client.call_tool_as_task("boom", {"kind": "mcp"}, ttl_ms=60_000)
    with pytest.raises(McpError) as info:
        failing.result(60)
    assert info.value.code == -32050  # the task's own error, not "not completed yet"


def test_a_cancelled_task_still_fails_at_once(harness):
    client = _early(harness)
    task = client.call_tool_as_task("block", {"name": "early-cancel"}, ttl_ms=60_000)
    assert task.cancel().status == "cancelled"
    with pytest.raises(McpError) as info:
        task.result(30)
    assert info.value.code == -32602
