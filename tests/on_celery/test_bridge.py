"""CeleryTasks in one process: a Server, a real redis-server and a real Celery worker process.

The tools are worker_app's plain Celery tasks. Waiting is always on something that
happens (a Redis list the task pushes to, a published Celery state, the task table's
condition), never on a sleep.
"""

from __future__ import annotations

import secrets

import pytest

from mcp_sync import Client, Server
from mcp_sync.integrations.celery import CeleryTasks, celery_task_id, describe_state
from mcp_sync.tasks import ANY_OWNER

from .conftest import CeleryWorker

WAIT = 30


@pytest.fixture(scope="module")
def celery_worker(worker_app, celery_redis_url, tmp_path_factory):
    worker = CeleryWorker("solo1", celery_redis_url, tmp_path_factory.mktemp("celery") / "worker.log")
    try:
        yield worker
    finally:
        worker.kill()
        CeleryWorker.purge(celery_redis_url)


@pytest.fixture
def gates(celery_redis_url):
    import redis
    client = redis.Redis.from_url(celery_redis_url, socket_timeout=None)  # BLPOPs outlast the 5 s default
    yield client
    client.close()


@pytest.fixture
def served(worker_app, celery_worker):
    server = Server("celery-in-process", tasks=True)
    bridge = CeleryTasks(server, worker_app.app, prefix="inproc:" + secrets.token_hex(4))
    bridge.tool(worker_app.crunch)
    bridge.tool(worker_app.hold, name="hold_on")
    bridge.tool(worker_app.explode)
    try:
        yield server, bridge
    finally:
        bridge.close()
        server.close()


def legacy(server: Server) -> Client:
    return Client.connect(server, protocol_version="2025-11-25")


def test_a_celery_task_is_a_required_task_tool_with_the_functions_schema(served):
    server, _bridge = served
    with legacy(server) as client:
        tools = {t.name: t for t in client.list_tools()}
    crunch = tools["crunch"]
    schema = crunch.input_schema
    assert set(schema["properties"]) == {"numbers", "gate", "steps"}  # a bound task's self is not a parameter
    assert schema["properties"]["numbers"]["type"] == "array" and schema["required"] == ["numbers"]
    assert "Add up" in crunch.description
    assert crunch.execution.task_support == "required"
    assert "hold_on" in tools and "hold" not in tools


def test_status_progress_and_result_follow_the_celery_task(served, gates):
    server, _bridge = served
    seen: list[tuple] = []
    gate = "g:" + secrets.token_hex(4)
    with legacy(server) as client:
        task = client.call_tool_as_task("crunch", {"numbers": [1, 2, 3, 4], "gate": gate, "steps": 2},
                                        progress=lambda p, t, m: seen.append((p, t, m)))
        assert gates.blpop([gate + ":at"], timeout=WAIT) is not None  # step 1 runs in the Celery worker
        assert client.get_task(task.task_id).status == "working"
        gates.rpush(gate + ":go", 1)
        assert gates.blpop([gate + ":at"], timeout=WAIT) is not None  # step 2 began: step 1 was reported
        record = server.tasks.store.wait_for(task.task_id, ANY_OWNER,
                                             lambda r: r.status_message == "step 1 of 2", timeout=WAIT)
        assert record.status == "working"
        assert client.get_task(task.task_id).status_message == "step 1 of 2"
        gates.rpush(gate + ":go", 1)
        result = task.result(timeout=WAIT)
    assert result.structured_content["total"] == 10
    assert result.structured_content["worker"] == "solo1@test"
    assert seen == [(1, 2, "step 1 of 2"), (2, 2, "step 2 of 2")]


def test_a_failing_celery_task_fails_the_mcp_task_with_its_error(served):
    server, _bridge = served
    with legacy(server) as client:
        task = client.call_tool_as_task("explode", {"reason": "on purpose"})
        raw = client.get_task_result(task.task_id, timeout=WAIT)
        assert client.get_task(task.task_id).status == "failed"
    assert raw.is_error is True
    assert "ValueError" in raw.text and "exploded: on purpose" in raw.text


