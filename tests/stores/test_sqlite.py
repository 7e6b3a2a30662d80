"""SQLiteTaskStore beyond the shared contract: restarts, crashes, several processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mcp_sync.errors import INTERNAL_ERROR, McpError
from mcp_sync.tasks import TaskLimitError, TaskLimits, TaskNotFound, TaskStoreClosed, legacy
from mcp_sync.tasks.sqlite import RESTART_ERROR, RESTART_MESSAGE, SQLiteTaskStore

from .conftest import TEST_LIMITS, call_tool_result

CHILD = Path(__file__).with_name("_sqlite_child.py")
OK = call_tool_result("ok")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "tasks.db"


def _open(path, limits=TEST_LIMITS, **kwargs):
    return SQLiteTaskStore(path, limits, **kwargs)


def _spawn_child(path):
    proc = subprocess.Popen([sys.executable, str(CHILD), str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the child prints one line, then blocks on stdin
    if not line:
        proc.wait()
        pytest.fail(f"child failed: {proc.stderr.read()}")
    return proc, json.loads(line)


def _kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdin.close()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_tasks_and_results_survive_close_and_reopen(db_path):
    with _open(db_path) as store:
        done = store.create("alice", "tools/call", ttl_ms=None)
        store.set_result(done.task_id, "completed", result=OK, status_message="fine")
        bad = store.create("alice", "tools/call")
        store.set_result(bad.task_id, "failed", error={"code": -32000, "message": "boom"})
        gone = store.create("alice", "tools/call")
        store.cancel(gone.task_id, "alice", status_message="user")
        running = store.create("alice", "tools/call")
        ids = [r.task_id for r in store.list_page("alice").tasks]
        first_page = store.list_page("alice", limit=2)
        before = {tid: store.get(tid, "alice") for tid in ids}
    with _open(db_path) as store:
        assert [r.task_id for r in store.list_page("alice").tasks] == ids
        again = store.list_page("alice", first_page.next_cursor, limit=2)  # old cursor works
        assert [r.task_id for r in again.tasks] == ids[2:4]
        for tid in (done.task_id, bad.task_id, gone.task_id):
            got = store.get(tid, "alice")
            old = before[tid]
            assert (got.status, got.result, got.error, got.status_message, got.version,
                    got.created_at, got.last_updated_at, got.seq) == (
                old.status, old.result, old.error, old.status_message, old.version,
                old.created_at, old.last_updated_at, old.seq)
        assert store.get(done.task_id, "alice").result == OK
        # the task that was running when the store closed can never finish: failed
        failed = store.get(running.task_id, "alice")
        assert failed.status == "failed" and failed.status_message == RESTART_MESSAGE
        assert failed.error == RESTART_ERROR and failed.version == running.version + 1
        with pytest.raises(McpError) as info:  # what tasks/result answers
            legacy.get_task_result(store, "alice", {"taskId": running.task_id})
        assert info.value.code == INTERNAL_ERROR
        assert store.create("alice", "tools/call").seq > max(r.seq for r in before.values())


def test_killed_process_tasks_are_failed_on_restart_and_results_kept(db_path):
    proc, ids = _spawn_child(db_path)
    _kill(proc)
    with _open(db_path) as store:
        done = store.get(ids["completed"], "alice")
        assert done.status == "completed"
        assert done.result == {"content": [{"type": "text", "text": "kept \u2713"}]}
        bad = store.get(ids["failed"], "alice")
        assert bad.status == "failed"
        assert bad.error == {"code": -32000, "message": "boom", "data": {"why": "test"}}
        assert store.get(ids["cancelled"], "alice").status == "cancelled"
        for tid, owner in ((ids["working"], "alice"), (ids["input_required"], "bob")):
            rec = store.get(tid, owner)
            assert rec.status == "failed", rec
            assert rec.status_message == RESTART_MESSAGE and rec.error == RESTART_ERROR
            assert rec.input_requests is None and rec.input_responses is None
        # the list cursor the dead process handed out still works
        page = store.list_page("alice", ids["page"], limit=10)
        assert [r.task_id for r in page.tasks] == [ids["cancelled"], ids["working"]]
        # the dead instance's lock file was cleaned up; ours exists
        lock_dir = Path(str(db_path) + "-instances")
        assert sorted(os.listdir(lock_dir)) == [store.instance_id + ".lock"]
        assert store.recover() == 0  # idempotent


def test_a_live_process_keeps_its_tasks_and_waiters_see_the_recovery(db_path):
    proc, ids = _spawn_child(db_path)
    try:
        with _open(db_path) as store:
            # the other process is alive: its tasks are visible and left alone
            assert store.get(ids["working"], "alice").status == "working"
            assert store.get(ids["working"], "alice").status_message == "halfway"
            assert store.recover() == 0
            with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
                started = threading.Event()

                def waiting(record):
                    started.set()
                    return record.is_terminal

                fut = pool.submit(store.wait_for, ids["working"], "alice", waiting, timeout=30)
                assert started.wait(10)
                _kill(proc)
                assert store.recover() == 2  # working + input_required
                assert fut.result(timeout=10).status_message == RESTART_MESSAGE
    finally:
        if proc.poll() is None:
            _kill(proc)


def test_two_store_objects_share_one_file(db_path):
    limits = TaskLimits(max_tasks=None, max_active_per_owner=1, min_ttl_ms=0)
    with _open(db_path, limits) as first, _open(db_path, limits) as second:
        rec = first.create("o", "tools/call")
        assert second.get(rec.task_id, "o").status == "working"  # visible
        with pytest.raises(TaskLimitError):  # limits are checked in the shared table
            second.create("o", "tools/call")
        second.cancel(rec.task_id, "o")
        assert first.get(rec.task_id, "o").status == "cancelled"
        # a foreign change is seen by a waiter with a bounded timeout (documented)
        other = second.create("o", "tools/call")
        second.set_result(other.task_id, "completed", result=OK)
        assert first.wait_terminal(other.task_id, "o", timeout=1).status == "completed"
        # opening a second store did not fail the first one's unfinished work
        third = first.create("p", "tools/call")
        with _open(db_path, limits) as later:
            assert later.get(third.task_id, "p").status == "working"


def test_expired_tasks_are_gone_after_a_restart(db_path):
    with _open(db_path) as store:
        short = store.create("o", "tools/call", ttl_ms=0)
        keep = store.create("o", "tools/call", ttl_ms=600_000)
        store.set_result(keep.task_id, "completed", result=OK)
    with _open(db_path) as store:
        with pytest.raises(TaskNotFound):
            store.get(short.task_id, "o")
        store.expire()  # the reaper may already have done it
        assert len(store) == 1
        assert store.get(keep.task_id, "o").deadline == keep.deadline


def test_reaper_starts_at_open_for_stored_deadlines(db_path):
    with _open(db_path) as store:
        rec = store.create("o", "tools/call", ttl_ms=400)
    with _open(db_path) as store:
        assert any(t.name == "mcp-sync-task-reaper-sqlite" for t in threading.enumerate())
        removed = threading.Event()
        store.add_listener(lambda r, e: removed.set() if e == "removed" else None)
        if len(store):  # not yet reaped
            assert removed.wait(5)
        assert len(store) == 0
        with pytest.raises(TaskNotFound):
            store.get(rec.task_id, "o")


def test_wal_mode_schema_and_counter(db_path):
    with _open(db_path) as store:
        for _ in range(3):
            store.create("o", "tools/call")
        conn = sqlite3.connect(db_path)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            assert {"mcp_sync_tasks", "mcp_sync_tasks_meta"} <= tables
            count = conn.execute("SELECT value FROM mcp_sync_tasks_meta "
                                 "WHERE name = 'task_count'").fetchone()[0]
            assert count == 3 == len(store)
            plan = " ".join(r[-1] for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM mcp_sync_tasks WHERE deadline <= 1"))
            assert "mcp_sync_tasks_deadline" in plan
        finally:
            conn.close()


def test_durable_store_rejects_what_it_cannot_persist(db_path):
    with _open(db_path) as store:
        with pytest.raises(TypeError):
            store.create(("tuple", "owner"), "tools/call")
        rec = store.create("o", "tools/call")
        with pytest.raises(TypeError):
            store.set_result(rec.task_id, "completed", result={"x": object()})
        assert store.get(rec.task_id, "o").status == "working"  # rolled back, unchanged
        store.set_result(rec.task_id, "completed", result=OK)
    with pytest.raises(ValueError):
        SQLiteTaskStore(":memory:")
    with pytest.raises(ValueError):
        SQLiteTaskStore(db_path, synchronous="OFF")


def test_closed_store_refuses_new_work_but_reads(db_path):
    store = _open(db_path)
    rec = store.create("o", "tools/call")
    store.close()
    with pytest.raises(TaskStoreClosed):
        store.create("o", "tools/call")
    with pytest.raises(TaskStoreClosed):
        store.wait_terminal(rec.task_id, "o")
    assert store.get(rec.task_id, "o").status == "working"
    assert not Path(str(db_path) + "-instances", store.instance_id + ".lock").exists()


def test_full_synchronous_mode(db_path):
    with _open(db_path, synchronous="FULL") as store:
        rec = store.create("o", "tools/call")
        store.set_result(rec.task_id, "completed", result=OK)
    with _open(db_path) as store:
        assert store.get(rec.task_id, "o").result == OK


def test_wait_wakes_on_change_made_through_the_same_store_only_once_committed(db_path):
    """A waiter reads after waking: it never sees an uncommitted change."""
    with _open(db_path) as store:
        tid = store.create("o", "tools/call").task_id
        seen = []

        def predicate(record):
            seen.append(record.status)
            return record.is_terminal

        with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
            fut = pool.submit(store.wait_for, tid, "o", predicate, timeout=10)
            store.update_status(tid, "input_required", input_requests={"k": {}})
            store.set_result(tid, "completed", result=OK)
            assert fut.result(timeout=10).status == "completed"
        assert seen[-1] == "completed" and set(seen) <= {"working", "input_required",
                                                         "completed"}
