"""The 2026-07-28 tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663) on the server.

Every message the peers receive is schema-checked (``support.check_message``): task handles
against the extension's ``CreateTaskResult``, ``tasks/*`` results against ``GetTaskResult``/
``UpdateTaskResult``/``CancelTaskResult``, inlined results against the core ``CallToolResult``,
``notifications/tasks`` against ``TaskStatusNotification``, errors by code. Waits for a task's
state use the task table's own condition (in process) or ``notifications/tasks`` on a
``subscriptions/listen`` stream (stdio): never a sleep.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from mcp_sync.protocol.versions import is_modern, is_revision
from mcp_sync.session import IncomingRequest, Session
from mcp_sync.tasks import ANY_OWNER
from mcp_sync.transports.memory import MemoryTransport
from tests.modern_server.support import ALL_CAPS, TASKS_EXT, WAIT, HttpPeer, StdioPeer, check_message, meta
from tests.modern_server.task_app import build_task_server
from tests.wire_schema import validate

EXT = {"extensions": {TASKS_EXT: {}}}
WITH = {**ALL_CAPS, **EXT}
ACCEPT = {"action": "accept", "content": {"confirm": True}}


class TaskHttp:
    """The task server in process over HTTP; waits use the task table's condition."""

    def __init__(self, **options: Any) -> None:
        self.server = build_task_server(**options)
        self.handle = self.server.start_http(port=0)
        self.peer = HttpPeer(self.handle.url)

    def call(self, method: str, params: dict | None = None, caps: dict | None = WITH, **options: Any):
        return self.peer.post(method, params, meta_=meta(caps), **options)

    def wait(self, task_id: str, *statuses: str):
        """Block (on the store's condition) until the task has one of ``statuses``; its record."""
        return self.server.tasks.store.wait_for(task_id, ANY_OWNER, lambda r: r.status in statuses, timeout=WAIT)

    def stop(self) -> None:
        self.peer.close()
        self.handle.stop()
        self.server.close()


@pytest.fixture
def th():
    running = TaskHttp()
    yield running
    running.stop()


def create(th: TaskHttp, name: str, arguments: dict | None = None) -> dict:
    result = th.call("tools/call", {"name": name, "arguments": arguments or {}}).result
    assert result["resultType"] == "task", result
    return result


# -- negotiation ----------------------------------------------------------------------------------


def test_discover_declares_the_extension_and_no_core_tasks(th):
    caps = th.call("server/discover").result["capabilities"]
    assert "tasks" not in caps
    validate("ext-tasks", "TasksExtensionCapability", caps["extensions"][TASKS_EXT])
    assert caps["extensions"][TASKS_EXT] == {}


def test_a_server_with_tasks_off_declares_nothing_and_has_no_task_methods(make_http_server):
    running = TaskHttp(tasks=False)
    try:
        assert "extensions" not in running.call("server/discover").result["capabilities"]
        reply = running.call("tasks/get", {"taskId": "x"})
        assert reply.status == 404 and reply.error["code"] == -32601
        plain = running.call("tools/call", {"name": "only_task", "arguments": {}})  # runs as a plain call
        assert plain.result["resultType"] == "complete" and plain.text() == "only_task: x"
    finally:
        running.stop()


@pytest.mark.parametrize("method,params", [
    ("tasks/get", {"taskId": "t"}), ("tasks/update", {"taskId": "t", "inputResponses": {}}),
    ("tasks/cancel", {"taskId": "t"})])
def test_task_methods_need_the_extension_on_the_request(th, method, params):
    reply = th.call(method, params, caps=ALL_CAPS)
    assert reply.status == 400 and reply.error["code"] == -32021
    assert reply.error["data"]["requiredCapabilities"] == EXT


@pytest.mark.parametrize("method", ["tasks/result", "tasks/list"])
def test_core_task_methods_do_not_exist_on_the_modern_wire(th, method):
    reply = th.call(method, {"taskId": "t"} if method == "tasks/result" else {})
    assert reply.status == 404 and reply.error["code"] == -32601


