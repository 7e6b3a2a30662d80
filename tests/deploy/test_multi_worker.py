"""Four gunicorn workers, one Redis, no sticky sessions: one legacy session and its tasks
served by every worker, and a worker SIGKILLed mid-task.

Each step goes through a connection pinned to a known worker (``X-Worker-Pid``), so the
test knows that a task created through one worker was polled, answered and cancelled
through the others.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from tests.http.raw import INIT_PARAMS, SseReader

from .conftest import pin_connections

ACCEPT = "application/json, text/event-stream"


class Client:
    """A legacy (2025-11-25) session spoken by hand over pinned connections."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session_id: str | None = None
        self._ids = 0
        self._lock = threading.Lock()

    def headers(self, accept: str = ACCEPT) -> dict[str, str]:
        headers = {"Accept": accept, "Content-Type": "application/json"}
        if self.session_id:
            headers.update({"Mcp-Session-Id": self.session_id, "MCP-Protocol-Version": "2025-11-25"})
        return headers

    def post(self, via, body: dict, stream: bool = False):
        return via.send("POST", self.url, data=json.dumps(body), headers=self.headers(), stream=stream)

    def call(self, via, method: str, params: dict | None = None, *, whole: bool = False) -> Any:
        """A request whose answer is read to the end (SSE or JSON)."""
        with self._lock:
            self._ids += 1
            rid = self._ids
        response = self.post(via, {"jsonrpc": "2.0", "id": rid, "method": method, "params": params or {}},
                             stream=True)
        assert response.status_code == 200, response.text
        if response.headers["Content-Type"].startswith("application/json"):
            answer = response.json()
        else:
            reader = SseReader(response)
            answer = reader.until(lambda m: m.get("id") == rid and "method" not in m)[-1]
            assert reader.messages() == []  # the stream ends with its answer: the connection is reused
        if whole:
            return answer
        assert "result" in answer, answer
        return answer["result"]

    def start(self, via, method: str, params: dict) -> tuple[int, SseReader]:
        self._ids += 1
        response = self.post(via, {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params},
                             stream=True)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
        return self._ids, SseReader(response)

    def initialize(self, via) -> None:
        response = self.post(via, {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                                   "params": dict(INIT_PARAMS, capabilities={"elicitation": {"form": {}}})})
        assert response.status_code == 200, response.text
        self.session_id = response.headers["Mcp-Session-Id"]
        assert response.json()["result"]["capabilities"]["tasks"]

    def notify(self, via, method: str, params: dict | None = None) -> None:
        response = self.post(via, {"jsonrpc": "2.0", "method": method, "params": params or {}})
        assert response.status_code == 202, response.text

    def answer(self, via, request_id: Any, result: dict) -> None:
        response = self.post(via, {"jsonrpc": "2.0", "id": request_id, "result": result})
        assert response.status_code == 202, response.text

    def listen(self, via) -> SseReader:
        headers = self.headers("text/event-stream")
        del headers["Content-Type"]
        response = via.send("GET", self.url, headers=headers, stream=True)
        assert response.status_code == 200, response.text
        return SseReader(response)


@pytest.fixture
def workers(gunicorn4):
    pinned = pin_connections(gunicorn4.url, per_worker=3)
    yield [conns for _, conns in sorted(pinned.items())]
    for conns in pinned.values():
        for conn in conns:
            conn.close()


def _task_call(name: str, arguments: dict | None = None) -> dict:
    return {"name": name, "arguments": arguments or {}, "task": {"ttl": 120_000}}


