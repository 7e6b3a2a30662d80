"""InMemoryTaskStore: records, transitions, expiry, waits, listing, owner binding, close."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from mcp_sync.errors import INVALID_PARAMS
from mcp_sync.tasks import (
    ANY_OWNER,
    InMemoryTaskStore,
    InvalidCursor,
    InvalidTransition,
    Signal,
    TaskEvent,
    TaskLimits,
    TaskNotFound,
    TaskStoreClosed,
    TaskWaitCancelled,
    TaskWaitTimeout,
)
from mcp_sync.tasks.ids import new_task_id

from .conftest import TEST_LIMITS, call_tool_result

OK = call_tool_result("ok")
BOOM = {"code": -32000, "message": "boom", "data": {"why": "test"}}


def removal_waiter(store, count=1):
    """An Event set once ``count`` tasks were removed, and the removal times."""
    done = threading.Event()
    times: dict[str, float] = {}
    lock = threading.Lock()

    def listener(record, event):
        if event == TaskEvent.REMOVED:
            with lock:
                times[record.task_id] = time.monotonic()
                if len(times) >= count:
                    done.set()

    store.add_listener(listener)
    return done, times


# -- records and ids -----------------------------------------------------------

def test_create_defaults(store):
    before = time.time()
    record = store.create("alice", "tools/call")
    assert record.status == "working" and record.method == "tools/call"
    assert record.owner == "alice"
    assert record.ttl_ms == TEST_LIMITS.default_ttl_ms
    assert record.poll_interval_ms == TEST_LIMITS.poll_interval_ms
    assert before <= record.created_at == record.last_updated_at <= time.time()
    assert record.result is None and record.error is None
    assert store.get(record.task_id, "alice") is record
    assert len(store) == 1


def test_task_ids_are_unguessable_and_unique():
    ids = {new_task_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    sample = next(iter(ids))
    assert len(sample) >= 22  # 16 bytes of token_urlsafe = 128 bits
    assert set("".join(ids)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_")


def test_records_are_copy_on_write(store):
    first = store.create(None, "tools/call")
    second = store.update_status(first.task_id, "working", status_message="step 1")
    assert first.status_message is None and second.status_message == "step 1"
    assert second.version == first.version + 1
    assert second is not first


def test_iso_timestamps():
    from mcp_sync.tasks import iso_utc
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1764066600.123) == "2025-11-25T10:30:00.123Z"
    assert iso_utc(1764066600.9999) == "2025-11-25T10:30:00.999Z"


# -- transitions through the store ---------------------------------------------

def test_legal_store_transitions(store):
    rec = store.create("o", "tools/call")
    rec = store.update_status(rec.task_id, "input_required",
                              input_requests={"k": {"method": "roots/list"}})
    assert rec.status == "input_required" and rec.input_requests == {"k": {"method": "roots/list"}}
    rec = store.update_status(rec.task_id, "working")
    assert rec.status == "working" and rec.input_requests is None
    rec = store.set_result(rec.task_id, "completed", result=OK)
    assert rec.status == "completed" and rec.result == OK

    for finish in ("completed", "failed", "cancelled"):
        for via_input in (False, True):
            rec = store.create("o", "tools/call")
            if via_input:
                store.update_status(rec.task_id, "input_required", input_requests={})
            if finish == "completed":
                rec = store.set_result(rec.task_id, finish, result=OK)
            elif finish == "failed":
                rec = store.set_result(rec.task_id, finish, error=BOOM)
            else:
                rec = store.cancel(rec.task_id, "o")
            assert rec.status == finish and rec.is_terminal
            assert rec.input_requests is None


@pytest.mark.parametrize("terminal", ["completed", "failed", "cancelled"])
def test_terminal_tasks_never_change(store, terminal):
    rec = store.create("o", "tools/call")
    if terminal == "completed":
        final = store.set_result(rec.task_id, "completed", result=OK)
    elif terminal == "failed":
        final = store.set_result(rec.task_id, "failed", error=BOOM)
    else:
        final = store.cancel(rec.task_id, "o")
    tid = rec.task_id
    for status in ("working", "input_required"):
        with pytest.raises(InvalidTransition) as info:
            store.update_status(tid, status)
        assert info.value.current == terminal
    with pytest.raises(InvalidTransition):
        store.cancel(tid, "o")
    if terminal == "cancelled":  # a late outcome is dropped silently
        assert store.set_result(tid, "completed", result=OK) is final
        assert store.set_result(tid, "failed", error=BOOM) is final
    else:
        with pytest.raises(InvalidTransition):
            store.set_result(tid, "completed", result=OK)
        with pytest.raises(InvalidTransition):
            store.set_result(tid, "failed", error=BOOM)
    assert store.submit_input(tid, "o", {"k": {}}) == []
    assert store.get(tid, "o") is final


def test_update_status_rejects_terminal_targets(store):
    rec = store.create("o", "tools/call")
    for status in ("completed", "failed", "cancelled", "bogus"):
        with pytest.raises(ValueError):
            store.update_status(rec.task_id, status)


def test_set_result_validates_payloads(store):
    tid = store.create("o", "tools/call").task_id
    with pytest.raises(ValueError):
        store.set_result(tid, "completed")
    with pytest.raises(ValueError):
        store.set_result(tid, "failed")
    with pytest.raises(ValueError):
        store.set_result(tid, "failed", error={"code": "x", "message": "m"})
    with pytest.raises(ValueError):
        store.set_result(tid, "working", result=OK)
    assert store.get(tid, "o").status == "working"
    # a 2025-11-25 isError tool result fails the task but keeps the result
    rec = store.set_result(tid, "failed", result=call_tool_result("bad", is_error=True))
    assert rec.status == "failed" and rec.error is None and rec.result["isError"] is True


# -- TTL and the reaper ----------------------------------------------------------

def test_task_gone_within_bound_after_expiry(store):
    done, times = removal_waiter(store)
    rec = store.create("o", "tools/call", ttl_ms=500)
    assert rec.ttl_ms == 500
    assert done.wait(5), "the reaper never removed the task"
    removed_at = times[rec.task_id]
    assert removed_at >= rec.deadline  # never before its time
    assert removed_at - rec.deadline < 1.5
    assert len(store) == 0
    with pytest.raises(TaskNotFound):
        store.get(rec.task_id, "o")


def test_ttl_counts_from_creation_not_completion(store):
    done, times = removal_waiter(store)
    rec = store.create("o", "tools/call", ttl_ms=600)
    final = store.set_result(rec.task_id, "completed", result=OK)
    assert final.deadline == rec.deadline and final.ttl_ms == 600
    assert done.wait(5)
    assert times[rec.task_id] - rec.deadline < 1.5


def test_expired_task_is_not_found_even_before_reaping():
    store = InMemoryTaskStore(TEST_LIMITS)
    try:
        rec = store.create("o", "tools/call", ttl_ms=0)  # deadline = creation time
        assert len(store) <= 1
        with pytest.raises(TaskNotFound):
            store.get(rec.task_id, "o")
        assert store.list_page("o").tasks == []
    finally:
        store.close()


def test_expire_removes_in_batches_and_skips_stale_entries():
    store = InMemoryTaskStore(TEST_LIMITS, reap_batch=7)
    try:
        recs = [store.create("o", "tools/call", ttl_ms=60_000) for _ in range(50)]
        for rec in recs[:10]:
            assert store.delete(rec.task_id)
        assert store.expire(now=time.monotonic()) == 0
        assert store.expire(now=time.monotonic() + 120) == 40
        assert len(store) == 0 and store._heap == []
    finally:
        store.close()


def test_early_expiry_rearms_the_reaper(store):
    store.create("o", "tools/call", ttl_ms=600_000)  # reaper now sleeps ~10 min
    done, times = removal_waiter(store)
    short = store.create("o", "tools/call", ttl_ms=200)
    assert done.wait(5)
    assert times[short.task_id] - short.deadline < 1.5
    assert len(store) == 1


def test_unlimited_ttl_never_expires():
    store = InMemoryTaskStore(TaskLimits(default_ttl_ms=None, max_ttl_ms=None))
    try:
        rec = store.create("o", "tools/call")
        assert rec.ttl_ms is None and rec.deadline is None
        assert store.expire(now=time.monotonic() + 10 ** 9) == 0
        assert store._reaper is None  # started lazily: nothing to reap, no thread
    finally:
        store.close()


def test_reaper_thread_is_named_and_joined_on_close():
    store = InMemoryTaskStore(TEST_LIMITS)
    store.create("o", "tools/call", ttl_ms=10_000)
    reaper = store._reaper
    assert reaper is not None and reaper.is_alive()
    assert reaper.name == "mcp-sync-task-reaper"
    store.close()
    assert not reaper.is_alive()
    assert "mcp-sync-task-reaper" not in {t.name for t in threading.enumerate()}
    store.close()  # idempotent
    with pytest.raises(TaskStoreClosed):
        store.create("o", "tools/call")


def test_start_starts_the_reaper_eagerly():
    store = InMemoryTaskStore(TEST_LIMITS).start()
    try:
        assert store._reaper is not None and store._reaper.is_alive()
    finally:
        store.close()
    assert not store._reaper.is_alive()


def test_expiry_frees_active_slots():
    limits = TaskLimits(max_active_per_owner=1, min_ttl_ms=0)
    with InMemoryTaskStore(limits) as store:
        done, _ = removal_waiter(store)
        store.create("o", "tools/call", ttl_ms=100)
        assert done.wait(5)
        store.create("o", "tools/call")  # the expired working task no longer counts


# -- waiting -----------------------------------------------------------------------

def test_wait_terminal_returns_when_finished(store):
    tid = store.create("o", "tools/call").task_id
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_terminal, tid, "o", timeout=10)
        store.update_status(tid, "input_required", input_requests={})  # not terminal yet
        store.update_status(tid, "working")
        assert not fut.done()
        store.set_result(tid, "completed", result=OK)
        assert fut.result(timeout=5).status == "completed"
    assert not store._waiters


def test_wait_terminal_on_terminal_task_returns_at_once(store):
    tid = store.create("o", "tools/call").task_id
    store.cancel(tid, "o")
    assert store.wait_terminal(tid, "o").status == "cancelled"


def test_wait_timeout(store):
    tid = store.create("o", "tools/call").task_id
    with pytest.raises(TaskWaitTimeout):
        store.wait_terminal(tid, "o", timeout=0.05)
    assert not store._waiters


@pytest.mark.parametrize("kind", ["signal", "future"])
def test_wait_is_woken_by_cancel_signal(store, kind):
    tid = store.create("o", "tools/call").task_id
    cancel = Signal() if kind == "signal" else Future()
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_terminal, tid, "o", cancel=cancel)
        assert not fut.done()
        if kind == "signal":
            cancel.set()
        else:
            cancel.set_result(None)
        with pytest.raises(TaskWaitCancelled):
            fut.result(timeout=5)
    assert store.get(tid, "o").status == "working"  # the task itself is untouched
    assert not store._waiters


def test_plain_event_cancel_is_seen_at_the_next_change(store):
    tid = store.create("o", "tools/call").task_id
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TaskWaitCancelled):
        store.wait_terminal(tid, "o", cancel=cancel)


def test_wait_raises_not_found_when_task_removed(store):
    tid = store.create("o", "tools/call", ttl_ms=300).task_id
    with pytest.raises(TaskNotFound):
        store.wait_terminal(tid, "o", timeout=10)  # woken by the reaper at expiry
    tid = store.create("o", "tools/call").task_id
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_terminal, tid, "o")
        assert not fut.done()
        store.delete(tid)
        with pytest.raises(TaskNotFound):
            fut.result(timeout=5)


def test_close_wakes_waiters():
    store = InMemoryTaskStore(TEST_LIMITS)
    tid = store.create("o", "tools/call").task_id
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_terminal, tid, "o")
        assert not fut.done()
        store.close()
        with pytest.raises(TaskStoreClosed):
            fut.result(timeout=5)


def test_wait_for_predicate_runs_outside_the_lock(store):
    tid = store.create("o", "tools/call").task_id
    seen = []

    def predicate(record):
        seen.append(store.get(record.task_id, "o").version)  # would deadlock under the lock
        return record.status_message == "go"

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", predicate, timeout=10)
        store.update_status(tid, "working", status_message="not yet")
        store.update_status(tid, "working", status_message="go")
        assert fut.result(timeout=5).status_message == "go"
    assert seen


# -- listeners ------------------------------------------------------------------------

def test_listeners_see_every_change_outside_the_lock(store):
    events = []

    def listener(record, event):
        store.get(record.task_id, ANY_OWNER) if event != TaskEvent.REMOVED else None
        events.append((event, record.status))

    remove = store.add_listener(listener)
    tid = store.create("o", "tools/call").task_id
    store.update_status(tid, "working", status_message="m")
    store.update_status(tid, "input_required", input_requests={"a": {"method": "roots/list"}})
    store.submit_input(tid, "o", {"a": {"roots": []}})
    store.update_status(tid, "working")
    store.set_result(tid, "completed", result=OK)
    store.delete(tid)
    assert events == [("created", "working"), ("updated", "working"),
                      ("status", "input_required"), ("updated", "input_required"),
                      ("status", "working"), ("status", "completed"), ("removed", "completed")]
    remove()
    store.create("o", "tools/call")
    assert len(events) == 7


def test_failing_listener_does_not_break_the_store(store, caplog):
    store.add_listener(lambda record, event: 1 / 0)
    rec = store.create("o", "tools/call")
    assert store.get(rec.task_id, "o") is rec
    assert "task listener" in caplog.text


# -- input -------------------------------------------------------------------------------

def test_submit_input_accepts_only_outstanding_keys(store):
    tid = store.create("o", "tools/call").task_id
    assert store.submit_input(tid, "o", {"a": 1}) == []  # not input_required
    store.update_status(tid, "input_required", input_requests={"a": {"method": "roots/list"},
                                                               "b": {"method": "roots/list"}})
    assert store.submit_input(tid, "o", {"a": {"roots": []}, "zzz": 1}) == ["a"]
    rec = store.get(tid, "o")
    assert rec.status == "input_required"  # partial answer
    assert set(rec.input_requests) == {"b"} and rec.input_responses == {"a": {"roots": []}}
    assert store.submit_input(tid, "o", {"a": {"roots": [1]}}) == []  # already answered
    assert store.get(tid, "o").input_responses == {"a": {"roots": []}}
    assert store.submit_input(tid, "o", {"b": {"roots": []}}) == ["b"]
    with pytest.raises(TypeError):
        store.submit_input(tid, "o", ["a"])


# -- owner binding ------------------------------------------------------------------------

def _not_found(fn, *args, **kwargs):
    with pytest.raises(TaskNotFound) as info:
        fn(*args, **kwargs)
    return (info.value.code, info.value.message, info.value.data)


def test_other_owners_get_exactly_not_found(store):
    tid = store.create("alice", "tools/call").task_id
    store.update_status(tid, "input_required", input_requests={"k": {"method": "roots/list"}})
    missing = _not_found(store.get, "no-such-task", "alice")
    assert missing == (INVALID_PARAMS, "Task not found", None)
    assert _not_found(store.get, tid, "mallory") == missing
    assert _not_found(store.get, tid, None) == missing
    assert _not_found(store.cancel, tid, "mallory") == missing
    assert _not_found(store.submit_input, tid, "mallory", {"k": 1}) == missing
    assert _not_found(store.wait_terminal, tid, "mallory", timeout=1) == missing
    assert _not_found(store.get, 12345, "alice") == missing  # non-string ids too
    assert store.delete(tid, "mallory") is False
    assert store.list_page("mallory").tasks == []
    rec = store.get(tid, "alice")
    assert rec.status == "input_required" and rec.input_responses is None


# -- listing ---------------------------------------------------------------------------

def test_list_pages_in_creation_order(store):
    ids = [store.create("o", "tools/call").task_id for _ in range(25)]
    store.create("other", "tools/call")
    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_page("o", cursor)
        pages += 1
        seen += [r.task_id for r in page.tasks]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids and pages == 3


def test_exact_page_multiple_has_no_trailing_cursor(store):
    for _ in range(20):
        store.create("o", "tools/call")
    first = store.list_page("o")
    second = store.list_page("o", first.next_cursor)
    assert len(second.tasks) == 10 and second.next_cursor is None


def test_cursor_survives_deletions(store):
    ids = [store.create("o", "tools/call").task_id for _ in range(30)]
    page = store.list_page("o")
    assert [r.task_id for r in page.tasks] == ids[:10]
    store.delete(ids[9])   # the cursor's own task
    store.delete(ids[10])  # the next one
    store.delete(ids[3])   # an already-listed one
    page = store.list_page("o", page.next_cursor)
    assert [r.task_id for r in page.tasks] == ids[11:21]


def test_list_index_compacts_and_stays_correct():
    with InMemoryTaskStore(TaskLimits(max_tasks=None, max_active_per_owner=None,
                                      page_size=50)) as store:
        ids = [store.create("o", "tools/call").task_id for _ in range(2_000)]
        for tid in ids[:1_200]:          # front: trimmed
            store.delete(tid)
        for tid in ids[1_200::2]:         # middle holes: compacted
            store.delete(tid)
        index = store._owners["o"]
        assert len(index.ids) - index.head - index.dead == 400
        assert len(index.ids) < 1_000
        live, cursor = [], None
        while True:
            page = store.list_page("o", cursor)
            live += [r.task_id for r in page.tasks]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert live == ids[1_201::2]
        for tid in live:
            store.delete(tid)
        assert "o" not in store._owners


@pytest.mark.parametrize("cursor", ["", "garbage", "AAAAAAAAAAAA", "!!!!!!!!!!!!", 42,
                                    "AQAAAAAAAAAB==", "AgAAAAAAAAAB"])
def test_bad_cursor(store, cursor):
    store.create("o", "tools/call")
    with pytest.raises(InvalidCursor) as info:
        store.list_page("o", cursor)
    assert info.value.code == INVALID_PARAMS


def test_list_page_limit_argument(store):
    for _ in range(5):
        store.create("o", "tools/call")
    assert len(store.list_page("o", limit=2).tasks) == 2
    with pytest.raises(ValueError):
        store.list_page("o", limit=0)
    with pytest.raises(ValueError):
        store.list_page(ANY_OWNER)


def test_concurrent_writers_keep_counts_consistent(store):
    def worker(n):
        for i in range(200):
            rec = store.create(f"owner{n % 4}", "tools/call")
            if i % 3 == 0:
                store.cancel(rec.task_id, f"owner{n % 4}")
            elif i % 3 == 1:
                store.set_result(rec.task_id, "completed", result=OK)
            else:
                store.delete(rec.task_id)

    threads = [threading.Thread(target=worker, args=(n,), name=f"writer-{n}") for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept_per_worker = sum(1 for i in range(200) if i % 3 != 2)
    assert len(store) == 8 * kept_per_worker
    assert store._active == {}
    total = sum(len(_all(store, f"owner{k}")) for k in range(4))
    assert total == len(store)


def _all(store, owner):
    out, cursor = [], None
    while True:
        page = store.list_page(owner, cursor)
        out += page.tasks
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor
