"""The 2026-07-28 tasks extension adapter; everything emitted is checked against the schema."""

from __future__ import annotations

import re

import pytest

from mcp_sync.errors import INVALID_PARAMS, McpError
from mcp_sync.tasks import EXTENSION_WIRE, TaskRunner
from mcp_sync.tasks import extension
from tests.wire_schema import validate

from .conftest import call_tool_result

V = "ext-tasks"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ELICIT = {"method": "elicitation/create",
          "params": {"message": "Your name?",
                     "requestedSchema": {"type": "object",
                                         "properties": {"name": {"type": "string"}}}}}
ROOTS = {"method": "roots/list", "params": {}}


def error_of(fn, *args):
    with pytest.raises(McpError) as info:
        fn(*args)
    return info.value.code, info.value.message, info.value.data


def get(store, owner, tid):
    out = extension.get_task(store, owner, {"taskId": tid})
    validate(V, "GetTaskResult", out)
    validate(V, "DetailedTask", {k: v for k, v in out.items() if k != "resultType"})
    assert out["resultType"] == "complete"
    assert ISO.match(out["createdAt"]) and ISO.match(out["lastUpdatedAt"])
    return out


def test_create_task_result_is_flat(store):
    rec = store.create("o", "tools/call", ttl_ms=30_000)
    out = extension.create_task_result(rec)
    validate(V, "CreateTaskResult", out)
    assert out == {"resultType": "task", "taskId": rec.task_id, "status": "working",
                   "createdAt": out["createdAt"], "lastUpdatedAt": out["lastUpdatedAt"],
                   "ttlMs": 30_000, "pollIntervalMs": 250}
    assert "task" not in out and "ttl" not in out and "pollInterval" not in out


def test_get_inlines_by_status(store):
    working = store.create("o", "tools/call").task_id
    out = get(store, "o", working)
    assert out["status"] == "working"
    assert not {"result", "error", "inputRequests"} & set(out)

    store.update_status(working, "input_required", input_requests={"n": ELICIT, "r": ROOTS})
    out = get(store, "o", working)
    validate(V, "InputRequiredTask", {k: v for k, v in out.items() if k != "resultType"})
    assert out["inputRequests"] == {"n": ELICIT, "r": ROOTS}

    store.update_status(working, "working")
    store.set_result(working, "completed", result=call_tool_result("done"))
    out = get(store, "o", working)
    validate(V, "CompletedTask", {k: v for k, v in out.items() if k != "resultType"})
    assert out["result"] == call_tool_result("done")

    failed = store.create("o", "tools/call").task_id
    store.set_result(failed, "failed", error={"code": -32001, "message": "quota", "data": 3})
    out = get(store, "o", failed)
    validate(V, "FailedTask", {k: v for k, v in out.items() if k != "resultType"})
    assert out["error"] == {"code": -32001, "message": "quota", "data": 3}

    cancelled = store.create("o", "tools/call").task_id
    store.cancel(cancelled, "o", status_message="stopped by the user")
    out = get(store, "o", cancelled)
    validate(V, "CancelledTask", {k: v for k, v in out.items() if k != "resultType"})
    assert out["statusMessage"] == "stopped by the user"


def test_legacy_is_error_failure_still_renders_a_valid_failed_task(store):
    tid = store.create("o", "tools/call").task_id
    store.set_result(tid, "failed", result=call_tool_result("x", is_error=True))
    assert get(store, "o", tid)["error"]["code"] == -32603


def test_is_error_tool_result_completes_on_this_wire(store):
    bad = call_tool_result("tool said no", is_error=True)
    with TaskRunner(store) as runner:
        rec = runner.submit(lambda ctx: bad, owner="o", wire=EXTENSION_WIRE)
        store.wait_terminal(rec.task_id, "o", timeout=5)
    out = get(store, "o", rec.task_id)
    assert out["status"] == "completed" and out["result"] == bad