def test_invalid_arguments_fail_the_task_before_anything_reaches_celery(served, worker_app):
    server, _bridge = served
    with legacy(server) as client:
        task = client.call_tool_as_task("crunch", {"numbers": "not a list"})
        raw = client.get_task_result(task.task_id, timeout=WAIT)
    assert raw.is_error is True and "Invalid arguments for tool 'crunch'" in raw.text
    assert worker_app.app.AsyncResult(celery_task_id(task.task_id)).state == "PENDING"  # never sent


def test_a_plain_call_runs_as_a_task(served):
    """The server refuses a plain tools/call of a Celery tool (-32601, it is task-only); Client.call_tool
    then runs it as a task by itself, as for any task-only tool (the same in both eras)."""
    server, _bridge = served
    with legacy(server) as client:
        result = client.call_tool("crunch", {"numbers": [1, 2]}, timeout=WAIT)
    assert result.is_error is False and result.structured_content["total"] == 3


def test_cancel_revokes_the_running_celery_task(served, gates, worker_app, celery_redis_url):
    server, _bridge = served
    gate = "g:" + secrets.token_hex(4)
    with legacy(server) as client:
        task = client.call_tool_as_task("hold_on", {"gate": gate})
        assert gates.blpop([gate + ":at"], timeout=WAIT) is not None  # running in the worker's child
        states = gates.pubsub()
        try:
            states.subscribe(worker_app.app.backend.get_key_for_task(celery_task_id(task.task_id)))
            client.cancel_task(task.task_id)
            revoked = _next_state(states, worker_app, "REVOKED")
        finally:
            states.close()
        assert revoked == "REVOKED"
        assert client.get_task(task.task_id).status == "cancelled"
        # The revoke terminated the child that ran it: the release below finds nobody waiting for it,
        # and the worker (its only child replaced) goes on with the next task.
        gates.rpush(gate + ":go", 1)
        after = client.call_tool_as_task("crunch", {"numbers": [5, 6]}).result(timeout=WAIT)
    assert after.structured_content["total"] == 11
    assert gates.llen(gate + ":go") == 1


def test_a_celery_run_that_starts_after_its_mcp_task_ended_is_revoked(served, gates, worker_app):
    """E.g. Celery redelivering a terminated acks_late task to a worker that never heard the revoke."""
    server, _bridge = served
    gate = "g:" + secrets.token_hex(4)
    with legacy(server) as client:
        task = client.call_tool_as_task("explode", {"reason": "first run"})
        assert client.get_task_result(task.task_id, timeout=WAIT).is_error is True  # the MCP task ended
        states = gates.pubsub()
        try:
            states.subscribe(worker_app.app.backend.get_key_for_task(celery_task_id(task.task_id)))
            # The same Celery task id runs again, on a worker with no revoke for it.
            worker_app.hold.apply_async(kwargs={"gate": gate}, task_id=celery_task_id(task.task_id))
            assert _next_state(states, worker_app, "REVOKED") == "REVOKED"
        finally:
            states.close()
        assert client.get_task(task.task_id).status == "failed"  # the MCP task is not touched
        gates.rpush(gate + ":go", 1)  # nobody waits for it any more
        assert client.call_tool_as_task("crunch", {"numbers": [7]}).result(timeout=WAIT).structured_content[
            "total"] == 7
    assert gates.llen(gate + ":go") == 1


def test_the_2026_07_28_tasks_extension_on_celery(served):
    server, _bridge = served
    with Client.connect(server) as client:
        task = client.call_tool_as_task("crunch", {"numbers": [2, 3]})
        assert task.task_id is not None
        result = task.result(timeout=WAIT)
        assert result.structured_content["total"] == 5
        record = server.tasks.store.get(task.task_id, ANY_OWNER)
        assert record.status == "completed" and record.result["resultType"] == "complete"


def _next_state(pubsub, worker_app, wanted: str) -> str | None:
    """The first published Celery state equal to ``wanted`` (blocking reads, bounded by WAIT each)."""
    while True:
        message = pubsub.get_message(timeout=WAIT)
        if message is None:
            return None
        if message["type"] != "message":
            continue
        state = worker_app.app.backend.decode_result(message["data"])["status"]
        if state == wanted:
            return state