def test_one_session_and_its_tasks_across_four_workers(gunicorn4, workers):
    w1, w2, w3, w4 = workers
    client = Client(gunicorn4.url)
    client.initialize(w1[0])                             # the session starts on worker 1
    client.notify(w2[0], "notifications/initialized")    # ... and goes on on the others
    listener = client.listen(w3[1])                      # the client's GET stream: worker 3
    assert client.call(w4[0], "tools/call", {"name": "whoami"})["structuredContent"]["result"] == w4[0].pid

    # A task created through worker 1 asks a question; the question reaches the client on the
    # GET stream held by worker 3; the answer is POSTed to worker 4 and relayed to worker 1.
    created = client.call(w1[0], "tools/call", _task_call("ask", {"question": "who?"}))
    task_id = created["task"]["taskId"]
    statuses = {client.call(w[0], "tasks/get", {"taskId": task_id})["status"] for w in (w2, w3, w4)}
    assert statuses <= {"working", "input_required"}
    question = listener.until(lambda m: m.get("method") == "elicitation/create")[-1]
    assert question["params"]["message"] == "who?"
    assert question["params"]["_meta"]["io.modelcontextprotocol/related-task"]["taskId"] == task_id
    assert client.call(w2[0], "tasks/get", {"taskId": task_id})["status"] == "input_required"
    client.answer(w4[0], question["id"], {"action": "accept", "content": {"name": "ada"}})
    result = client.call(w2[0], "tasks/result", {"taskId": task_id})   # waits on worker 2
    assert result["content"][0]["text"] == f"{w1[0].pid}:accept:ada"  # ran on worker 1
    assert client.call(w3[0], "tasks/get", {"taskId": task_id})["status"] == "completed"

    # A task created through worker 4: its question reaches the GET stream on worker 3; a
    # tasks/result waits on worker 2; the answer goes to worker 1 (relayed to worker 4), and
    # the result arrives on worker 2's stream.
    created = client.call(w4[0], "tools/call", _task_call("ask", {"question": "again?"}))
    task_id = created["task"]["taskId"]
    question = listener.until(lambda m: m.get("method") == "elicitation/create")[-1]
    assert question["params"]["message"] == "again?"
    rid, waiting = client.start(w2[1], "tasks/result", {"taskId": task_id})
    client.answer(w1[0], question["id"], {"action": "accept", "content": {"name": "bob"}})
    final = waiting.until(lambda m: m.get("id") == rid and "method" not in m)[-1]
    assert final["result"]["content"][0]["text"] == f"{w4[0].pid}:accept:bob"

    # A task created through worker 4 is cancelled through worker 2 and seen cancelled on 1 and 3.
    created = client.call(w4[0], "tools/call", _task_call("hang"))
    task_id = created["task"]["taskId"]
    assert client.call(w1[0], "tasks/get", {"taskId": task_id})["status"] == "working"
    assert client.call(w2[0], "tasks/cancel", {"taskId": task_id})["status"] == "cancelled"
    for w in (w1, w3, w4):
        assert client.call(w[0], "tasks/get", {"taskId": task_id})["status"] == "cancelled"
    listed = client.call(w3[0], "tasks/list")["tasks"]
    assert len(listed) == 3  # the session's tasks, whichever worker made them

    # DELETE through worker 2 ends the session on every worker.
    deleted = w2[0].send("DELETE", gunicorn4.url, headers=client.headers())
    assert deleted.status_code == 200
    for w in workers:
        gone = client.post(w[0], {"jsonrpc": "2.0", "id": 999, "method": "ping"})
        assert gone.status_code == 404
    listener.close()


def test_a_worker_killed_mid_task_leaves_it_failed_and_nothing_hangs(gunicorn4, workers):
    w1, w2, w3, w4 = workers
    client = Client(gunicorn4.url)
    client.initialize(w2[0])
    client.notify(w3[0], "notifications/initialized")
    created = client.call(w1[0], "tools/call", _task_call("hang"))
    task_id = created["task"]["taskId"]
    doomed = w1[0].pid  # the task runs on worker 1
    assert client.call(w2[0], "tasks/get", {"taskId": task_id})["status"] == "working"
    with ThreadPoolExecutor(1, thread_name_prefix="test-result") as pool:
        waiting = pool.submit(client.call, w3[0], "tasks/result", {"taskId": task_id}, whole=True)
        killed_at = time.monotonic()
        os.kill(doomed, signal.SIGKILL)
        # Other workers answer at once meanwhile.
        assert client.call(w4[0], "tools/call", {"name": "whoami"})["structuredContent"]["result"] == w4[0].pid
        outcome = waiting.result(timeout=30)  # the lease (1 s) lapses: the task fails
    elapsed = time.monotonic() - killed_at
    assert elapsed < 10, elapsed
    assert outcome["error"] == {"code": -32603, "message": "Internal error: the worker running the task "
                                                          "stopped before it finished"}
    status = client.call(w4[0], "tasks/get", {"taskId": task_id})
    assert status["status"] == "failed"
    assert "worker running the task stopped" in status["statusMessage"]
    # The session goes on through the surviving workers (gunicorn replaced the dead one).
    assert client.call(w2[0], "tools/call", {"name": "whoami"})["structuredContent"]["result"] == w2[0].pid