def test_update_delivers_only_outstanding_keys(store):
    tid = store.create("o", "tools/call").task_id
    store.update_status(tid, "input_required", input_requests={"n": ELICIT, "r": ROOTS})
    params = {"taskId": tid, "inputResponses": {"n": {"action": "accept",
                                                      "content": {"name": "Ada"}},
                                                "unknown": {"roots": []}}}
    validate(V, "UpdateTaskRequest", {"jsonrpc": "2.0", "id": 1, "method": "tasks/update",
                                      "params": params})
    out = extension.update_task(store, "o", params)
    validate(V, "UpdateTaskResult", out)
    assert out == {"resultType": "complete"}
    after = get(store, "o", tid)
    assert after["status"] == "input_required" and after["inputRequests"] == {"r": ROOTS}
    # answering an answered key again is ignored
    extension.update_task(store, "o", {"taskId": tid, "inputResponses": {
        "n": {"action": "decline"}}})
    assert store.get(tid, "o").input_responses["n"]["action"] == "accept"
    extension.update_task(store, "o", {"taskId": tid, "inputResponses": {"r": {"roots": []}}})
    assert get(store, "o", tid)["inputRequests"] == {}


def test_update_on_a_non_waiting_task_is_acknowledged(store):
    tid = store.create("o", "tools/call").task_id
    assert extension.update_task(store, "o", {"taskId": tid, "inputResponses": {"x": {}}}) == {
        "resultType": "complete"}
    store.cancel(tid, "o")
    assert extension.update_task(store, "o", {"taskId": tid, "inputResponses": {}}) == {
        "resultType": "complete"}


@pytest.mark.parametrize("params", [None, {"taskId": 1, "inputResponses": {}},
                                    {"taskId": "t"}, {"taskId": "t", "inputResponses": []}])
def test_update_bad_params(store, params):
    assert error_of(extension.update_task, store, "o", params)[0] == INVALID_PARAMS


def test_cancel_acks_and_cancels(store):
    tid = store.create("o", "tools/call").task_id
    out = extension.cancel_task(store, "o", {"taskId": tid})
    validate(V, "CancelTaskResult", out)
    assert out == {"resultType": "complete"}
    assert store.get(tid, "o").status == "cancelled"
    # already terminal: still an ack, and the status does not change
    done = store.create("o", "tools/call").task_id
    store.set_result(done, "completed", result=call_tool_result("x"))
    assert extension.cancel_task(store, "o", {"taskId": done}) == {"resultType": "complete"}
    assert store.get(done, "o").status == "completed"


def test_unknown_and_other_owner_ids(store):
    tid = store.create("alice", "tools/call").task_id
    store.update_status(tid, "input_required", input_requests={"n": ELICIT})
    missing = error_of(extension.get_task, store, "alice", {"taskId": "missing"})
    assert missing == (INVALID_PARAMS, "Task not found", None)
    assert error_of(extension.get_task, store, "bob", {"taskId": tid}) == missing
    assert error_of(extension.cancel_task, store, "bob", {"taskId": tid}) == missing
    assert error_of(extension.update_task, store, "bob",
                    {"taskId": tid, "inputResponses": {"n": {"action": "decline"}}}) == missing
    rec = store.get(tid, "alice")
    assert rec.status == "input_required" and rec.input_responses is None
    for fn in (extension.get_task, extension.cancel_task):
        assert error_of(fn, store, "alice", {"taskId": "missing"}) == missing


def test_task_notification_params(store):
    tid = store.create("o", "tools/call").task_id
    rec = store.update_status(tid, "input_required", input_requests={"n": ELICIT})
    params = extension.task_notification_params(rec)
    validate(V, "TaskStatusNotificationParams", params)
    validate(V, "TaskStatusNotification", {"jsonrpc": "2.0", "method": "notifications/tasks",
                                           "params": params})
    assert params["inputRequests"] == {"n": ELICIT}
    rec = store.set_result(tid, "completed", result=call_tool_result("x"))
    validate(V, "TaskStatusNotificationParams", extension.task_notification_params(rec))


def test_full_round_trip_through_the_adapter(store):
    with TaskRunner(store) as runner:
        def work(ctx):
            got = ctx.request_input({"n": ELICIT})
            return call_tool_result("hi " + got["n"]["content"]["name"])

        rec = runner.submit(work, owner="o", wire=EXTENSION_WIRE)
        handle = extension.create_task_result(rec)
        validate(V, "CreateTaskResult", handle)
        store.wait_for(rec.task_id, "o", lambda r: r.status == "input_required", timeout=5)
        polled = get(store, "o", handle["taskId"])
        assert polled["inputRequests"] == {"n": ELICIT}
        extension.update_task(store, "o", {"taskId": handle["taskId"], "inputResponses": {
            "n": {"action": "accept", "content": {"name": "Ada"}}}})
        store.wait_terminal(rec.task_id, "o", timeout=5)
        assert get(store, "o", handle["taskId"])["result"]["content"][0]["text"] == "hi Ada"
