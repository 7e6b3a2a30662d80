"""TTL reaping, a thousand concurrent tasks, and the per-requestor cap."""

from __future__ import annotations

import threading
import time

import pytest

from mcp_sync import McpError
from mcp_sync.tasks import TaskEvent, TaskLimits
from tests.tasks_wire.task_server import LIMITS, build_server


def test_expired_task_is_gone_within_1_5_s_of_its_ttl(harness):
    h = harness()
    client = h.client()
    removed = threading.Event()
    if h.server is not None:  # in process: watch the reaper remove it
        h.server.tasks.store.add_listener(lambda record, event: event == TaskEvent.REMOVED and removed.set())
    started = time.monotonic()
    task = client.call_tool_as_task("echo", {"text": "short-lived"}, ttl_ms=500)
    assert task.ttl == 500
    assert task.result(timeout=30).content[0].text == "short-lived"
    assert client.get_task(task.task_id).status == "completed"
    # expires at +0.5 s; must be gone (from the table, not just hidden) by +2.0 s
    assert client.call_tool("table_size", {"wait_empty": 2.0 - (time.monotonic() - started)}) \
        .structured_content["result"] == 0
    assert time.monotonic() - started < 2.0 + 0.5  # (the tool's own round trip)
    if h.server is not None:
        assert removed.is_set()
    with pytest.raises(McpError) as info:
        client.get_task(task.task_id)
    assert info.value.code == -32602
    assert client.list_tasks() == []


def test_a_thousand_concurrent_tasks(harness):
    h = harness()
    client = h.client(timeout=120)
    count = 1000
    tasks = []
    for wave in range(0, count, 100):  # 100 requests in flight at a time (one HTTP POST thread each)
        created = [client.nowait.call_tool_as_task("block", {"name": f"load-{i % 10}"}, ttl_ms=15_000)
                   for i in range(wave, wave + 100)]
        tasks.extend(future.result(timeout=120) for future in created)
    assert len({t.task_id for t in tasks}) == count
    # all alive at once (none can finish before its gate opens)
    assert len(client.list_tasks()) == count
    for gate in range(10):
        client.call_tool("release", {"name": f"load-{gate}"})
    for wave in range(0, count, 100):
        batch = tasks[wave:wave + 100]
        if wave < 500:  # half through tasks/result...
            futures = [t.result_future() for t in batch]
        else:  # ...half by tasks/get (all are done by now), then their results
            statuses = [client.nowait.get_task(t.task_id) for t in batch]
            assert {f.result(timeout=120).status for f in statuses} == {"completed"}
            futures = [t.result_future() for t in batch]
        for i, future in enumerate(futures, start=wave):
            assert future.result(timeout=120).content[0].text == f"released load-{i % 10}"
    # every task expires 15 s after its creation: the table empties again
    assert client.call_tool("table_size", {"wait_empty": 60.0}).structured_content["result"] == 0
    assert client.list_tasks() == []


def test_active_task_cap_per_requestor(http_harness):
    limits = TaskLimits(max_tasks=None, max_active_per_owner=2, default_ttl_ms=60_000, min_ttl_ms=0,
                        poll_interval_ms=20)
    h = http_harness(server_factory=lambda notify: build_server(notify=notify, limits=limits))
    client = h.client()
    first = client.call_tool_as_task("block", {"name": "cap"})
    client.call_tool_as_task("block", {"name": "cap"})
    with pytest.raises(McpError) as info:
        client.call_tool_as_task("block", {"name": "cap"})
    assert info.value.code == -32600
    other = h.client()  # the cap is per requestor
    other.call_tool_as_task("echo", {"text": "fine"}).result(timeout=30)
    first.cancel()
    client.call_tool_as_task("echo", {"text": "room again"}).result(timeout=30)
    client.call_tool("release", {"name": "cap"})
    assert LIMITS.page_size == 5
