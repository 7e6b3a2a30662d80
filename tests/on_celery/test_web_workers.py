"""Celery behind two real gunicorn web workers (tests/on_celery/web_app.py), one real Redis and two
real Celery workers: a task created through one web worker is polled, fetched and cancelled through
the other, in both eras; it survives the web worker that created it; with acks_late it survives the
Celery worker that ran it.

Every request goes through a connection pinned to a known web worker (``X-Worker-Pid``). Waits are on
what the test waits for (a Redis list a task pushes to, a published Celery state, the shared task
table's condition through a RedisTaskStore of the test's own), never on a sleep.
"""

from __future__ import annotations

import os
import secrets
import signal

import pytest

from mcp_sync.integrations.celery import celery_task_id
from mcp_sync.tasks import ANY_OWNER, RedisTaskStore
from mcp_sync.tasks.redis_store import LEASE_ERROR
from tests.deploy.test_multi_worker import Client
from tests.modern_server.support import ALL_CAPS, TASKS_EXT, HttpPeer, meta
from tests.wire_schema import validate

from .conftest import CeleryWorker, pin

WAIT = 30
WITH_TASKS = {**ALL_CAPS, "extensions": {TASKS_EXT: {}}}


@pytest.fixture(scope="module")
def celery_pair(worker_app, celery_redis_url, tmp_path_factory):
    """Two Celery workers, ``a@test`` and ``b@test`` (prefork, one child each)."""
    directory = tmp_path_factory.mktemp("celery-workers")
    workers: dict[str, CeleryWorker] = {}
    try:
        for name in ("a", "b"):
            workers[f"{name}@test"] = CeleryWorker(name, celery_redis_url, directory / f"{name}.log")
        yield workers
    finally:
        for worker in workers.values():
            worker.kill()
        CeleryWorker.purge(celery_redis_url)


@pytest.fixture
def gates(celery_redis_url):
    import redis
    client = redis.Redis.from_url(celery_redis_url, socket_timeout=None)  # BLPOPs outlast the 5 s default
    yield client
    client.close()


@pytest.fixture
def table(web, celery_redis_url):
    """The web workers' task table, seen from the test (to wait on its condition)."""
    store = RedisTaskStore(celery_redis_url, prefix=web.prefix + ":tasks", lease_ms=None).start()
    yield store
    store.close()


@pytest.fixture
def pinned(web):
    connections = pin(web.url)
    yield connections
    for connection in connections:
        connection.close()


def legacy_session(url: str, first, second) -> Client:
    client = Client(url)
    client.initialize(first)
    client.notify(second, "notifications/initialized")
    return client


def modern_peer(url: str, via) -> HttpPeer:
    peer = HttpPeer(url)
    peer.http.close()
    peer.http = via.http  # the pinned keep-alive connection
    return peer


def modern(peer: HttpPeer, via, method: str, params: dict) -> dict:
    reply = peer.post(method, params, meta_=meta(WITH_TASKS))
    assert int(reply.headers["x-worker-pid"]) == via.pid
    return reply.result


def _task(name: str, arguments: dict, **meta_: object) -> dict:
    params: dict = {"name": name, "arguments": arguments, "task": {"ttl": 300_000}}
    if meta_:
        params["_meta"] = meta_
    return params


