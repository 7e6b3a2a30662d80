"""TaskRunner with out-of-process executors (RemoteWork), and the guard on in-process futures."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import pytest

from mcp_sync import Client, McpError
from mcp_sync.tasks import ANY_OWNER, InMemoryTaskStore, TaskRunner
from mcp_sync.tasks.executors import RemoteWork, runs_in_process
from tests.executors.conftest import WAIT, spawn_pool
from tests.executors import tools
from tests.executors.tools import build_server


def done(store, task_id):
    """The terminal record of a task (blocks on the store's condition, no polling)."""
    return store.wait_for(task_id, ANY_OWNER, lambda r: r.is_terminal, timeout=WAIT)


class InlineExecutor(Executor):
    """Runs work at once in the submitting thread (an executor of an unknown kind)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def test_runs_in_process_detection(pool):
    with ThreadPoolExecutor(1) as threads:
        assert runs_in_process(threads) is True
        threads.mcp_sync_in_process = False  # type: ignore[attr-defined]
        assert runs_in_process(threads) is False
    assert runs_in_process(pool) is False
    inline = InlineExecutor()
    assert runs_in_process(inline) is False  # unknown: the safe, picklable path
    inline.mcp_sync_in_process = True  # type: ignore[attr-defined]
    assert runs_in_process(inline) is True


def test_a_closure_is_refused_before_any_task_exists(pool):
    store = InMemoryTaskStore()
    with TaskRunner(store, executor=pool) as runner:
        assert runner.in_process is False
        with pytest.raises(TypeError, match="runs work outside this process: submit a RemoteWork"):
            runner.submit(lambda ctx: {"content": []}, owner="o")
        assert len(store) == 0
    store.close()


def test_remote_work_outcomes_through_a_process_pool(pool):
    store = InMemoryTaskStore()
    with TaskRunner(store, executor=pool) as runner:
        ok = runner.submit(RemoteWork(tools.square, (), {"x": 6}, finish=lambda v: {"content": [], "v": v}), owner="o")
        plain = runner.submit(RemoteWork(tools.square, (7,), what="square"), owner="o")
        raised = runner.submit(RemoteWork(tools.crash, ("boom",), what="crash"), owner="o")
        finish_fails = runner.submit(RemoteWork(tools.square, (2,), finish=lambda v: 1 / 0, what="sq"), owner="o")
        settled = runner.submit(RemoteWork.settled({"content": [], "isError": True}), owner="o")
        assert done(store, ok.task_id).result == {"content": [], "v": 36}
        # finish defaults to the value itself, which must be a result object
        assert done(store, plain.task_id).error == {
            "code": -32603, "message": "Internal error: task work returned no result object"}
        assert done(store, raised.task_id).error == {
            "code": -32603, "message": "Internal error while running crash: ValueError"}
        assert done(store, finish_fails.task_id).error == {
            "code": -32603, "message": "Internal error while finishing sq: ZeroDivisionError"}
        record = done(store, settled.task_id)
        assert record.status == "failed" and record.result == {"content": [], "isError": True}
    assert runner.running() == 0
    store.close()


def test_remote_work_runs_on_a_thread_pool_too():
    with TaskRunner() as runner:
        assert runner.in_process is True
        record = runner.submit(RemoteWork(os.getpid, finish=lambda pid: {"content": [], "pid": pid}), owner="o")
        assert done(runner.store, record.task_id).result == {"content": [], "pid": os.getpid()}


def test_pending_work_the_executor_cancels_fails_its_task(gates):
    """The pool's owner shuts it down with cancel_futures: queued tasks fail, they do not stay working."""
    pool = spawn_pool(1)
    store = InMemoryTaskStore()
    runner = TaskRunner(store, executor=pool)
    gate = gates("shutdown")
    shutdown = threading.Thread(target=pool.shutdown, kwargs={"wait": True, "cancel_futures": True},
                                name="test-pool-shutdown")
    try:
        busy = runner.submit(RemoteWork(tools.gate, (gate.path,), finish=lambda v: {"content": [], "v": v}), owner="o")
        assert gate.wait_entered()
        queued = [runner.submit(RemoteWork(tools.square, (i,), what="square"), owner="o") for i in range(5)]
        shutdown.start()  # blocks until the busy worker is done; cancels what was not handed out
        # beyond what the pool had queued ahead of its worker: cancelled by the shutdown
        last = done(store, queued[-1].task_id)
        assert last.status == "failed"
        assert last.error == {"code": -32603, "message": last.status_message}
        assert last.status_message == ("Internal error: the task executor dropped square before it finished "
                                       "(its future was cancelled)")
        gate.release()
        assert done(store, busy.task_id).result == {"content": [], "v": "released with 'go'"}
        assert all(done(store, t.task_id).is_terminal for t in queued)
    finally:
        gate.release()
        shutdown.join(WAIT)
        runner.close()
        store.close()


def test_in_process_futures_the_executor_cancels_fail_their_task():
    store = InMemoryTaskStore()
    release = threading.Event()
    with ThreadPoolExecutor(1, thread_name_prefix="test-busy") as threads:
        runner = TaskRunner(store, executor=threads)
        first = runner.submit(lambda ctx: release.wait(WAIT) and {"content": []}, owner="o")
        second = runner.submit(lambda ctx: {"content": []}, owner="o")
        threads.shutdown(wait=False, cancel_futures=True)  # second never starts
        release.set()
    assert done(store, first.task_id).status == "completed"
    record = done(store, second.task_id)
    assert record.status == "failed" and record.error["code"] == -32603
    assert record.status_message == ("Internal error: the task executor dropped the task work of 'tools/call' "
                                     "before it finished (its future was cancelled)")
    runner.close()
    assert runner.running() == 0
    store.close()


def test_close_without_cancelling_records_what_finishes(pool, gates):
    store = InMemoryTaskStore()
    runner = TaskRunner(store, executor=pool)
    gate = gates("close")
    record = runner.submit(RemoteWork(tools.gate, (gate.path,), finish=lambda v: {"content": [], "v": v}), owner="o")
    assert gate.wait_entered()
    closer = threading.Thread(target=runner.close, kwargs={"cancel_running": False, "timeout": WAIT},
                              name="test-closer")
    closer.start()
    gate.release(b"in time")
    closer.join(WAIT)
    assert not closer.is_alive()
    assert store.get(record.task_id, ANY_OWNER).result == {"content": [], "v": "released with 'in time'"}
    store.close()


def test_thread_pool_server_keeps_the_full_context():
    with ThreadPoolExecutor(2, thread_name_prefix="test-task") as threads:
        server = build_server(threads)
        try:
            with Client.connect(server, protocol_version="2025-11-25") as client:
                task = client.call_tool_as_task("with_context", {"x": 5})
                assert task.result(timeout=WAIT).content[0].text == f"x=5 task={task.task_id}"
                final = task.wait(timeout=WAIT)
                assert final.status == "completed" and final.status_message == "x is 5"
                assert client.call_tool_as_task("whoami", {}).result(timeout=WAIT).structured_content == {
                    "result": os.getpid()}
        finally:
            server.close()


def test_broken_pool_refuses_new_work_at_submit(pool):
    store = InMemoryTaskStore()
    with TaskRunner(store, executor=pool) as runner:
        died = runner.submit(RemoteWork(tools.die, what="die"), owner="o")
        assert "BrokenProcessPool" in done(store, died.task_id).status_message
        with pytest.raises(McpError) as info:
            runner.submit(RemoteWork(tools.square, (1,)), owner="o")
        assert info.value.code == -32603 and "BrokenProcessPool" in info.value.message
        assert [r.task_id for r in store.list_page("o").tasks] == [died.task_id]
    store.close()
