"""The 2025-11-25 tasks wire adapter; everything emitted is checked against the schema."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from mcp_sync.errors import INVALID_PARAMS, McpError
from mcp_sync.tasks import Signal, TaskRunner, TaskWaitCancelled, TaskWaitTimeout
from mcp_sync.tasks import legacy
from tests.wire_schema import validate

from .conftest import call_tool_result

V = "2025-11-25"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ELICIT = {"method": "elicitation/create",
          "params": {"message": "Your name?",
                     "requestedSchema": {"type": "object",
                                         "properties": {"name": {"type": "string"}}}}}


def check_task(task):
    validate(V, "Task", task)
    assert ISO.match(task["createdAt"]) and ISO.match(task["lastUpdatedAt"])


def error_of(fn, *args, **kwargs):
    with pytest.raises(McpError) as info:
        fn(*args, **kwargs)
    return info.value.code, info.value.message, info.value.data


def test_create_task_result_shapes(store):
    rec = store.create("o", "tools/call", ttl_ms=60_000)
    out = legacy.create_task_result(rec)
    validate(V, "CreateTaskResult", out)
    check_task(out["task"])
    assert out == {"task": {"taskId": rec.task_id, "status": "working",
                            "createdAt": out["task"]["createdAt"],
                            "lastUpdatedAt": out["task"]["lastUpdatedAt"],
                            "ttl": 60_000, "pollInterval": 250}}
    with_hint = legacy.create_task_result(rec, model_immediate_response="Working on it")
    validate(V, "CreateTaskResult", with_hint)
    assert with_hint["_meta"] == {legacy.MODEL_IMMEDIATE_RESPONSE_META: "Working on it"}


def test_unlimited_ttl_is_null_and_poll_interval_optional():
    from mcp_sync.tasks import InMemoryTaskStore, TaskLimits
    store = InMemoryTaskStore(TaskLimits(default_ttl_ms=None, max_ttl_ms=None,
                                         poll_interval_ms=None))
    try:
        task = legacy.task_to_wire(store.create("o", "tools/call"))
        check_task(task)
        assert task["ttl"] is None and "pollInterval" not in task
    finally:
        store.close()


def test_get_every_status(store):
    tid = store.create("o", "tools/call").task_id
    for step in ("working", "input_required", "completed"):
        if step == "input_required":
            store.update_status(tid, "input_required", status_message="need a name",
                                input_requests={"q": ELICIT})
        elif step == "completed":
            store.set_result(tid, "completed", result=call_tool_result("x"))
        out = legacy.get_task(store, "o", {"taskId": tid})
        validate(V, "GetTaskResult", out)
        check_task(out)
        assert out["status"] == step
    failed = store.create("o", "tools/call").task_id
    store.set_result(failed, "failed", error={"code": -32000, "message": "boom"},
                     status_message="upstream failed")
    out = legacy.get_task(store, "o", {"taskId": failed})
    validate(V, "GetTaskResult", out)
    assert out["status"] == "failed" and out["statusMessage"] == "upstream failed"


def test_result_blocks_until_terminal_and_returns_original_result(store):
    tid = store.create("o", "tools/call").task_id
    original = call_tool_result("the answer")
    original["_meta"] = {"com.example/trace": "t1"}
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(legacy.get_task_result, store, "o", {"taskId": tid})
        done, _ = wait([fut], timeout=0.2)
        assert not done, "tasks/result returned before the task was terminal"
        store.update_status(tid, "input_required", input_requests={})
        store.update_status(tid, "working")
        assert not fut.done()
        store.set_result(tid, "completed", result=original)
        out = fut.result(timeout=5)
    validate(V, "GetTaskPayloadResult", out)
    validate(V, "CallToolResult", out)
    assert out["content"] == original["content"]
    assert out["_meta"] == {"com.example/trace": "t1",
                            "io.modelcontextprotocol/related-task": {"taskId": tid}}
    assert store.get(tid, "o").result["_meta"] == {"com.example/trace": "t1"}  # not mutated


def test_result_reraises_the_original_error(store):
    tid = store.create("o", "tools/call").task_id
    store.set_result(tid, "failed", error={"code": -32001, "message": "quota", "data": [1]})
    assert error_of(legacy.get_task_result, store, "o", {"taskId": tid}) == (-32001, "quota", [1])


def test_is_error_result_fails_task_but_result_is_returned(store):
    with TaskRunner(store) as runner:
        rec = runner.submit(lambda ctx: call_tool_result("nope", is_error=True), owner="o")
        out = legacy.get_task_result(store, "o", {"taskId": rec.task_id}, timeout=5)
    assert out["isError"] is True
    validate(V, "CallToolResult", out)
    assert legacy.get_task(store, "o", {"taskId": rec.task_id})["status"] == "failed"


def test_result_of_cancelled_task_is_an_error(store):
    tid = store.create("o", "tools/call").task_id
    store.cancel(tid, "o")
    code, message, _ = error_of(legacy.get_task_result, store, "o", {"taskId": tid})
    assert code == INVALID_PARAMS and "cancelled" in message


def test_result_wait_bounds(store):
    tid = store.create("o", "tools/call").task_id
    with pytest.raises(TaskWaitTimeout):
        legacy.get_task_result(store, "o", {"taskId": tid}, timeout=0.05)
    cancel = Signal()
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(legacy.get_task_result, store, "o", {"taskId": tid}, cancel=cancel)
        cancel.set()
        with pytest.raises(TaskWaitCancelled):
            fut.result(timeout=5)


def test_cancel(store):
    tid = store.create("o", "tools/call").task_id
    out = legacy.cancel_task(store, "o", {"taskId": tid})
    validate(V, "CancelTaskResult", out)
    check_task(out)
    assert out["status"] == "cancelled"
    assert store.get(tid, "o").status == "cancelled"  # committed before the reply


@pytest.mark.parametrize("terminal", ["completed", "failed", "cancelled"])
def test_cancel_terminal_is_invalid_params(store, terminal):
    tid = store.create("o", "tools/call").task_id
    if terminal == "completed":
        store.set_result(tid, "completed", result=call_tool_result("x"))
    elif terminal == "failed":
        store.set_result(tid, "failed", error={"code": -1, "message": "no"})
    else:
        store.cancel(tid, "o")
    assert error_of(legacy.cancel_task, store, "o", {"taskId": tid}) == (
        INVALID_PARAMS, f"Cannot cancel task: already in terminal status '{terminal}'", None)


def test_owner_isolation_on_every_method(store):
    tid = store.create("alice", "tools/call").task_id
    store.set_result(tid, "completed", result=call_tool_result("secret"))
    nonexistent = error_of(legacy.get_task, store, "alice", {"taskId": "nope"})
    assert nonexistent == (INVALID_PARAMS, "Task not found", None)
    params = {"taskId": tid}
    assert error_of(legacy.get_task, store, "bob", params) == nonexistent
    assert error_of(legacy.get_task_result, store, "bob", params, timeout=1) == nonexistent
    # terminal for alice, but bob must not learn that: "not found", not "terminal"
    assert error_of(legacy.cancel_task, store, "bob", params) == nonexistent
    assert legacy.list_tasks(store, "bob", {}) == {"tasks": []}
    assert legacy.list_tasks(store, "alice", {})["tasks"][0]["taskId"] == tid


def test_unknown_and_expired_ids_are_not_found(store):
    expired = store.create("o", "tools/call", ttl_ms=0).task_id
    for params in ({"taskId": "missing"}, {"taskId": expired}):
        for fn in (legacy.get_task, legacy.cancel_task):
            assert error_of(fn, store, "o", params) == (INVALID_PARAMS, "Task not found", None)


@pytest.mark.parametrize("params", [None, {}, {"taskId": 7}, {"taskId": None}])
def test_bad_task_id_params(store, params):
    for fn in (legacy.get_task, legacy.get_task_result, legacy.cancel_task):
        assert error_of(fn, store, "o", params)[0] == INVALID_PARAMS


def test_list_pagination(store):
    ids = [store.create("o", "tools/call").task_id for _ in range(23)]
    store.cancel(ids[5], "o")
    seen, cursor = [], None
    while True:
        out = legacy.list_tasks(store, "o", {} if cursor is None else {"cursor": cursor})
        validate(V, "ListTasksResult", out)
        for task in out["tasks"]:
            check_task(task)
        seen += [t["taskId"] for t in out["tasks"]]
        cursor = out.get("nextCursor")
        if cursor is None:
            break
    assert seen == ids
    assert legacy.list_tasks(store, "o")["tasks"][0]["taskId"] == ids[0]  # params optional


@pytest.mark.parametrize("cursor", ["not-a-cursor", 5, "", "AQAAAAAAAAAB!"])
def test_list_bad_cursor(store, cursor):
    store.create("o", "tools/call")
    assert error_of(legacy.list_tasks, store, "o", {"cursor": cursor}) == (
        INVALID_PARAMS, "Invalid cursor", None)


def test_status_notification(store):
    rec = store.create("o", "tools/call")
    rec = store.set_result(rec.task_id, "completed", result=call_tool_result("x"))
    params = legacy.status_notification_params(rec)
    validate(V, "TaskStatusNotificationParams", params)
    validate(V, "TaskStatusNotification", {"jsonrpc": "2.0", "method": "notifications/tasks/status",
                                           "params": params})
    assert legacy.RELATED_TASK_META not in params.get("_meta", {})


def test_requested_ttl_parsing():
    assert legacy.is_task_augmented({"name": "t", "task": {"ttl": 1}})
    assert not legacy.is_task_augmented({"name": "t"}) and not legacy.is_task_augmented(None)
    assert legacy.requested_ttl({"task": {}}) is None
    assert legacy.requested_ttl({"task": {"ttl": 5000}}) == 5000
    for bad in ({"task": None}, {"task": []}, {"task": {"ttl": "5"}}, {"task": {"ttl": -1}},
                {"task": {"ttl": True}}, {}):
        with pytest.raises(McpError) as info:
            legacy.requested_ttl(bad)
        assert info.value.code == INVALID_PARAMS


def test_input_required_flow_over_the_legacy_wire(store):
    """The server relays outstanding input requests to the requestor (tagged with the
    related task) and feeds the responses back; the task returns to working."""
    delivered = []
    with TaskRunner(store) as runner:
        def work(ctx):
            got = ctx.request_input({"name": ELICIT})
            return call_tool_result(f"hi {got['name']['content']['name']}")

        def relay(record):
            if record.status == "input_required":
                delivered.extend(legacy.input_request_messages(record))

        runner.add_status_listener(relay)
        rec = runner.submit(work, owner="o")
        waiting = store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required",
                                 timeout=5)
        assert legacy.get_task(store, "o", {"taskId": rec.task_id})["status"] == "input_required"
        messages = legacy.input_request_messages(waiting)
        assert delivered == messages
        [(key, method, params)] = messages
        assert key == "name" and method == "elicitation/create"
        validate(V, "ElicitRequest", {"jsonrpc": "2.0", "id": 1, "method": method,
                                      "params": params})
        assert params["_meta"] == {"io.modelcontextprotocol/related-task": {"taskId": rec.task_id}}
        assert "_meta" not in ELICIT["params"]  # the stored request was not mutated
        store.submit_input(rec.task_id, "o", {key: {"action": "accept",
                                                    "content": {"name": "Ada"}}})
        out = legacy.get_task_result(store, "o", {"taskId": rec.task_id}, timeout=5)
    assert out["content"][0]["text"] == "hi Ada"


def test_result_waiters_do_not_block_each_other(store):
    tids = [store.create("o", "tools/call").task_id for _ in range(20)]
    barrier = threading.Barrier(21)

    def fetch(tid):
        barrier.wait(5)
        return legacy.get_task_result(store, "o", {"taskId": tid}, timeout=10)

    with ThreadPoolExecutor(20, thread_name_prefix="test-pool") as pool:
        futures = [pool.submit(fetch, tid) for tid in tids]
        barrier.wait(5)
        for n, tid in enumerate(reversed(tids)):
            store.set_result(tid, "completed", result=call_tool_result(tid))
        for tid, fut in zip(tids, futures):
            assert fut.result(timeout=5)["content"][0]["text"] == tid
    assert not store._waiters