def test_without_the_extension_optional_tools_run_plainly_and_required_ones_are_32021(th):
    plain = th.call("tools/call", {"name": "work", "arguments": {"text": "sync"}}, caps=ALL_CAPS)
    assert plain.result["resultType"] == "complete" and plain.text() == "work: sync"
    refused = th.call("tools/call", {"name": "only_task", "arguments": {}}, caps={})
    assert refused.status == 400 and refused.error["code"] == -32021
    assert refused.error["data"] == {"requiredCapabilities": EXT}


def test_sync_tools_stay_sync_and_the_legacy_task_param_is_ignored(th):
    result = th.call("tools/call", {"name": "plain", "arguments": {}, "task": {"ttl": 60000}}).result
    assert result["resultType"] == "complete" and "taskId" not in result


# -- the handle and tasks/get ----------------------------------------------------------------------


def test_create_task_result_is_flat_and_durable(th):
    handle = create(th, "block")
    assert handle["status"] == "working" and isinstance(handle["ttlMs"], int) and handle["ttlMs"] > 0
    assert isinstance(handle["pollIntervalMs"], int) and handle["pollIntervalMs"] > 0
    assert handle["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "modern-task-test"
    got = th.call("tasks/get", {"taskId": handle["taskId"]}).result  # at once: the task exists
    assert got["resultType"] == "complete" and got["taskId"] == handle["taskId"]
    assert got["status"] == "working" and "result" not in got and "error" not in got
    th.call("tasks/cancel", {"taskId": handle["taskId"]})


def test_completed_task_inlines_the_whole_result(th):
    task_id = create(th, "work", {"text": "inline"})["taskId"]
    th.wait(task_id, "completed")
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["status"] == "completed"
    assert got["result"]["content"] == [{"type": "text", "text": "work: inline"}]
    assert got["result"]["resultType"] == "complete"
    assert "io.modelcontextprotocol/related-task" not in got["result"].get("_meta", {})


def test_a_tool_error_completes_the_task(th):
    task_id = create(th, "tool_error")["taskId"]
    assert th.wait(task_id, "completed", "failed").status == "completed"
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["result"]["isError"] is True and "error" not in got


def test_a_json_rpc_error_fails_the_task(th):
    task_id = create(th, "rpc_error")["taskId"]
    assert th.wait(task_id, "completed", "failed").status == "failed"
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["error"] == {"code": -32603, "message": "rpc_error failed", "data": {"why": "on purpose"}}
    assert "result" not in got


def test_a_capability_the_client_lacks_fails_the_task_with_32021(th):
    task_id = th.call("tools/call", {"name": "ask_sample", "arguments": {}}, caps=EXT).result["taskId"]
    assert th.wait(task_id, "completed", "failed").status == "failed"
    error = th.call("tasks/get", {"taskId": task_id}, caps=EXT).result["error"]
    assert error["code"] == -32021 and error["data"]["requiredCapabilities"] == {"sampling": {}}


@pytest.mark.parametrize("method,extra", [("tasks/get", {}), ("tasks/update", {"inputResponses": {}}),
                                          ("tasks/cancel", {})])
def test_unknown_task_ids_are_32602(th, method, extra):
    reply = th.call(method, {"taskId": "no-such-task", **extra})
    assert reply.error["code"] == -32602 and reply.error["message"] == "Task not found"


def test_malformed_task_params_are_32602(th):
    assert th.call("tasks/get", {"taskId": 7}).error["code"] == -32602
    task_id = create(th, "block")["taskId"]
    assert th.call("tasks/update", {"taskId": task_id, "inputResponses": []}).error["code"] == -32602
    th.call("tasks/cancel", {"taskId": task_id})


# -- cancellation -------------------------------------------------------------------------------------


def test_cancel_acknowledges_and_the_task_ends_cancelled(th):
    task_id = create(th, "block")["taskId"]
    ack = th.call("tasks/cancel", {"taskId": task_id}).result
    assert set(ack) == {"resultType", "_meta"} and ack["resultType"] == "complete"
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["status"] == "cancelled" and "result" not in got
    again = th.call("tasks/cancel", {"taskId": task_id}).result  # terminal: the same empty ack
    assert again["resultType"] == "complete" and "taskId" not in again


def test_cancelling_a_finished_task_leaves_it_completed(th):
    task_id = create(th, "work")["taskId"]
    th.wait(task_id, "completed")
    assert th.call("tasks/cancel", {"taskId": task_id}).result["resultType"] == "complete"
    assert th.call("tasks/get", {"taskId": task_id}).result["status"] == "completed"


# -- input_required and tasks/update ----------------------------------------------------------------


def test_input_required_then_tasks_update_resumes(th):
    task_id = create(th, "ask")["taskId"]
    th.wait(task_id, "input_required")
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["status"] == "input_required"
    assert got["inputRequests"] == {"confirm": {"method": "elicitation/create", "params": {
        "message": "Go on?", "requestedSchema": {"type": "object", "properties": {"confirm": {"type": "boolean"}},
                                                "required": ["confirm"]}}}}
    ack = th.call("tasks/update", {"taskId": task_id, "inputResponses": {"unknown": {"x": 1}}}).result
    assert set(ack) == {"resultType", "_meta"}  # unknown keys are ignored
    assert th.call("tasks/get", {"taskId": task_id}).result["status"] == "input_required"
    bad = th.call("tasks/update", {"taskId": task_id, "inputResponses": {"confirm": {"action": "maybe"}}})
    assert bad.error["code"] == -32602  # not an ElicitResult: refused, nothing recorded
    th.call("tasks/update", {"taskId": task_id, "inputResponses": {"confirm": ACCEPT}})
    th.wait(task_id, "completed")
    assert th.call("tasks/get", {"taskId": task_id}).result["result"]["content"][0]["text"] == "ask: confirm=True"


def test_partial_answers_keep_the_task_input_required(th):
    task_id = create(th, "ask_two")["taskId"]
    th.wait(task_id, "input_required")
    assert set(th.call("tasks/get", {"taskId": task_id}).result["inputRequests"]) == {"name", "sure"}
    th.call("tasks/update", {"taskId": task_id, "inputResponses": {
        "name": {"action": "accept", "content": {"name": "Ada"}}}})
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["status"] == "input_required" and set(got["inputRequests"]) == {"sure"}
    th.call("tasks/update", {"taskId": task_id, "inputResponses": {"sure": ACCEPT}})
    record = th.server.tasks.store.wait_for(  # the next round: a new key, never one used before
        task_id, ANY_OWNER, lambda r: "again" in (r.input_requests or {}), timeout=WAIT)
    assert record.status == "input_required"
    th.call("tasks/update", {"taskId": task_id, "inputResponses": {"again": ACCEPT}})
    th.wait(task_id, "completed")
    assert th.call("tasks/get", {"taskId": task_id}).result["result"]["content"][0]["text"] == \
        "ask_two: Ada True True"


def test_cancel_while_input_required(th):
    task_id = create(th, "ask")["taskId"]
    th.wait(task_id, "input_required")
    th.call("tasks/cancel", {"taskId": task_id})
    got = th.call("tasks/get", {"taskId": task_id}).result
    assert got["status"] == "cancelled" and "inputRequests" not in got


# -- MRTR rounds, then a task ---------------------------------------------------------------------------


def test_mrtr_rounds_then_create_task_result_on_the_last_round(th):
    first = th.call("tools/call", {"name": "mrtr_then_task", "arguments": {}}).result
    assert first["resultType"] == "input_required" and "taskId" not in first
    assert list(first["inputRequests"]) == ["user_name"]
    second = th.call("tools/call", {"name": "mrtr_then_task", "arguments": {}, "requestState": first["requestState"],
                                    "inputResponses": {"user_name": {"action": "accept",
                                                                     "content": {"name": "Alice"}}}}).result
    assert second["resultType"] == "task" and "requestState" not in second and "inputRequests" not in second
    task_id = second["taskId"]
    th.wait(task_id, "input_required")  # the task asks the rest through tasks/update
    assert list(th.call("tasks/get", {"taskId": task_id}).result["inputRequests"]) == ["more"]
    th.call("tasks/update", {"taskId": task_id, "inputResponses": {"more": ACCEPT}})
    th.wait(task_id, "completed")
    text = th.call("tasks/get", {"taskId": task_id}).result["result"]["content"][0]["text"]
    assert text == "Alice task=True more=True"


def test_start_task_without_the_extension_goes_on_synchronously(th):
    reply = th.call("tools/call", {"name": "start_anyway", "arguments": {}}, caps=ALL_CAPS)
    assert reply.result["resultType"] == "complete" and reply.text() == "start_anyway: task=False id=False"
    handle = th.call("tools/call", {"name": "start_anyway", "arguments": {}}).result
    th.wait(handle["taskId"], "completed")
    got = th.call("tasks/get", {"taskId": handle["taskId"]}).result
    assert got["result"]["content"][0]["text"] == "start_anyway: task=True id=True"


# -- headers ---------------------------------------------------------------------------------------------


def test_task_methods_need_a_matching_mcp_name(th):
    task_id = create(th, "block")["taskId"]
    wrong = th.call("tasks/get", {"taskId": task_id}, headers={"Mcp-Name": "another-task"})
    assert wrong.status == 400 and wrong.error["code"] == -32020
    missing = th.call("tasks/get", {"taskId": task_id}, drop=("Mcp-Name",))
    assert missing.status == 400 and missing.error["code"] == -32020
    method = th.call("tasks/cancel", {"taskId": task_id}, headers={"Mcp-Method": "tasks/get"})
    assert method.status == 400 and method.error["code"] == -32020
    assert th.call("tasks/get", {"taskId": task_id}).result["status"] == "working"
    th.call("tasks/cancel", {"taskId": task_id})


# -- owners -----------------------------------------------------------------------------------------------


class _Channel:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def notify(self, method: str, params: dict | None = None, **_: Any) -> None:
        self.sent.append((method, params))


def _as(server, subject: str | None, method: str, params: dict) -> dict:
    """One modern request through the dispatcher, authenticated as ``subject`` (None: anonymous)."""
    body = {**params, "_meta": meta(WITH)}
    request = IncomingRequest(_Channel(), 1, method, body)  # type: ignore[arg-type]
    if subject is not None:
        request.extra["auth"] = {"subject": subject}
    dispatcher = server._modern
    try:
        return {"result": dispatcher.handle(request, dispatcher.read_meta(body))}
    except Exception as exc:  # McpError: what the client would get
        check_message({"jsonrpc": "2.0", "id": 1, "error": exc.to_error()}, method)  # type: ignore[attr-defined]
        return {"error": exc.to_error()}  # type: ignore[attr-defined]


def test_tasks_are_bound_to_the_authenticated_subject():
    server = build_task_server()
    try:
        handle = _as(server, "alice", "tools/call", {"name": "block", "arguments": {}})["result"]
        task_id = handle["taskId"]
        for subject in ("bob", None):
            for method, extra in (("tasks/get", {}), ("tasks/update", {"inputResponses": {}}), ("tasks/cancel", {})):
                answer = _as(server, subject, method, {"taskId": task_id, **extra})
                assert answer["error"] == {"code": -32602, "message": "Task not found"}, (subject, method)
        assert _as(server, "alice", "tasks/get", {"taskId": task_id})["result"]["status"] == "working"
        assert _as(server, "alice", "tasks/cancel", {"taskId": task_id})["result"]["resultType"] == "complete"
        assert _as(server, "alice", "tasks/get", {"taskId": task_id})["result"]["status"] == "cancelled"
    finally:
        server.close()


def test_session_tasks_belong_to_their_session_and_end_with_it():
    server = build_task_server()
    sessions = []
    try:
        for name in ("a", "b"):
            mine, theirs = MemoryTransport.pair()
            server.serve(theirs, name=f"task-test-server-{name}")
            session = Session(mine, on_request=lambda request: None, name=f"task-test-client-{name}")
            sessions.append(session.start())
        a, b = sessions
        handle = a.call("tools/call", {"name": "block", "arguments": {}, "_meta": meta(WITH)}, timeout=WAIT)
        task_id = handle["taskId"]
        assert a.call("tasks/get", {"taskId": task_id, "_meta": meta(WITH)}, timeout=WAIT)["status"] == "working"
        with pytest.raises(Exception) as refused:
            b.call("tasks/get", {"taskId": task_id, "_meta": meta(WITH)}, timeout=WAIT)
        assert getattr(refused.value, "code", None) == -32602
        gone = threading.Event()
        remove = server.tasks.store.add_listener(lambda record, event: gone.set() if (
            record.task_id == task_id and event == "removed") else None)
        a.close()  # the session that owns it ends: the task is cancelled and dropped
        assert gone.wait(WAIT)
        remove()
    finally:
        for session in sessions:
            session.close()
        server.close()


# -- notifications/tasks on a subscription ---------------------------------------------------------------


def test_http_listen_delivers_task_notifications(th):
    task_id = create(th, "ask")["taskId"]
    stream = th.peer.stream("subscriptions/listen", {"notifications": {"taskIds": [task_id, "not-mine"]}},
                            meta_=meta(WITH))
    try:
        ack = stream.next()
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        assert ack["params"]["notifications"] == {"taskIds": [task_id]}
        th.wait(task_id, "input_required")
        th.call("tasks/update", {"taskId": task_id, "inputResponses": {"confirm": ACCEPT}})
        seen = []
        while not seen or seen[-1]["params"]["status"] != "completed":
            message = stream.next()
            assert message["method"] == "notifications/tasks" and message["params"]["taskId"] == task_id
            seen.append(message)
        assert seen[-1]["params"]["result"]["content"][0]["text"] == "ask: confirm=True"
        assert all(m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == stream.id for m in seen)
    finally:
        stream.close()


def test_listening_for_tasks_needs_the_extension(th):
    reply = th.call("subscriptions/listen", {"notifications": {"taskIds": ["x"]}}, caps=ALL_CAPS)
    assert reply.error["code"] == -32021 and reply.error["data"]["requiredCapabilities"] == EXT


def test_stdio_task_flow_with_notifications():
    peer = StdioPeer([sys.executable, "-m", "tests.modern_server.task_app", "--stdio"])
    try:
        discover = peer.request("server/discover", meta_=meta(WITH)).result
        assert discover["capabilities"]["extensions"] == {TASKS_EXT: {}}
        task_id = peer.request("tools/call", {"name": "ask", "arguments": {}}, meta_=meta(WITH)).result["taskId"]
        peer.send({"jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen",
                   "params": {"notifications": {"taskIds": [task_id]}, "_meta": meta(WITH)}})
        ack = peer.await_subscription("listen-1", 1)[0]
        assert ack["params"]["notifications"] == {"taskIds": [task_id]}
        status = peer.request("tasks/get", {"taskId": task_id}, meta_=meta(WITH)).result["status"]
        count = 1
        while status != "input_required":  # not there yet: the change is announced
            count += 1
            status = peer.await_subscription("listen-1", count)[-1]["params"]["status"]
        assert peer.request("tasks/update", {"taskId": task_id, "inputResponses": {"confirm": ACCEPT}},
                            meta_=meta(WITH)).result["resultType"] == "complete"
        while status != "completed":
            count += 1
            status = peer.await_subscription("listen-1", count)[-1]["params"]["status"]
        got = peer.request("tasks/get", {"taskId": task_id}, meta_=meta(WITH)).result
        assert got["result"]["content"][0]["text"] == "ask: confirm=True"
        assert peer.request("tasks/list", {}, meta_=meta(WITH)).error["code"] == -32601
        assert peer.request("tasks/get", {"taskId": task_id}, meta_=meta(ALL_CAPS)).error["code"] == -32021
        peer.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "listen-1"}})
    finally:
        assert peer.close() == 0, "".join(peer.stderr)


# -- protocol versions and ping ---------------------------------------------------------------------------


@pytest.mark.parametrize("version,revision,modern", [
    ("2026-07-28", True, True), ("2027-01-01", True, True), ("2025-11-25", True, False),
    ("x0", False, False), ("9", False, False), ("2026-07-28x", False, False), ("2026-07-28\n", False, False),
    ("\uff12\uff10\uff12\uff16-07-28", False, False), ("", False, False)])
def test_only_well_formed_revisions_can_be_modern(version, revision, modern):
    """Garbage sorting after '2026-07-28' ('x0', '9') is no modern revision (it used to be)."""
    assert is_revision(version) is revision
    assert is_modern(version) is modern
