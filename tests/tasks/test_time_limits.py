"""TaskRunner(time_limit=...) and the Deadlines thread behind it (issue #15, defect 8)."""

from __future__ import annotations

import logging
import threading

import pytest

from mcp_sync.tasks import ANY_OWNER, EXTENSION_WIRE, TaskRunner
from mcp_sync.tasks.deadlines import Deadlines
from mcp_sync.tasks.runner import timed_out_error

from .conftest import call_tool_result

WAIT = 20.0


@pytest.fixture
def runner(store):
    r = TaskRunner(store, max_workers=4)
    try:
        yield r
    finally:
        r.close()


def _waits_for_cancel(seen: threading.Event):
    def work(ctx):
        if ctx.cancelled.wait(WAIT):
            seen.set()
        return call_tool_result("too late")
    return work


def _terminal(store, task_id):
    return store.wait_for(task_id, ANY_OWNER, lambda r: r.is_terminal, timeout=WAIT)


@pytest.mark.parametrize("wire", ["legacy", EXTENSION_WIRE])
def test_work_past_its_limit_fails_as_timed_out_and_is_cancelled(runner, store, wire):
    seen = threading.Event()
    record = runner.submit(_waits_for_cancel(seen), time_limit=0.2, **({} if wire == "legacy" else {"wire": wire}))
    done = _terminal(store, record.task_id)
    assert done.status == "failed" and done.error == timed_out_error(0.2)
    assert done.status_message == timed_out_error(0.2)["message"]
    assert seen.wait(WAIT)
    runner.close()  # waits for the work to return: its late outcome changes nothing
    assert store.get(record.task_id, ANY_OWNER).error == timed_out_error(0.2)


def test_work_that_ends_in_time_keeps_its_result(runner, store):
    record = runner.submit(lambda ctx: call_tool_result("quick"), time_limit=30)
    done = _terminal(store, record.task_id)
    assert done.status == "completed" and done.result == call_tool_result("quick")


def test_waiting_for_input_counts(runner, store):
    seen = threading.Event()

    def work(ctx):
        try:
            ctx.request_input({"q": {"method": "roots/list", "params": {}}})
        except Exception:
            seen.set()
            raise
        return call_tool_result("answered")

    record = runner.submit(work, time_limit=0.2)
    done = _terminal(store, record.task_id)
    assert done.status == "failed" and done.error["message"].startswith("Task timed out")
    assert seen.wait(WAIT)


def test_bad_limits_are_refused_before_any_task_exists(runner, store):
    for bad in (0, -1, "1", True):
        with pytest.raises(ValueError, match="time_limit"):
            runner.submit(lambda ctx: call_tool_result("x"), time_limit=bad)
    assert len(store) == 0


def test_close_cancels_instead_of_timing_out(store):
    runner = TaskRunner(store, max_workers=2)
    seen, started = threading.Event(), threading.Event()
    waits = _waits_for_cancel(seen)

    def work(ctx):
        started.set()
        return waits(ctx)

    record = runner.submit(work, time_limit=60)
    assert started.wait(WAIT)  # running (work still queued at close() would never start)
    runner.close()
    assert store.get(record.task_id, ANY_OWNER).status == "cancelled"
    assert seen.is_set()


def test_ttl_expiry_of_running_work_logs_a_warning(runner, store, caplog):
    caplog.set_level(logging.WARNING, logger="mcp_sync.tasks")
    seen = threading.Event()
    record = runner.submit(_waits_for_cancel(seen), ttl_ms=1000)  # ample time to start before it expires
    assert seen.wait(WAIT)
    [warning] = [r for r in caplog.records if record.task_id[:8] in r.getMessage()]
    assert record.task_id not in warning.getMessage()  # only the first 8 characters of a bearer handle
    assert warning.levelno == logging.WARNING and "expired (TTL 1000 ms)" in warning.getMessage()


def test_deadlines_fire_in_order_once_and_can_be_disarmed():
    fired: list[str] = []
    done = threading.Event()

    def on_expiry(key):
        fired.append(key)
        if key == "last":
            done.set()

    deadlines = Deadlines("test-deadlines", on_expiry)
    try:
        deadlines.add("last", 0.15)
        deadlines.add("first", 0.01)
        deadlines.add("never", 0.05)
        deadlines.discard("never")
        deadlines.add("moved", 0.02)
        deadlines.add("moved", 0.1)  # re-armed: fires once, at the later time
        assert done.wait(WAIT)
        assert fired == ["first", "moved", "last"]
        assert len(deadlines) == 0
    finally:
        deadlines.close()
    assert not deadlines.add("after", 0.01)