def within(reader: SseReader, predicate: Any, seconds: float = 30.0) -> list:
    """``reader.until(predicate)`` (``reader.messages()`` for None), failing instead of hanging past
    ``seconds``: keep-alives arrive every second, so a read alone never times out; the deadline shuts
    the socket down and the test fails."""
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        sock = getattr(getattr(reader.response.raw, "_connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(seconds, cut)
    timer.name = "test-deadline"
    timer.start()
    try:
        got = reader.messages() if predicate is None else reader.until(predicate)
    finally:
        timer.cancel()
        timer.join()
    assert not fired.is_set(), f"nothing more within {seconds} s; got {got}"
    return got


def rest(reader: SseReader, seconds: float = 30.0) -> list:
    """Every message until the stream ends; a stream still open after ``seconds`` fails the test."""
    return within(reader, None, seconds)


def _get(client: Client, via, last_event_id: str):
    headers = client.headers("text/event-stream")
    del headers["Content-Type"]
    headers["Last-Event-ID"] = last_event_id
    response = via.send("GET", client.url, headers=headers, stream=True)
    assert response.status_code == 200, response.text
    return SseReader(response)


def _progress(messages: list) -> list:
    return [m["params"]["progress"] for m in messages if m.get("method") == "notifications/progress"]


def test_a_response_stream_cut_mid_call_resumes_on_another_worker(gunicorn4, workers, redis_url):
    w1, w2, w3, w4 = workers
    gates = redis.Redis.from_url(redis_url)
    gate = "gate:" + secrets.token_hex(6)
    client = Client(gunicorn4.url)
    client.initialize(w3[0])
    client.notify(w4[0], "notifications/initialized")
    response = client.post(w1[2], {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                                   "params": {"name": "steps", "arguments": {"gate": gate},
                                              "_meta": {"progressToken": "p"}}}, stream=True)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    reader = SseReader(response)
    before = within(reader, lambda m: m.get("method") == "notifications/progress" and m["params"]["progress"] == 2)
    assert _progress(before) == [1, 2]
    last_event_id = reader.last_event_id
    assert last_event_id and last_event_id.startswith("r")
    reader.close()  # the client's connection to worker 1 is cut mid-call

    gates.rpush(gate + ":go1", "1")
    assert gates.blpop([gate + ":at4"], timeout=30) is not None  # progress 3 and 4 went out meanwhile
    resumed = _get(client, w2[2], last_event_id)  # resumed through worker 2
    after = within(resumed, lambda m: m.get("method") == "notifications/progress" and m["params"]["progress"] == 4)
    gates.rpush(gate + ":go2", "1")  # 5, 6 and the result are produced on worker 1 from now on
    after += within(resumed, lambda m: m.get("id") == 7 and "method" not in m)
    assert rest(resumed, 10) == []  # the stream ends with the response
    assert _progress(after) == [3, 4, 5, 6]
    answers = [m for m in after if "method" not in m]
    assert len(answers) == 1 and answers[0]["result"]["content"][0]["text"] == f"done by {w1[0].pid}"
    # The session goes on; the same resumption again replays the same rest (nothing was consumed).
    again = rest(_get(client, w4[2], last_event_id), 10)
    assert _progress(again) == [3, 4, 5, 6] and again[-1]["id"] == 7


def _poke_messages(messages: list, tag: str) -> list:
    out = []
    for m in messages:
        method, params = m.get("method"), m.get("params") or {}
        if method == "notifications/message" and str(params.get("data", "")).startswith(tag + ":"):
            out.append((params["level"], params["data"]))
        elif method in ("notifications/resources/updated", "notifications/tools/list_changed"):
            out.append((method, params.get("uri")))
    return out


def test_server_notifications_reach_the_get_stream_on_another_worker(gunicorn4, workers):
    w1, w2, w3, w4 = workers
    tag = secrets.token_hex(4)
    client = Client(gunicorn4.url)
    client.initialize(w1[0])
    client.notify(w2[0], "notifications/initialized")
    client.call(w2[0], "resources/subscribe", {"uri": "deploy://counter"})
    client.call(w3[0], "logging/setLevel", {"level": "warning"})
    listener = client.listen(w3[1])                      # the client's GET stream: worker 3
    # Raised on worker 4 (its first request of this session: it learns the subscription, the log
    # level and where the GET stream is from Redis), for every session it holds.
    poked = client.call(w4[0], "tools/call", {"name": "poke", "arguments": {"tag": tag + "a"}})
    assert poked["structuredContent"]["result"] == w4[0].pid
    got = within(listener, lambda m: (m.get("params") or {}).get("data") == f"{tag}a:end")
    assert _poke_messages(got, tag + "a") == [
        ("notifications/resources/updated", "deploy://counter"), ("notifications/tools/list_changed", None),
        ("warning", f"{tag}a:warning"), ("error", f"{tag}a:end")]  # no info: below the level set on worker 3

    # The GET stream is cut; more is raised on worker 4 while the client is away; the client resumes
    # its GET stream on worker 2 and gets every message exactly once.
    last_event_id = listener.last_event_id
    assert last_event_id and last_event_id.startswith("g")
    listener.close()
    client.call(w4[0], "tools/call", {"name": "poke", "arguments": {"tag": tag + "b"}})
    resumed = _get(client, w2[2], last_event_id)
    expected = [("notifications/resources/updated", "deploy://counter"), ("notifications/tools/list_changed", None),
                ("warning", f"{tag}b:warning"), ("error", f"{tag}b:end")]
    seen: list = []
    while sorted(_poke_messages(seen, tag + "b"), key=str) != sorted(expected, key=str):
        assert len(_poke_messages(seen, tag + "b")) < len(expected), seen
        seen += within(resumed, lambda m: True)
    # Later messages go to worker 2's stream; anything duplicated would show before this marker.
    client.call(w1[0], "tools/call", {"name": "poke", "arguments": {"tag": tag + "c", "untagged": False}})
    seen += within(resumed, lambda m: (m.get("params") or {}).get("data") == f"{tag}c:end")
    assert sorted(_poke_messages(seen, tag + "b"), key=str) == sorted(expected, key=str)
    assert [m for m in _poke_messages(seen, tag + "a") if m[0] in ("warning", "error")] == []  # after the id only
    resumed.close()


def test_a_task_question_goes_to_a_tasks_result_waiting_on_another_worker(gunicorn4, workers):
    w1, w2, w3, w4 = workers
    client = Client(gunicorn4.url)
    client.initialize(w2[0])
    client.notify(w3[0], "notifications/initialized")

    # No GET stream anywhere: the task (on worker 1) queues its question until a tasks/result
    # for it waits, here on worker 2; the question goes out on that stream.
    task_id = client.call(w1[0], "tools/call", _task_call("ask", {"question": "queued?"}))["task"]["taskId"]
    for _ in range(1000):  # the question is queued once the task is input_required
        if client.call(w4[0], "tasks/get", {"taskId": task_id})["status"] == "input_required":
            break
    else:
        raise AssertionError("the task never asked")
    rid, waiting = client.start(w2[1], "tasks/result", {"taskId": task_id})
    question = within(waiting, lambda m: m.get("method") == "elicitation/create")[-1]
    assert question["params"]["message"] == "queued?"
    client.answer(w3[0], question["id"], {"action": "accept", "content": {"name": "cy"}})  # relayed to worker 1
    final = within(waiting, lambda m: m.get("id") == rid and "method" not in m)[-1]
    assert final["result"]["content"][0]["text"] == f"{w1[0].pid}:accept:cy"
    assert rest(waiting, 10) == []  # the stream ends with the result: the connection is reused

    # A task created through the worker holding the GET stream (3): its first question goes there;
    # once a tasks/result for it waits on worker 2, the next question goes to that stream instead.
    listener = client.listen(w3[1])
    task_id = client.call(w3[0], "tools/call", _task_call("ask_twice"))["task"]["taskId"]
    first = within(listener, lambda m: m.get("method") == "elicitation/create")[-1]
    assert first["params"]["message"] == "first?"
    rid, waiting = client.start(w2[1], "tasks/result", {"taskId": task_id})
    client.answer(w4[0], first["id"], {"action": "accept", "content": {"name": "x"}})
    second = within(waiting, lambda m: m.get("method") == "elicitation/create")[-1]
    assert second["params"]["message"] == "second?"
    assert second["params"]["_meta"]["io.modelcontextprotocol/related-task"]["taskId"] == task_id
    client.answer(w1[0], second["id"], {"action": "accept", "content": {"name": "y"}})
    final = within(waiting, lambda m: m.get("id") == rid and "method" not in m)[-1]
    assert final["result"]["content"][0]["text"] == f"{w3[0].pid}:x+y"
    assert client.call(w4[0], "tasks/get", {"taskId": task_id})["status"] == "completed"
    listener.close()
