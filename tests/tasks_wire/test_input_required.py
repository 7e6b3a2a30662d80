"""input_required: a task asks the requestor (elicitation, sampling, roots) and goes back to working.

Over both transports with our client, and over HTTP by hand to see which
stream carries the task's request: a pending tasks/result's stream first, the
GET stream when someone listens on it, else it waits for the next tasks/result.
"""

from __future__ import annotations

import threading

import pytest

from mcp_sync import McpError

from mcp_sync.tasks.legacy import RELATED_TASK_META
from tests.http.raw import RawSession, SseReader, is_response
from tests.wire_schema import validate

V = "2025-11-25"


def test_elicitation_sampling_and_roots_inside_tasks(harness, tmp_path):
    metas: list[dict] = []

    def elicitation(params):
        metas.append(params.meta)
        return {"action": "accept", "content": {"name": "Grace"}}

    def sampling(params):
        metas.append(params.meta)
        return {"role": "assistant", "content": {"type": "text", "text": "model says hi"}, "model": "test"}

    client = harness().client(elicitation=elicitation, sampling=sampling, roots=[tmp_path])
    name = client.call_tool_as_task("ask_name", {"greeting": "Hi"})
    model = client.call_tool_as_task("ask_model", {"prompt": "hello?"})
    roots = client.call_tool_as_task("ask_roots")
    assert name.result(timeout=30).content[0].text == "Hi, Grace!"
    assert model.result(timeout=30).content[0].text == "model says hi"
    assert roots.result(timeout=30).structured_content == {"result": [tmp_path.resolve().as_uri()]}
    assert sorted(m[RELATED_TASK_META]["taskId"] for m in metas) == sorted([name.task_id, model.task_id])
    for task in (name, model, roots):
        assert task.status().status == "completed"


def test_declined_elicitation_and_client_error(harness):
    client = harness().client(elicitation=lambda params: {"action": "decline"})
    task = client.call_tool_as_task("ask_name", {"greeting": "Hi"})
    assert task.result(timeout=30).content[0].text == "no name (decline)"

    def failing(params):
        raise McpError(-32042, "the user closed the dialog")

    client = harness().client(elicitation=failing)
    task = client.call_tool_as_task("ask_name", {"greeting": "Hi"})
    with pytest.raises(McpError) as info:  # the error answer propagated out of the tool: the task's error
        task.result(timeout=30)
    assert info.value.code == -32042 and info.value.message == "the user closed the dialog"
    assert task.status().status == "failed"


def test_watch_sees_input_required_then_answers(harness):
    release = threading.Event()

    def elicitation(params):
        assert release.wait(30)
        return {"action": "accept", "content": {"name": "Lin"}}

    client = harness().client(elicitation=elicitation)
    task = client.call_tool_as_task("ask_name", {"greeting": "Yo"})
    seen = []
    for snapshot in task.watch():
        seen.append(snapshot.status)
        if snapshot.status == "input_required":
            release.set()
    assert seen[-1] == "completed" and "input_required" in seen
    assert task.result().content[0].text == "Yo, Lin!"


def test_cancel_while_input_required(harness):
    asked = threading.Event()
    stop = threading.Event()

    def elicitation(params):
        asked.set()
        stop.wait(30)
        return {"action": "accept", "content": {"name": "late"}}

    client = harness().client(elicitation=elicitation)
    task = client.call_tool_as_task("ask_name", {"greeting": "Hey"})
    task.result_future()  # a tasks/result in flight, as a requestor should have
    assert asked.wait(30)
    assert task.status().status == "input_required"
    assert task.cancel().status == "cancelled"
    stop.set()
    assert task.wait(timeout=30).status == "cancelled"
    client.ping()
    assert task.status().status == "cancelled"


# -- which HTTP stream carries the task's request ---------------------------------------


def _create(raw: RawSession, name: str, arguments: dict) -> str:
    response = raw.request("tools/call", {"name": name, "arguments": arguments, "task": {"ttl": 60_000}})
    assert response.status_code == 200
    if response.headers["Content-Type"].startswith("application/json"):
        message = response.json()
    else:
        message = SseReader(response).until(lambda m: "result" in m or "error" in m)[-1]
    validate(V, "CreateTaskResult", message["result"])
    return message["result"]["task"]["taskId"]


def _status(raw: RawSession, task_id: str) -> str:
    return _call(raw, "tasks/get", {"taskId": task_id})["result"]["status"]


