"""TaskRunner: running work, recording outcomes, cancellation, input, concurrency, close."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mcp_sync.errors import INTERNAL_ERROR, McpError
from mcp_sync.tasks import (
    ANY_OWNER,
    EXTENSION_WIRE,
    LEGACY_WIRE,
    InMemoryTaskStore,
    TaskCancelled,
    TaskEvent,
    TaskLimitError,
    TaskLimits,
    TaskRunner,
    TaskWaitTimeout,
)
from mcp_sync.tasks import extension, legacy

from .conftest import TEST_LIMITS, call_tool_result

ELICIT = {"method": "elicitation/create",
          "params": {"message": "Your name?",
                     "requestedSchema": {"type": "object",
                                         "properties": {"name": {"type": "string"}}}}}


@pytest.fixture
def runner(store):
    r = TaskRunner(store, max_workers=8)
    try:
        yield r
    finally:
        r.close()


def status_log(runner):
    log, lock = [], threading.Lock()

    def listener(record):
        with lock:
            log.append((record.task_id, record.status))

    runner.add_status_listener(listener)
    return log


def test_result_is_recorded(runner, store):
    rec = runner.submit(lambda ctx: call_tool_result(f"hi from {ctx.task_id}"), owner="o")
    final = store.wait_terminal(rec.task_id, "o", timeout=5)
    assert final.status == "completed"
    assert final.result == call_tool_result(f"hi from {rec.task_id}")


def test_mcp_error_fails_the_task_with_that_error(runner, store):
    def work(ctx):
        raise McpError(-32001, "upstream unavailable", {"retry": True})

    rec = runner.submit(work, owner="o")
    final = store.wait_terminal(rec.task_id, "o", timeout=5)
    assert final.status == "failed"
    assert final.error == {"code": -32001, "message": "upstream unavailable",
                           "data": {"retry": True}}


def test_unexpected_exception_is_internal_error(runner, store, caplog):
    rec = runner.submit(lambda ctx: {}["missing"], owner="o")
    final = store.wait_terminal(rec.task_id, "o", timeout=5)
    assert final.status == "failed" and final.error["code"] == INTERNAL_ERROR
    assert "KeyError" in final.error["message"]
    assert "task work for 'tools/call' failed" in caplog.text


def test_non_dict_result_is_internal_error(runner, store):
    rec = runner.submit(lambda ctx: "just a string", owner="o")
    final = store.wait_terminal(rec.task_id, "o", timeout=5)
    assert final.status == "failed" and final.error["code"] == INTERNAL_ERROR


@pytest.mark.parametrize("wire,expected", [(LEGACY_WIRE, "failed"), (EXTENSION_WIRE, "completed")])
def test_is_error_result_status_depends_on_wire(runner, store, wire, expected):
    bad = call_tool_result("tool said no", is_error=True)
    rec = runner.submit(lambda ctx: bad, owner="o", wire=wire)
    final = store.wait_terminal(rec.task_id, "o", timeout=5)
    assert final.status == expected and final.result == bad and final.error is None


def test_cancelled_task_stays_cancelled_when_work_finishes_later(runner, store):
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    saw_cancel = []

    def work(ctx):
        started.set()
        saw_cancel.append(ctx.cancelled.wait(5))
        release.wait(5)
        finished.set()
        return call_tool_result("too late")

    log = status_log(runner)
    rec = runner.submit(work, owner="o")
    assert started.wait(5)
    store.cancel(rec.task_id, "o")
    release.set()
    assert finished.wait(5)
    runner.close()  # waits for the work to return
    assert saw_cancel == [True]
    final = store.get(rec.task_id, "o")
    assert final.status == "cancelled" and final.result is None
    assert log == [(rec.task_id, "cancelled")]


def test_cancel_before_work_starts_skips_the_work(store):
    gate = threading.Event()
    ran = []
    with ThreadPoolExecutor(1, thread_name_prefix="test-gate") as pool:
        pool.submit(gate.wait, 5)  # occupy the only worker
        runner = TaskRunner(store, executor=pool)
        rec = runner.submit(lambda ctx: ran.append(1) or call_tool_result("x"), owner="o")
        store.cancel(rec.task_id, "o")
        gate.set()
        runner.close()
    assert ran == [] and store.get(rec.task_id, "o").status == "cancelled"


def test_expiry_signals_running_work(store):
    started, stopped = threading.Event(), threading.Event()

    def work(ctx):
        started.set()
        if ctx.cancelled.wait(5):
            stopped.set()
        return call_tool_result("x")

    runner = TaskRunner(store)
    try:
        runner.submit(work, owner="o", ttl_ms=200)
        assert started.wait(5)
        assert stopped.wait(5), "work was not told its task expired"
    finally:
        runner.close()
    assert len(store) == 0


def test_thousand_concurrent_tasks_then_table_empties_after_ttl(store):
    removed, lock, all_removed = [0], threading.Lock(), threading.Event()

    def on_change(record, event):
        if event == TaskEvent.REMOVED:
            with lock:
                removed[0] += 1
                if removed[0] == 1000:
                    all_removed.set()

    store.add_listener(on_change)
    barrier = threading.Barrier(16)

    def work(ctx, n):
        if n < 16:
            barrier.wait(5)  # the first 16 really are running at the same time
        return {"content": [{"type": "text", "text": str(n)}], "structuredContent": {"n": n}}

    with TaskRunner(store, max_workers=32) as runner:
        records = [runner.submit(lambda ctx, n=n: work(ctx, n), owner=f"owner{n % 3}",
                                 ttl_ms=3_000) for n in range(1000)]
        assert len({r.task_id for r in records}) == 1000
        for n, rec in enumerate(records):
            final = store.wait_terminal(rec.task_id, f"owner{n % 3}", timeout=10)
            assert final.status == "completed"
            assert final.result["structuredContent"] == {"n": n}
        assert runner.running() == 0
    assert all_removed.wait(10), f"only {removed[0]} of 1000 tasks were reaped"
    assert len(store) == 0 and store._owners == {} and store._active == {}


def test_input_required_round_trip(runner, store):
    answers = []

    def work(ctx):
        got = ctx.request_input({"name": ELICIT})
        answers.append(got)
        return call_tool_result(f"hello {got['name']['content']['name']}")

    log = status_log(runner)
    rec = runner.submit(work, owner="o", wire=EXTENSION_WIRE)
    waiting = store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required", timeout=5)
    assert waiting.input_requests == {"name": ELICIT}
    store.submit_input(rec.task_id, "o", {"name": {"action": "accept", "content": {"name": "Ada"}}})
    final = store.wait_terminal(rec.task_id, "o", timeout=5)
    assert final.status == "completed"
    assert final.result == call_tool_result("hello Ada")
    assert answers == [{"name": {"action": "accept", "content": {"name": "Ada"}}}]
    assert [s for _, s in log] == ["input_required", "working", "completed"]


def test_partial_answers_keep_input_required(runner, store):
    def work(ctx):
        got = ctx.request_input({"a": ELICIT, "b": ELICIT})
        return call_tool_result(",".join(sorted(got)))

    rec = runner.submit(work, owner="o")
    store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required", timeout=5)
    assert store.submit_input(rec.task_id, "o", {"a": {"action": "decline"}}) == ["a"]
    rec_now = store.get(rec.task_id, "o")
    assert rec_now.status == "input_required" and list(rec_now.input_requests) == ["b"]
    store.submit_input(rec.task_id, "o", {"b": {"action": "cancel"}})
    assert store.wait_terminal(rec.task_id, "o", timeout=5).result == call_tool_result("a,b")


def test_input_keys_are_unique_for_the_task_lifetime(runner, store):
    errors = []

    def work(ctx):
        ctx.request_input({"k": ELICIT})
        try:
            ctx.request_input({"k": ELICIT})
        except ValueError as exc:
            errors.append(str(exc))
        return call_tool_result("done")

    rec = runner.submit(work, owner="o")
    store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required", timeout=5)
    store.submit_input(rec.task_id, "o", {"k": {"action": "decline"}})
    assert store.wait_terminal(rec.task_id, "o", timeout=5).status == "completed"
    assert errors and "already used" in errors[0]


def test_cancel_while_waiting_for_input(runner, store):
    outcome = []

    def work(ctx):
        try:
            ctx.request_input({"k": ELICIT})
        except TaskCancelled:
            outcome.append("cancelled")
            raise
        return call_tool_result("unreachable")

    rec = runner.submit(work, owner="o")
    store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required", timeout=5)
    store.cancel(rec.task_id, "o")
    runner.close()
    assert outcome == ["cancelled"]
    assert store.get(rec.task_id, "o").status == "cancelled"


def test_input_timeout_returns_to_working(runner, store):
    seen = []

    def work(ctx):
        try:
            ctx.request_input({"k": ELICIT}, timeout=0.1)
        except TaskWaitTimeout:
            seen.append(store.get(ctx.task_id, ANY_OWNER).status)
        return call_tool_result("gave up waiting")

    rec = runner.submit(work, owner="o")
    assert store.wait_terminal(rec.task_id, "o", timeout=5).status == "completed"
    assert seen == ["working"]


def test_status_message_from_work(runner, store):
    step = threading.Event()
    proceed = threading.Event()

    def work(ctx):
        ctx.set_status_message("halfway")
        step.set()
        proceed.wait(5)
        return call_tool_result("x")

    rec = runner.submit(work, owner="o")
    assert step.wait(5)
    assert store.get(rec.task_id, "o").status_message == "halfway"
    proceed.set()
    store.wait_terminal(rec.task_id, "o", timeout=5)


def test_limits_surface_from_submit():
    with InMemoryTaskStore(TaskLimits(max_active_per_owner=1)) as store:
        with TaskRunner(store) as runner:
            gate = threading.Event()
            runner.submit(lambda ctx: gate.wait(5) and call_tool_result("x"), owner="o")
            with pytest.raises(TaskLimitError):
                runner.submit(lambda ctx: call_tool_result("y"), owner="o")
            gate.set()


def test_close_cancels_running_work_and_joins_threads():
    store = InMemoryTaskStore(TEST_LIMITS)
    runner = TaskRunner(store, max_workers=2)
    started = threading.Event()

    def work(ctx):
        started.set()
        ctx.cancelled.wait(10)
        ctx.check_cancelled()
        return call_tool_result("x")

    records = [runner.submit(work, owner="o") for _ in range(4)]  # 2 run, 2 queued
    assert started.wait(5)
    runner.close()
    assert all(store.get(r.task_id, "o").status == "cancelled" for r in records)
    assert runner.running() == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("mcp-sync-task")
                and t.name != "mcp-sync-task-reaper"]
    with pytest.raises(McpError):
        runner.submit(work)
    store.close()


def test_runner_owns_its_default_store():
    runner = TaskRunner()
    rec = runner.submit(lambda ctx: call_tool_result("x"), ttl_ms=60_000)
    assert runner.store.wait_terminal(rec.task_id, None, timeout=5).status == "completed"
    runner.close()
    assert runner.store.closed


def test_legacy_and_extension_wires_share_one_runner(runner, store):
    legacy_rec = runner.submit(lambda ctx: call_tool_result("a"), owner="o", wire=LEGACY_WIRE)
    ext_rec = runner.submit(lambda ctx: call_tool_result("b"), owner="o", wire=EXTENSION_WIRE)
    out = legacy.get_task_result(store, "o", {"taskId": legacy_rec.task_id}, timeout=5)
    assert out["content"][0]["text"] == "a"
    store.wait_terminal(ext_rec.task_id, "o", timeout=5)
    assert extension.get_task(store, "o", {"taskId": ext_rec.task_id})["result"]["content"][0][
        "text"] == "b"


def test_one_request_input_at_a_time(runner, store):
    tried, errors = threading.Event(), []

    def work(ctx):
        got = {}
        asker = threading.Thread(target=lambda: got.update(ctx.request_input({"a": ELICIT})),
                                 name="test-asker")
        asker.start()
        store.wait_for(ctx.task_id, ANY_OWNER, lambda r: r.status == "input_required", timeout=5)
        try:
            ctx.request_input({"b": ELICIT})
        except RuntimeError as exc:
            errors.append(str(exc))
        tried.set()
        asker.join(10)
        return call_tool_result(",".join(got))

    rec = runner.submit(work, owner="o")
    assert tried.wait(5)
    store.submit_input(rec.task_id, "o", {"a": {"action": "decline"}})
    assert store.wait_terminal(rec.task_id, "o", timeout=5).result == call_tool_result("a")
    assert errors and "already waiting" in errors[0]