def test_a_task_created_through_one_web_worker_is_polled_and_fetched_through_the_other(web, celery_pair, gates,
                                                                                        table, pinned):
    w1, w2 = pinned
    client = legacy_session(web.url, w1, w2)
    gate = "g:" + secrets.token_hex(4)
    created = client.call(w1, "tools/call", _task("crunch", {"numbers": [1, 2, 3], "gate": gate, "steps": 2},
                                                  progressToken="p-1"))
    task_id = created["task"]["taskId"]
    assert created["task"]["status"] == "working"
    validate("2025-11-25", "CreateTaskResult", created)
    assert gates.blpop([gate + ":at"], timeout=WAIT) is not None  # step 1 runs on a Celery worker
    polled = client.call(w2, "tasks/get", {"taskId": task_id})
    assert polled["status"] == "working"
    validate("2025-11-25", "GetTaskResult", polled)

    # The requestor waits on tasks/result through the creating web worker: the progress that worker
    # hears from Celery comes on that stream, tagged with the task, then the result.
    request_id, stream = client.start(w1, "tasks/result", {"taskId": task_id})
    gates.rpush(gate + ":go", 1)
    assert gates.blpop([gate + ":at"], timeout=WAIT) is not None
    record = table.wait_for(task_id, ANY_OWNER, lambda r: r.status_message == "step 1 of 2", timeout=WAIT)
    assert record.status == "working"
    assert client.call(w2, "tasks/get", {"taskId": task_id})["statusMessage"] == "step 1 of 2"
    gates.rpush(gate + ":go", 1)
    messages = stream.until(lambda m: m.get("id") == request_id and "method" not in m)
    progress = [m["params"] for m in messages if m.get("method") == "notifications/progress"]
    assert [p["progress"] for p in progress] in ([1, 2], [2])  # step 1 may come before the stream opened
    assert all(p["progressToken"] == "p-1" and p["total"] == 2 for p in progress)
    assert progress[-1]["message"] == "step 2 of 2"
    assert progress[-1]["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
    for message in messages:
        if message.get("method") == "notifications/progress":
            validate("2025-11-25", "ProgressNotification", message)
    result = messages[-1]["result"]
    validate("2025-11-25", "CallToolResult", result)
    assert result["structuredContent"]["total"] == 6 and result["structuredContent"]["worker"] in celery_pair

    # ... and the other web worker gives the same answers.
    assert client.call(w2, "tasks/result", {"taskId": task_id})["structuredContent"] == result["structuredContent"]
    assert client.call(w2, "tasks/get", {"taskId": task_id})["status"] == "completed"


def test_both_eras_cancel_through_another_web_worker_and_reach_the_celery_task(web, celery_pair, gates, table,
                                                                             pinned, worker_app):
    w1, w2 = pinned
    states = gates.pubsub()
    try:
        # 2025-11-25: created through w1, cancelled through w2.
        client = legacy_session(web.url, w1, w2)
        gate = "g:" + secrets.token_hex(4)
        task_id = client.call(w1, "tools/call", _task("hold", {"gate": gate}))["task"]["taskId"]
        assert _held(gates, gate, celery_pair) in celery_pair
        states.subscribe(worker_app.app.backend.get_key_for_task(celery_task_id(task_id)))
        assert client.call(w2, "tasks/cancel", {"taskId": task_id})["status"] == "cancelled"
        assert _next_state(states, worker_app) == "REVOKED"
        assert client.call(w1, "tasks/get", {"taskId": task_id})["status"] == "cancelled"

        # 2026-07-28 tasks extension: the same through w2 then w1.
        peer2, peer1 = modern_peer(web.url, w2), modern_peer(web.url, w1)
        gate = "g:" + secrets.token_hex(4)
        handle = modern(peer2, w2, "tools/call", {"name": "hold", "arguments": {"gate": gate}})
        assert handle["resultType"] == "task" and handle["status"] == "working"
        modern_id = handle["taskId"]
        _held(gates, gate, celery_pair)
        assert modern(peer1, w1, "tasks/get", {"taskId": modern_id})["status"] == "working"
        states.subscribe(worker_app.app.backend.get_key_for_task(celery_task_id(modern_id)))
        modern(peer1, w1, "tasks/cancel", {"taskId": modern_id})
        assert _next_state(states, worker_app) == "REVOKED"
        assert table.wait_terminal(modern_id, ANY_OWNER, timeout=WAIT).status == "cancelled"
        assert modern(peer2, w2, "tasks/get", {"taskId": modern_id})["status"] == "cancelled"

        # A modern task completes and any web worker inlines its result.
        handle = modern(peer1, w1, "tools/call", {"name": "crunch", "arguments": {"numbers": [4, 5]}})
        assert table.wait_terminal(handle["taskId"], ANY_OWNER, timeout=WAIT).status == "completed"
        got = modern(peer2, w2, "tasks/get", {"taskId": handle["taskId"]})
        assert got["status"] == "completed" and got["result"]["structuredContent"]["total"] == 9
    finally:
        states.close()


def test_killing_the_web_worker_that_created_a_task_does_not_stop_it(web, celery_pair, gates, table, pinned):
    w1, w2 = pinned
    client = legacy_session(web.url, w1, w2)
    gate = "g:" + secrets.token_hex(4)
    celery_id = client.call(w1, "tools/call", _task("hold", {"gate": gate}))["task"]["taskId"]
    held_by = _held(gates, gate, celery_pair)
    # An ordinary task, run by w1 itself, for comparison.
    local_id = client.call(w1, "tools/call", _task("linger", {}))["task"]["taskId"]

    os.kill(w1.pid, signal.SIGKILL)
    # The ordinary task dies with w1: its lease lapses and w2 answers its failure ...
    assert client.call(w2, "tasks/result", {"taskId": local_id}, whole=True)["error"] == dict(LEASE_ERROR)
    # ... while the Celery task, past that same lease, still runs.
    assert client.call(w2, "tasks/get", {"taskId": celery_id})["status"] == "working"
    gates.rpush(gate + ":go", 1)
    result = client.call(w2, "tasks/result", {"taskId": celery_id})
    assert result["content"][0]["text"] == f"released on {held_by}"
    assert client.call(w2, "tasks/get", {"taskId": celery_id})["status"] == "completed"


def test_a_celery_worker_killed_mid_task_has_its_task_completed_by_another(web, celery_pair, gates, table,
                                                                           pinned):
    w1, w2 = pinned
    client = legacy_session(web.url, w1, w2)
    gate = "g:" + secrets.token_hex(4)
    task_id = client.call(w1, "tools/call", _task("hold", {"gate": gate}))["task"]["taskId"]
    first_worker = _held(gates, gate, celery_pair, task_id)
    celery_pair[first_worker].kill()  # SIGKILL, main process and child: the message was never acknowledged
    # acks_late: once the visibility timeout passes the other worker gets the message and runs it again.
    second_worker = _held(gates, gate, celery_pair, task_id)
    assert second_worker != first_worker and second_worker in celery_pair
    assert client.call(w2, "tasks/get", {"taskId": task_id})["status"] == "working"
    gates.rpush(gate + ":go", 1)
    assert client.call(w2, "tasks/result", {"taskId": task_id})["content"][0]["text"] == f"released on {second_worker}"


def _held(gates, gate: str, workers: dict[str, CeleryWorker], task_id: str = "") -> str:
    """The Celery worker that (re)started ``hold`` on ``gate``; fails with the workers' logs if none did."""
    at = gates.blpop([gate + ":at"], timeout=WAIT)
    assert at is not None, f"no Celery worker started task {task_id}:\n" + "\n".join(
        f"--- {name} ---\n{worker.log()[-3000:]}" for name, worker in workers.items())
    return at[1].decode()


def _next_state(pubsub, worker_app) -> str | None:
    """The next terminal Celery state published on the subscribed channels (blocking reads)."""
    while True:
        message = pubsub.get_message(timeout=WAIT)
        if message is None:
            return None
        if message["type"] != "message":
            continue
        state = worker_app.app.backend.decode_result(message["data"])["status"]
        if state in ("SUCCESS", "FAILURE", "REVOKED"):
            return state