def _poll_until(raw: RawSession, task_id: str, status: str) -> None:
    """tasks/get at the server's pollInterval (20 ms) until ``status``."""
    pause = threading.Event()
    for _ in range(1500):
        task = _call(raw, "tasks/get", {"taskId": task_id})["result"]
        if task["status"] == status:
            return
        pause.wait(task["pollInterval"] / 1000)
    raise AssertionError(f"task {task_id} never became {status}")


def _call(raw: RawSession, method: str, params: dict) -> dict:
    rid = raw.next_id()
    response = raw.request(method, params, request_id=rid)
    if response.headers["Content-Type"].startswith("application/json"):
        return response.json()
    return SseReader(response).until(is_response(rid))[-1]


def _answer(raw: RawSession, request: dict, name: str) -> None:
    ack = raw.post({"jsonrpc": "2.0", "id": request["id"],
                    "result": {"action": "accept", "content": {"name": name},
                               "_meta": {RELATED_TASK_META: request["params"]["_meta"][RELATED_TASK_META]}}})
    assert ack.status_code == 202, ack.text


def test_http_request_waits_for_tasks_result_when_nobody_listens(http_harness):
    h = http_harness()
    with RawSession(h.url, capabilities={"elicitation": {}}) as raw:
        task_id = _create(raw, "ask_name", {"greeting": "Hello"})
        # the task asked: it is input_required, but no GET stream and no tasks/result: nothing sent yet
        _poll_until(raw, task_id, "input_required")
        rid = raw.next_id()
        stream = SseReader(raw.request("tasks/result", {"taskId": task_id}, request_id=rid))
        elicit = stream.until(lambda m: m.get("method") == "elicitation/create")[-1]
        assert elicit["params"]["_meta"][RELATED_TASK_META] == {"taskId": task_id}
        validate(V, "ElicitRequest", elicit)
        _answer(raw, elicit, "Queued")
        final = stream.until(is_response(rid))[-1]
        assert final["result"]["content"][0]["text"] == "Hello, Queued!"
        assert final["result"]["_meta"][RELATED_TASK_META] == {"taskId": task_id}
        assert _status(raw, task_id) == "completed"


def test_http_request_goes_on_the_pending_tasks_result_stream_even_with_a_get_stream(http_harness):
    h = http_harness()
    with RawSession(h.url, capabilities={"elicitation": {}}) as raw:
        get_stream = raw.get()
        assert get_stream.status_code == 200
        task_id = _create(raw, "ask_after", {"name": "route-gate"})
        rid = raw.next_id()
        stream = SseReader(raw.request("tasks/result", {"taskId": task_id}, request_id=rid))
        released = _call(raw, "tools/call", {"name": "release", "arguments": {"name": "route-gate"}})
        assert "result" in released
        elicit = stream.until(lambda m: m.get("method") == "elicitation/create")[-1]
        assert elicit["params"]["_meta"][RELATED_TASK_META] == {"taskId": task_id}
        _answer(raw, elicit, "Stream")
        final = stream.until(is_response(rid))[-1]
        assert final["result"]["content"][0]["text"] == "after route-gate: Stream"
        get_stream.close()


def test_http_request_goes_on_the_get_stream_when_listening(http_harness):
    h = http_harness()
    with RawSession(h.url, capabilities={"elicitation": {}}) as raw:
        get_response = raw.get()
        assert get_response.status_code == 200
        get_stream = SseReader(get_response)
        assert all(s.standalone_listening() for s in h.handle.app.sessions())  # attached before the headers
        task_id = _create(raw, "ask_after", {"name": "get-gate"})
        _call(raw, "tools/call", {"name": "release", "arguments": {"name": "get-gate"}})
        elicit = get_stream.until(lambda m: m.get("method") == "elicitation/create")[-1]
        assert elicit["params"]["_meta"][RELATED_TASK_META] == {"taskId": task_id}
        _answer(raw, elicit, "Get")
        final = _call(raw, "tasks/result", {"taskId": task_id})
        assert final["result"]["content"][0]["text"] == "after get-gate: Get"
        get_response.close()


def test_http_json_response_mode_still_delivers(http_harness):
    from tests.tasks_wire.task_server import build_server
    from mcp_sync import Client

    h = http_harness()
    h.handle.stop()
    h.server.close()
    server = build_server()
    h.server = server
    h.handle = server.start_http(json_response=True)
    with Client.http(h.url, elicitation=lambda p: {"action": "accept", "content": {"name": "Json"}},
                     protocol_version="2025-11-25") as client:
        task = client.call_tool_as_task("ask_name", {"greeting": "Hi"})
        assert task.result(timeout=30).content[0].text == "Hi, Json!"
