"""The TaskStore contract: behaviour every store must share (memory, SQLite, Redis).

Every test takes the ``kit`` fixture (or ``store``, made by it), parametrized over
the store kinds in ``conftest.py``; ``test_contract.py`` collects them. Tests here
use only the public interface: records are compared field by field (durable stores
return fresh objects, not the same one), and times are read with ``kit.clock``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from mcp_sync.errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST
from mcp_sync.tasks import (
    ANY_OWNER,
    InvalidCursor,
    InvalidTransition,
    Signal,
    TaskEvent,
    TaskLimitError,
    TaskLimits,
    TaskNotFound,
    TaskRecord,
    TaskRunner,
    TaskStoreClosed,
    TaskWaitCancelled,
    TaskWaitTimeout,
)

from .conftest import TEST_LIMITS, call_tool_result

OK = call_tool_result("ok")
BOOM = {"code": -32000, "message": "boom", "data": {"why": "test"}}


def same(a: TaskRecord, b: TaskRecord) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in TaskRecord.__slots__)


def removal_waiter(store, count=1):
    """An Event set once ``count`` tasks were removed, and the wall-clock removal times."""
    done = threading.Event()
    times: dict[str, float] = {}
    lock = threading.Lock()

    def listener(record, event):
        if event == TaskEvent.REMOVED:
            with lock:
                times[record.task_id] = time.time()
                if len(times) >= count:
                    done.set()

    store.add_listener(listener)
    return done, times


def _all(store, owner):
    out, cursor = [], None
    while True:
        page = store.list_page(owner, cursor)
        out += page.tasks
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


# -- records ----------------------------------------------------------------------------

def test_create_defaults(store):
    before = time.time()
    record = store.create("alice", "tools/call")
    after = time.time()
    assert record.status == "working" and record.method == "tools/call"
    assert record.owner == "alice" and record.version == 1
    assert record.ttl_ms == TEST_LIMITS.default_ttl_ms
    assert record.poll_interval_ms == TEST_LIMITS.poll_interval_ms
    assert before - 0.001 <= record.created_at == record.last_updated_at <= after + 0.001
    assert record.result is None and record.error is None and record.status_message is None
    assert same(store.get(record.task_id, "alice"), record)
    assert len(store) == 1


def test_create_with_options_and_null_owner(store):
    record = store.create(None, "sampling/createMessage", ttl_ms=5_000, poll_interval_ms=42,
                          status_message="starting")
    got = store.get(record.task_id, None)
    assert same(got, record)
    assert got.owner is None and got.ttl_ms == 5_000 and got.poll_interval_ms == 42
    assert got.status_message == "starting" and got.method == "sampling/createMessage"
    assert [r.task_id for r in store.list_page(None).tasks] == [record.task_id]


def test_records_are_copy_on_write(store):
    first = store.create(None, "tools/call")
    second = store.update_status(first.task_id, "working", status_message="step 1")
    assert first.status_message is None and second.status_message == "step 1"
    assert second.version == first.version + 1
    assert second is not first
    assert same(store.get(first.task_id, None), second)


def test_payloads_round_trip(store):
    result = {"content": [{"type": "text", "text": "h\u00e9llo \u2603 \U0001F600 \"q\" \\ /"}],
              "structuredContent": {"n": 12345678901234567, "f": 0.1, "t": True, "z": None,
                                    "list": [1, [2, {"deep": []}]], "empty": {}}}
    tid = store.create("o", "tools/call").task_id
    store.update_status(tid, "input_required",
                        input_requests={"k1": {"method": "elicitation/create",
                                               "params": {"message": "\u00bfs\u00ed?"}}})
    assert store.submit_input(tid, "o", {"k1": {"action": "accept", "content": {"x": 1}}}) == ["k1"]
    rec = store.get(tid, "o")
    assert rec.input_responses == {"k1": {"action": "accept", "content": {"x": 1}}}
    assert rec.input_requests == {}
    store.update_status(tid, "working")
    final = store.set_result(tid, "completed", result=result, status_message="done \u2713")
    got = store.get(tid, "o")
    assert got.result == result and got.status_message == "done \u2713"
    assert same(got, final)


# -- transitions ---------------------------------------------------------------------------

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
                rec = store.cancel(rec.task_id, "o", status_message="stop")
            assert rec.status == finish and rec.is_terminal
            assert rec.input_requests is None
            assert same(store.get(rec.task_id, "o"), rec)


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
        assert same(store.set_result(tid, "completed", result=OK), final)
        assert same(store.set_result(tid, "failed", error=BOOM), final)
    else:
        with pytest.raises(InvalidTransition):
            store.set_result(tid, "completed", result=OK)
        with pytest.raises(InvalidTransition):
            store.set_result(tid, "failed", error=BOOM)
    assert store.submit_input(tid, "o", {"k": {}}) == []
    assert same(store.get(tid, "o"), final)


def test_update_status_rejects_terminal_targets(store):
    rec = store.create("o", "tools/call")
    for status in ("completed", "failed", "cancelled", "bogus"):
        with pytest.raises(ValueError):
            store.update_status(rec.task_id, status)
    assert same(store.get(rec.task_id, "o"), rec)


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
    rec = store.set_result(tid, "failed", result=call_tool_result("bad", is_error=True))
    assert rec.status == "failed" and rec.error is None and rec.result["isError"] is True
    assert store.get(tid, "o").result == call_tool_result("bad", is_error=True)


def test_unknown_ids_are_not_found_for_every_operation(store):
    for fn, args in ((store.get, ("nope", "o")), (store.cancel, ("nope", "o")),
                     (store.submit_input, ("nope", "o", {"k": 1})),
                     (store.update_status, ("nope", "working")),
                     (store.set_result, ("nope", "completed")),
                     (store.wait_terminal, ("nope", "o"))):
        kwargs = {"result": OK} if fn == store.set_result else {}
        with pytest.raises(TaskNotFound):
            fn(*args, **kwargs)
    assert store.delete("nope") is False


# -- TTL and the reaper ----------------------------------------------------------------

def test_task_gone_within_bound_after_expiry(store):
    done, times = removal_waiter(store)
    rec = store.create("o", "tools/call", ttl_ms=500)
    assert rec.ttl_ms == 500
    assert done.wait(5), "the reaper never removed the task"
    expires_at = rec.created_at + 0.5  # wall clock
    removed_at = times[rec.task_id]
    assert removed_at >= expires_at - 0.01  # never before its time
    assert removed_at - expires_at < 1.5
    assert len(store) == 0
    with pytest.raises(TaskNotFound):
        store.get(rec.task_id, "o")
    assert store.list_page("o").tasks == []


def test_ttl_counts_from_creation_not_completion(store):
    done, times = removal_waiter(store)
    rec = store.create("o", "tools/call", ttl_ms=600)
    final = store.set_result(rec.task_id, "completed", result=OK)
    assert final.deadline == rec.deadline and final.ttl_ms == 600
    assert done.wait(5)
    assert times[rec.task_id] - (rec.created_at + 0.6) < 1.5


def test_expired_task_is_not_found_even_before_reaping(store):
    rec = store.create("o", "tools/call", ttl_ms=0)  # deadline = creation time
    with pytest.raises(TaskNotFound):
        store.get(rec.task_id, "o")
    with pytest.raises(TaskNotFound):
        store.cancel(rec.task_id, "o")
    assert store.list_page("o").tasks == []


def test_expire_removes_in_batches(kit):
    store = kit.make(reap_batch=7)
    recs = [store.create("o", "tools/call", ttl_ms=60_000) for _ in range(50)]
    for rec in recs[:10]:
        assert store.delete(rec.task_id)
    assert store.expire(now=kit.clock()) == 0
    assert store.expire(now=kit.clock() + 120) == 40
    assert len(store) == 0
    assert store.list_page("o").tasks == []


def test_early_expiry_rearms_the_reaper(store):
    store.create("o", "tools/call", ttl_ms=600_000)  # the reaper now sleeps ~10 min
    done, times = removal_waiter(store)
    short = store.create("o", "tools/call", ttl_ms=200)
    assert done.wait(5)
    assert times[short.task_id] - (short.created_at + 0.2) < 1.5
    assert len(store) == 1


def test_unlimited_ttl_never_expires(kit):
    store = kit.make(TaskLimits(default_ttl_ms=None, max_ttl_ms=None))
    rec = store.create("o", "tools/call")
    assert rec.ttl_ms is None and rec.deadline is None
    assert store.expire(now=kit.clock() + 10 ** 6) == 0
    assert same(store.get(rec.task_id, "o"), rec)


def test_background_threads_are_named_and_joined_on_close(kit):
    store = kit.make()
    store.create("o", "tools/call", ttl_ms=10_000)
    ours = [t for t in threading.enumerate() if t.name.startswith("mcp-sync-task-")]
    assert ours and all(t.is_alive() for t in ours)
    store.close()
    assert not any(t.is_alive() for t in ours)
    store.close()  # idempotent
    with pytest.raises(TaskStoreClosed):
        store.create("o", "tools/call")


def test_start_is_eager_and_close_joins(kit):
    before = set(threading.enumerate())
    store = kit.make().start()
    started = [t for t in threading.enumerate() if t not in before]
    assert started and all(t.name.startswith("mcp-sync-task-") for t in started)
    store.close()
    assert not any(t.is_alive() for t in started)


def test_expiry_frees_active_slots(kit):
    store = kit.make(TaskLimits(max_active_per_owner=1, min_ttl_ms=0))
    done, _ = removal_waiter(store)
    store.create("o", "tools/call", ttl_ms=100)
    assert done.wait(5)
    store.create("o", "tools/call")  # the expired working task no longer counts


# -- waiting ----------------------------------------------------------------------------------

def test_wait_terminal_returns_when_finished(store):
    tid = store.create("o", "tools/call").task_id
    started = threading.Event()

    def waiting(record):
        started.set()
        return record.is_terminal

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", waiting, timeout=10)
        assert started.wait(5)
        store.update_status(tid, "input_required", input_requests={})  # not terminal yet
        store.update_status(tid, "working")
        assert not fut.done()
        store.set_result(tid, "completed", result=OK)
        assert fut.result(timeout=5).status == "completed"


def test_wait_terminal_on_terminal_task_returns_at_once(store):
    tid = store.create("o", "tools/call").task_id
    store.cancel(tid, "o")
    assert store.wait_terminal(tid, "o").status == "cancelled"


def test_wait_timeout(store):
    tid = store.create("o", "tools/call").task_id
    with pytest.raises(TaskWaitTimeout):
        store.wait_terminal(tid, "o", timeout=0.05)
    assert store.get(tid, "o").status == "working"


@pytest.mark.parametrize("kind", ["signal", "future"])
def test_wait_is_woken_by_cancel_signal(store, kind):
    tid = store.create("o", "tools/call").task_id
    cancel = Signal() if kind == "signal" else Future()
    started = threading.Event()

    def waiting(record):
        started.set()
        return record.is_terminal

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", waiting, cancel=cancel)
        assert started.wait(5)
        assert not fut.done()
        if kind == "signal":
            cancel.set()
        else:
            cancel.set_result(None)
        with pytest.raises(TaskWaitCancelled):
            fut.result(timeout=5)
    assert store.get(tid, "o").status == "working"  # the task itself is untouched


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
    started = threading.Event()

    def waiting(record):
        started.set()
        return record.is_terminal

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", waiting)
        assert started.wait(5)
        assert not fut.done()
        store.delete(tid)
        with pytest.raises(TaskNotFound):
            fut.result(timeout=5)


def test_close_wakes_waiters(kit):
    store = kit.make()
    tid = store.create("o", "tools/call").task_id
    started = threading.Event()

    def waiting(record):
        started.set()
        return False

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", waiting)
        assert started.wait(5)
        store.close()
        with pytest.raises(TaskStoreClosed):
            fut.result(timeout=5)
    with pytest.raises(TaskStoreClosed):
        store.wait_terminal(tid, "o")


def test_wait_for_predicate_runs_outside_the_lock(store):
    tid = store.create("o", "tools/call").task_id
    seen = []

    def predicate(record):
        seen.append(store.get(record.task_id, "o").version)  # would deadlock under a lock
        return record.status_message == "go"

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", predicate, timeout=10)
        store.update_status(tid, "working", status_message="not yet")
        store.update_status(tid, "working", status_message="go")
        assert fut.result(timeout=5).status_message == "go"
    assert seen


def test_many_waiters_on_one_task_all_wake(store):
    tid = store.create("o", "tools/call").task_id
    with ThreadPoolExecutor(8, thread_name_prefix="test-pool") as pool:
        futures = [pool.submit(store.wait_terminal, tid, "o", timeout=10) for _ in range(8)]
        store.set_result(tid, "completed", result=OK)
        assert all(f.result(timeout=10).status == "completed" for f in futures)


# -- listeners --------------------------------------------------------------------------------

def test_listeners_see_every_change_outside_the_lock(store):
    events = []

    def listener(record, event):
        if event != TaskEvent.REMOVED:
            store.get(record.task_id, ANY_OWNER)  # would deadlock under a lock
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
    assert same(store.get(rec.task_id, "o"), rec)
    assert "task listener" in caplog.text


# -- input --------------------------------------------------------------------------------------

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


# -- owner binding -----------------------------------------------------------------------------

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
    assert store.list_page(None).tasks == []
    rec = store.get(tid, "alice")
    assert rec.status == "input_required" and rec.input_responses is None


# -- listing -------------------------------------------------------------------------------------

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
        assert isinstance(page.next_cursor, str)
        cursor = page.next_cursor
    assert seen == ids and pages == 3


def test_exact_page_multiple_has_no_trailing_cursor(store):
    for _ in range(20):
        store.create("o", "tools/call")
    first = store.list_page("o")
    second = store.list_page("o", first.next_cursor)
    assert len(second.tasks) == 10 and second.next_cursor is None


def test_cursor_survives_deletions_and_new_tasks(store):
    ids = [store.create("o", "tools/call").task_id for _ in range(30)]
    page = store.list_page("o")
    assert [r.task_id for r in page.tasks] == ids[:10]
    store.delete(ids[9])   # the cursor's own task
    store.delete(ids[10])  # the next one
    store.delete(ids[3])   # an already-listed one
    later = store.create("o", "tools/call").task_id
    again = store.list_page("o", page.next_cursor)
    assert [r.task_id for r in again.tasks] == ids[11:21]
    assert [r.task_id for r in _all(store, "o")] == [i for i in ids if i not in
                                                      (ids[3], ids[9], ids[10])] + [later]


def test_listing_after_many_deletions_stays_correct(kit):
    store = kit.make(TaskLimits(max_tasks=None, max_active_per_owner=None, page_size=50))
    ids = [store.create("o", "tools/call").task_id for _ in range(600)]
    for tid in ids[:350]:
        store.delete(tid)
    for tid in ids[350::2]:
        store.delete(tid)
    assert [r.task_id for r in _all(store, "o")] == ids[351::2]
    assert len(store) == 125


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


def test_concurrent_writers_keep_counts_consistent(kit):
    store = kit.make(TaskLimits(max_tasks=None, max_active_per_owner=50, min_ttl_ms=0,
                                page_size=100))

    def worker(n):
        for i in range(60):
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
    kept_per_worker = sum(1 for i in range(60) if i % 3 != 2)
    assert len(store) == 8 * kept_per_worker
    assert sum(len(_all(store, f"owner{k}")) for k in range(4)) == len(store)
    # every active slot was released: each owner can start its full quota again
    for k in range(4):
        for _ in range(50):
            store.create(f"owner{k}", "tools/call")
        with pytest.raises(TaskLimitError):
            store.create(f"owner{k}", "tools/call")


# -- limits ---------------------------------------------------------------------------------------

def test_table_full_raises_internal_error(kit):
    store = kit.make(TaskLimits(max_tasks=3, max_active_per_owner=None))
    for owner in "abc":
        store.create(owner, "tools/call")
    with pytest.raises(TaskLimitError) as info:
        store.create("d", "tools/call")
    assert info.value.code == INTERNAL_ERROR
    assert info.value.to_error()["data"] == {"limit": "max_tasks", "max": 3}
    store.cancel(store.list_page("a").tasks[0].task_id, "a")  # terminal tasks still count
    with pytest.raises(TaskLimitError):
        store.create("d", "tools/call")
    store.delete(store.list_page("a").tasks[0].task_id)  # deleting frees a slot
    store.create("d", "tools/call")
    assert len(store) == 3


def test_active_per_owner_limit(kit):
    store = kit.make(TaskLimits(max_tasks=None, max_active_per_owner=2))
    first = store.create("alice", "tools/call")
    second = store.create("alice", "tools/call")
    with pytest.raises(TaskLimitError) as info:
        store.create("alice", "tools/call")
    assert info.value.code == INVALID_REQUEST and info.value.limit == "max_active_per_owner"
    store.create("bob", "tools/call")  # per owner, not global
    store.set_result(first.task_id, "completed", result={"content": []})
    third = store.create("alice", "tools/call")  # a finished task no longer counts
    with pytest.raises(TaskLimitError):
        store.create("alice", "tools/call")
    store.update_status(third.task_id, "input_required", input_requests={})  # still active
    with pytest.raises(TaskLimitError):
        store.create("alice", "tools/call")
    store.delete(second.task_id)  # deleting an active task frees its slot
    store.create("alice", "tools/call")


def test_limits_hold_under_concurrent_creates(kit):
    store = kit.make(TaskLimits(max_tasks=None, max_active_per_owner=7))
    made, refused = [], []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            try:
                rec = store.create("o", "tools/call")
            except TaskLimitError:
                with lock:
                    refused.append(1)
            else:
                with lock:
                    made.append(rec.task_id)

    threads = [threading.Thread(target=worker, name=f"creator-{n}") for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 7 and len(refused) == 23
    assert len(_all(store, "o")) == 7


# -- with the runner ----------------------------------------------------------------------------

def test_runner_runs_work_and_cancels_through_the_store(store):
    started, release = threading.Event(), threading.Event()
    with TaskRunner(store, max_workers=2) as runner:
        done = runner.submit(lambda ctx: call_tool_result("hi"), owner="o")
        assert store.wait_terminal(done.task_id, "o", timeout=10).result == call_tool_result("hi")

        def slow(ctx):
            started.set()
            ctx.cancelled.wait(10)
            release.set()
            ctx.check_cancelled()
            return OK

        rec = runner.submit(slow, owner="o")
        assert started.wait(10)
        store.cancel(rec.task_id, "o")
        assert release.wait(10), "the work never saw the cancellation"
        assert store.get(rec.task_id, "o").status == "cancelled"


def test_runner_input_round_trip(store):
    with TaskRunner(store, max_workers=1) as runner:
        def work(ctx):
            answers = ctx.request_input({"q": {"method": "roots/list", "params": {}}}, timeout=10)
            return call_tool_result(str(answers["q"]["roots"]))

        rec = runner.submit(work, owner="o")
        store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required", timeout=10)
        assert store.submit_input(rec.task_id, "o", {"q": {"roots": ["x"]}}) == ["q"]
        final = store.wait_terminal(rec.task_id, "o", timeout=10)
        assert final.status == "completed" and final.result == call_tool_result("['x']")
