"""Four gunicorn workers, one Redis, no sticky sessions: one legacy session and its tasks
served by every worker, and a worker SIGKILLed mid-task.

Each step goes through a connection pinned to a known worker (``X-Worker-Pid``), so the
test knows that a task created through one worker was polled, answered and cancelled
through the others.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

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
