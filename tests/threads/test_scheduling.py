"""mcp_sync.scheduling: the process-wide timer and the in-order queue on a pool (no sleeps, no timings)."""

from __future__ import annotations

import threading

import pytest

from mcp_sync.scheduling import SerialQueue, Timer
from mcp_sync.session import HandlerPool


def test_timer_runs_calls_in_time_order_on_one_named_thread():
    timer = Timer(name="test-timer", linger=0.0)
    ran: list[tuple[str, str]] = []
    done = threading.Event()
    timer.call_later(0.03, lambda: (ran.append(("late", threading.current_thread().name)), done.set()))
    timer.call_later(0.0, lambda: ran.append(("early", threading.current_thread().name)))
    assert done.wait(10)
    assert ran == [("early", "test-timer"), ("late", "test-timer")]
    timer.release_if_idle()
    assert timer.thread() is None and timer.scheduled() == 0


def test_cancelled_calls_never_run_and_an_idle_timer_can_be_released():
    timer = Timer(name="test-timer-cancel", linger=60.0)
    ran: list[str] = []
    handle = timer.call_later(30.0, ran.append, "cancelled")
    assert handle.pending and timer.scheduled() == 1
    assert handle.cancel() is True and handle.cancel() is False
    assert timer.scheduled() == 0
    thread = timer.thread()
    assert thread is not None and thread.is_alive()  # it lingers (60 s) ...
    timer.release_if_idle()  # ... unless released: then it exits at once and is joined
    assert not thread.is_alive() and timer.thread() is None
    assert ran == []


def test_release_leaves_a_timer_with_work_running_until_it_is_idle():
    timer = Timer(name="test-timer-busy", linger=60.0)
    fired = threading.Event()
    handle = timer.call_later(30.0, fired.set)
    thread = timer.thread()
    timer.release_if_idle()  # something far off is scheduled: the thread stays for it
    assert timer.thread() is thread and thread.is_alive()
    handle.cancel()  # idle now: released, it leaves without lingering its 60 s
    timer.release_if_idle()  # joins it
    assert timer.thread() is None and not thread.is_alive() and not fired.is_set()


def test_release_waits_for_calls_due_soon():
    timer = Timer(name="test-timer-soon", linger=60.0)
    fired = threading.Event()
    timer.call_later(0.01, fired.set)  # like a pool's deferred start, 1 ms
    thread = timer.thread()
    timer.release_if_idle()  # waits for it, then joins the thread
    assert fired.is_set() and not thread.is_alive()


def test_a_failing_callback_does_not_stop_the_timer():
    timer = Timer(name="test-timer-fail", linger=0.0)
    done = threading.Event()
    timer.call_later(0.0, lambda: 1 / 0)
    timer.call_later(0.0, done.set)
    assert done.wait(10)
    timer.release_if_idle()


def test_serial_queue_runs_in_order_one_at_a_time_on_the_pool():
    pool = HandlerPool(4, thread_name_prefix="test-serial-worker")
    queue = SerialQueue(pool)
    seen: list[int] = []
    active = [0]
    overlap = []
    lock = threading.Lock()
    done = threading.Event()

    def item(i: int) -> None:
        with lock:
            active[0] += 1
            overlap.append(active[0])
        seen.append(i)
        with lock:
            active[0] -= 1
        if i == 199:
            done.set()

    try:
        for i in range(200):
            queue.submit(item, i)
        assert done.wait(10)
        assert seen == list(range(200)) and max(overlap) == 1
    finally:
        pool.close()
    assert all(not t.is_alive() for t in pool.threads())


def test_serial_queue_cancel_returns_what_must_still_run():
    gate = threading.Event()
    started = threading.Event()
    pool = HandlerPool(1, thread_name_prefix="test-serial-cancel")
    queue = SerialQueue(pool)
    ran: list[str] = []

    def block() -> None:
        started.set()
        gate.wait(10)

    try:
        queue.submit(block)
        assert started.wait(10)
        queue.submit(ran.append, "dropped")
        queue.submit(ran.append, "must", must_run=True)
        must = queue.cancel()
        with pytest.raises(RuntimeError):
            queue.submit(ran.append, "late")
        gate.set()
        for fn in must:
            fn()
    finally:
        gate.set()
        pool.close()
    assert ran == ["must"]