@pytest.mark.parametrize("state, info, message, progress", [
    ("PENDING", None, None, None),
    ("STARTED", {"hostname": "w@h", "pid": 1}, "Running on w@h", None),
    ("RETRY", ConnectionError("refused"), "Retrying after ConnectionError: refused", None),
    ("PROGRESS", {"progress": 3, "total": 10}, "3/10", (3, 10, "3/10")),
    ("PROGRESS", {"progress": 2, "message": "half"}, "half", (2, None, "half")),
    ("RENDERING", {"message": "frame 7"}, "frame 7", None),
    ("RENDERING", "opaque", "RENDERING", None),
])
def test_celery_states_map_to_status_messages_and_progress(state, info, message, progress):
    assert describe_state(state, info) == (message, progress)


def test_a_result_backend_without_publish_subscribe_is_refused():
    from celery import Celery

    app = Celery("no-redis-backend", broker="memory://", backend="cache+memory://")
    with pytest.raises(TypeError, match="result backend is Redis"):
        CeleryTasks(Server("x"), app)


def test_a_celery_task_outlives_the_session_that_created_it(served, gates):
    server, _bridge = served
    gate = "g:" + secrets.token_hex(4)
    with legacy(server) as client:
        task_id = client.call_tool_as_task("hold_on", {"gate": gate}).task_id
        assert gates.blpop([gate + ":at"], timeout=WAIT) is not None
    # The session is gone (its ordinary tasks would be cancelled and deleted); the Celery task goes on.
    assert server.tasks.store.get(task_id, ANY_OWNER).status == "working"
    gates.rpush(gate + ":go", 1)
    record = server.tasks.store.wait_terminal(task_id, ANY_OWNER, timeout=WAIT)
    assert record.status == "completed" and record.result["content"][0]["text"] == "released on solo1@test"


def test_a_session_without_tasks_gets_an_error_result_saying_so(served):
    server, _bridge = served
    with Client.connect(server, protocol_version="2025-06-18") as client:
        result = client.call_tool("crunch", {"numbers": [1]})
    assert result.is_error and "can only be called as a task" in result.content[0].text


def test_start_and_close_leave_no_thread_or_socket_behind(worker_app, celery_worker):
    import gc
    import os
    import threading

    worker_app.app.backend.client.ping()  # the backend's own pooled connection exists before and after
    gc.collect()  # sockets of earlier tests' dropped clients close now, not in the middle
    fds = len(os.listdir("/proc/self/fd"))
    server = Server("celery-lifecycle", tasks=True)
    bridge = CeleryTasks(server, worker_app.app, prefix="life:" + secrets.token_hex(4))
    bridge.start()
    assert [t.name for t in threading.enumerate()].count("mcp-sync-celery-watch") == 1
    bridge.close()
    bridge.close()  # idempotent
    server.close()
    assert "mcp-sync-celery-watch" not in [t.name for t in threading.enumerate()]
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= fds
    with pytest.raises(RuntimeError, match="closed"):
        bridge.start()


def test_a_watcher_that_starts_later_catches_up_with_what_it_missed(worker_app, celery_worker, gates):
    """The outcome lives in Celery's result backend: a task that finished while no web worker listened
    is recorded by the next watcher to start."""
    server = Server("celery-catch-up", tasks=True)
    prefix = "catchup:" + secrets.token_hex(4)
    first = CeleryTasks(server, worker_app.app, prefix=prefix)
    first.tool(worker_app.hold)
    gate = "g:" + secrets.token_hex(4)
    try:
        with legacy(server) as client:
            task_id = client.call_tool_as_task("hold", {"gate": gate}).task_id
        assert gates.blpop([gate + ":at"], timeout=WAIT) is not None
        first.close()  # nobody listens any more
        states = gates.pubsub()
        try:
            states.subscribe(worker_app.app.backend.get_key_for_task(celery_task_id(task_id)))
            gates.rpush(gate + ":go", 1)
            assert _next_state(states, worker_app, "SUCCESS") == "SUCCESS"
        finally:
            states.close()
        assert server.tasks.store.get(task_id, ANY_OWNER).status == "working"  # nobody mirrored it
        second = CeleryTasks(server, worker_app.app, prefix=prefix)
        second.tool(worker_app.hold, replace=True)
        second.start()  # returns once it caught up
        try:
            record = server.tasks.store.get(task_id, ANY_OWNER)
            assert record.status == "completed"
            assert record.result["content"][0]["text"] == "released on solo1@test"
        finally:
            second.close()
    finally:
        first.close()
        server.close()
