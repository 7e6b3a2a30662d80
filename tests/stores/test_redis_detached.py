"""``RedisTaskStore.create_detached``: a task whose work runs elsewhere (e.g. Celery) is outside the
creating worker's lease, so it stays ``working`` when that worker dies, while the worker's own tasks fail.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest

from mcp_sync.tasks import InMemoryTaskStore, TaskLimits

HOLDER = """
import json, sys
from mcp_sync.tasks import TaskLimits
from mcp_sync.tasks.redis_store import RedisTaskStore
store = RedisTaskStore(sys.argv[1], TaskLimits(), prefix=sys.argv[2], lease_ms=300).start()
own = store.create("o", "tools/call", ttl_ms=600_000).task_id
detached = store.create_detached("o", "tools/call", ttl_ms=600_000).task_id
print(json.dumps({"own": own, "detached": detached}), flush=True)
sys.stdin.read()  # until killed
"""


@pytest.fixture
def survivor(redis_server):
    from mcp_sync.tasks.redis_store import RedisTaskStore

    store = RedisTaskStore(redis_server.url, TaskLimits(), prefix="detached:" + secrets.token_hex(4),
                           lease_ms=600).start()  # a live worker: its reaper acts on lapsed leases
    yield store
    store.close()


def test_a_detached_task_outlives_the_worker_that_created_it(survivor, redis_server, redis_client):
    from mcp_sync.tasks.redis_store import LEASE_ERROR

    child = subprocess.Popen([sys.executable, "-c", HOLDER, redis_server.url, survivor.prefix],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ids = json.loads(child.stdout.readline())  # type: ignore[union-attr]
        assert redis_client.hexists(f"{survivor.prefix}:h", ids["own"])
        assert not redis_client.hexists(f"{survivor.prefix}:h", ids["detached"])  # nobody holds it
        child.kill()  # SIGKILL: its lease lapses
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()  # type: ignore[union-attr]
        child.stdin.close()  # type: ignore[union-attr]
    own = survivor.wait_terminal(ids["own"], "o", timeout=30)
    assert own.status == "failed" and own.error == dict(LEASE_ERROR)
    assert survivor.get(ids["detached"], "o").status == "working"  # checked after the lease was acted on
    done = survivor.set_result(ids["detached"], "completed", result={"content": []})
    assert done.status == "completed"


def test_other_stores_create_detached_tasks_as_usual():
    with InMemoryTaskStore() as store:
        record = store.create_detached("o", "tools/call", ttl_ms=60_000, status_message="queued")
        assert (record.status, record.status_message, record.ttl_ms) == ("working", "queued", 60_000)
        assert store.get(record.task_id, "o").task_id == record.task_id
