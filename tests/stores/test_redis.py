"""RedisTaskStore beyond the shared contract: several processes, key expiry, reconnects."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mcp_sync.tasks import (
    TaskEvent,
    TaskLimitError,
    TaskLimits,
    TaskNotFound,
    TaskRunner,
    TaskStoreClosed,
)

from .conftest import TEST_LIMITS, call_tool_result

PEER = Path(__file__).with_name("_redis_peer.py")
OK = call_tool_result("ok")


@pytest.fixture
def prefix():
    return f"test:{uuid.uuid4().hex}"


@pytest.fixture
def make_store(redis_server, prefix):
    from mcp_sync.tasks.redis_store import RedisTaskStore
    stores = []

    def make(limits=TEST_LIMITS, **kwargs):
        kwargs.setdefault("prefix", prefix)
        store = RedisTaskStore(kwargs.pop("client", redis_server.url), limits, **kwargs)
        stores.append(store)
        return store

    try:
        yield make
    finally:
        for store in reversed(stores):
            store.close()


class Peer:
    """The other process: JSON lines over its stdin/stdout, read by a named thread."""

    def __init__(self, url: str, prefix: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(PEER), url, prefix],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="test-peer-reader")
        self.reader.start()
        hello = self.recv()
        assert hello.get("ready"), hello
        self.instance = hello["instance"]

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)  # EOF

    def send(self, **cmd) -> None:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def recv(self, timeout: float = 30) -> dict:
        try:
            reply = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail("the peer process did not answer")
        if reply is None:
            pytest.fail(f"the peer process exited: {self.proc.stderr.read()}")
        return reply

    def call(self, **cmd) -> dict:
        self.send(**cmd)
        return self.recv()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(op="quit")
            except BrokenPipeError:  # pragma: no cover
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait()
        self.reader.join()
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def peer(redis_server, prefix):
    p = Peer(redis_server.url, prefix)
    try:
        yield p
    finally:
        p.close()


# -- two processes ------------------------------------------------------------------------

def test_task_created_here_is_visible_waitable_and_cancellable_there(make_store, peer):
    store = make_store()
    rec = store.create("alice", "tools/call")
    assert peer.call(op="get", id=rec.task_id, owner="alice")["status"] == "working"
    assert peer.call(op="get", id=rec.task_id, owner="mallory") == {"error": "TaskNotFound"}
    assert peer.call(op="list", owner="alice") == {"ids": [rec.task_id]}

    # a waiter in the other process wakes when this process completes the task
    peer.send(op="wait", id=rec.task_id, owner="alice")
    assert peer.recv() == {"waiting": True}
    store.set_result(rec.task_id, "completed", result=OK)
    assert peer.recv() == {"status": "completed", "result": OK}

    # the other process cancels a task this process is running: the work hears it
    started, stopped = threading.Event(), threading.Event()

    def work(ctx):
        started.set()
        if ctx.cancelled.wait(20):
            stopped.set()
        ctx.check_cancelled()
        return OK

    with TaskRunner(store, max_workers=1) as runner:
        running = runner.submit(work, owner="alice")
        assert started.wait(10)
        assert peer.call(op="cancel", id=running.task_id, owner="alice") == {
            "status": "cancelled"}
        assert stopped.wait(10), "the cancellation never reached this process's runner"
    assert store.get(running.task_id, "alice").status == "cancelled"


def test_task_created_there_is_visible_and_waitable_here(make_store, peer):
    store = make_store()
    heard = []
    cond = threading.Condition()

    def listener(record, event):
        with cond:
            heard.append((event, record.task_id, record.status))
            cond.notify_all()

    store.add_listener(listener)
    tid = peer.call(op="create", owner="bob")["id"]
    assert store.get(tid, "bob").status == "working"
    started = threading.Event()

    def waiting(record):
        started.set()
        return record.is_terminal

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "bob", waiting, timeout=20)
        assert started.wait(10)
        assert peer.call(op="complete", id=tid) == {"status": "completed"}
        final = fut.result(timeout=20)
    assert final.status == "completed" and final.result == {"content": [], "from": "peer"}
    # this process's listener hears the other process's changes (subscriber thread)
    with cond:
        assert cond.wait_for(lambda: ("status", tid, "completed") in heard, timeout=10)
        assert heard == [("created", tid, "working"), ("status", tid, "completed")]
    # ... and the other process hears ours, its own changes exactly once
    store.delete(tid)
    assert peer.call(op="await_event", event="removed", id=tid) == {"heard": True}
    assert peer.call(op="events")["events"] == [["created", tid, "working"],
                                                ["status", tid, "completed"],
                                                ["removed", tid, "completed"]]


def test_limits_are_shared_by_every_store(make_store):
    limits = TaskLimits(max_tasks=None, max_active_per_owner=2)
    first, second = make_store(limits), make_store(limits)
    first.create("o", "tools/call")
    second.create("o", "tools/call")
    with pytest.raises(TaskLimitError):
        first.create("o", "tools/call")
    with pytest.raises(TaskLimitError):
        second.create("o", "tools/call")


def test_one_removal_per_expired_task_however_many_reapers(make_store):
    stores = [make_store() for _ in range(3)]
    removals = []
    lock = threading.Lock()
    last_heard = threading.Event()
    last = []

    def listener(record, event):
        if event == TaskEvent.REMOVED:
            with lock:
                removals.append(record.task_id)
                if last and record.task_id == last[0]:
                    last_heard.set()

    stores[0].add_listener(listener)
    for store in stores:
        store.start()
    ids = [stores[i % 3].create("o", "tools/call", ttl_ms=300).task_id for i in range(6)]
    for tid in ids:  # every reaper races for the same deadlines
        with pytest.raises(TaskNotFound):
            stores[0].wait_terminal(tid, "o", timeout=10)
    # one more removal, announced after all the others: once heard, every earlier
    # announcement has been delivered too
    with lock:
        last.append(stores[1].create("o", "tools/call", ttl_ms=100).task_id)
    assert last_heard.wait(10)
    with lock:
        assert sorted(removals) == sorted(ids + last)  # each exactly once


# -- keys, expiry and clean-up ----------------------------------------------------------------

def _keys(client, prefix):
    return sorted(k.decode() for k in client.scan_iter(match=f"{prefix}:*"))


def test_redis_key_expiry_is_the_backstop(make_store, redis_client, prefix):
    store = make_store(expiry_grace_ms=5_000)
    rec = store.create("o", "tools/call", ttl_ms=60_000)
    pttl = redis_client.pttl(f"{prefix}:t:{rec.task_id}")
    assert 60_000 < pttl <= 65_000
    forever = store.create("o", "tools/call", ttl_ms=None)
    assert forever.ttl_ms == TEST_LIMITS.default_ttl_ms  # the default applies
    unlimited = make_store(TaskLimits(default_ttl_ms=None, max_ttl_ms=None))
    rec = unlimited.create("o", "tools/call")
    assert redis_client.pttl(f"{prefix}:t:{rec.task_id}") == -1


def test_nothing_is_left_behind(make_store, redis_client, prefix):
    store = make_store()
    a = store.create("alice", "tools/call", ttl_ms=60_000)
    b = store.create("bob", "tools/call", ttl_ms=None)
    c = store.create(None, "tools/call", ttl_ms=60_000)
    store.set_result(b.task_id, "completed", result=OK)
    assert len(_keys(redis_client, prefix)) > 4
    store.delete(a.task_id)
    store.delete(b.task_id)
    assert store.expire(now=time.time() + 120) == 1  # c
    assert _keys(redis_client, prefix) == [f"{prefix}:seq"]


def test_records_that_vanished_by_key_expiry_are_cleaned_up(make_store, redis_client, prefix):
    store = make_store()
    gone = store.create("o", "tools/call", ttl_ms=400)
    kept = store.create("o", "tools/call")
    started = threading.Event()

    def waiting(record):
        started.set()
        return False

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, gone.task_id, "o", waiting, timeout=20)
        assert started.wait(10)
        redis_client.delete(f"{prefix}:t:{gone.task_id}")  # as if Redis had expired it
        assert [r.task_id for r in store.list_page("o").tasks] == [kept.task_id]
        with pytest.raises(TaskNotFound):  # woken by the clean-up's announcement
            fut.result(timeout=20)
    assert len(store) == 1
    assert redis_client.zcard(f"{prefix}:exp") == 1  # kept's deadline only
    store.delete(kept.task_id)
    assert _keys(redis_client, prefix) == [f"{prefix}:seq"]


def test_server_clock_sets_the_times(make_store, redis_client):
    store = make_store()
    seconds, micros = redis_client.time()
    rec = store.create("o", "tools/call", ttl_ms=10_000)
    assert rec.created_at >= seconds + micros / 1e6
    assert rec.deadline == pytest.approx(rec.created_at + 10.0, abs=1e-6)


# -- the subscriber -----------------------------------------------------------------------------

def test_waiters_survive_a_lost_subscription(make_store, redis_client):
    store, other = make_store(), make_store()
    tid = store.create("o", "tools/call").task_id
    calls = []
    started = threading.Event()

    def waiting(record):
        calls.append(record.status)
        started.set()
        return record.is_terminal

    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        fut = pool.submit(store.wait_for, tid, "o", waiting, timeout=30)
        assert started.wait(10)
        # cut every subscriber's connection; they reconnect and re-subscribe
        assert redis_client.client_kill_filter(_type="pubsub") >= 1
        other.set_result(tid, "completed", result=OK)
        assert fut.result(timeout=30).status == "completed"
    # and the subscription works again for later changes
    tid2 = store.create("o", "tools/call").task_id
    with ThreadPoolExecutor(1, thread_name_prefix="test-pool") as pool:
        started.clear()
        fut = pool.submit(store.wait_for, tid2, "o", waiting, timeout=30)
        assert started.wait(10)
        other.cancel(tid2, "o")
        assert fut.result(timeout=30).status == "cancelled"


def test_malformed_events_are_ignored(make_store, redis_client, prefix, caplog):
    store, other = make_store(), make_store()
    heard = threading.Event()
    store.add_listener(lambda record, event: heard.set())
    store.start()
    tid = store.create("o", "tools/call").task_id
    heard.clear()
    redis_client.publish(f"{prefix}:events", b"not json")
    redis_client.publish(f"{prefix}:events", json.dumps({"i": "x", "e": "status"}))
    other.cancel(tid, "o")
    assert heard.wait(10)
    assert "malformed" in caplog.text


def test_client_with_decoded_responses(make_store, redis_server):
    import redis
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        store = make_store(client=client)
        rec = store.create("\u00e9l\u00e8ve", "tools/call", ttl_ms=5_000)
        store.set_result(rec.task_id, "completed", result={"text": "\u2713"})
        assert store.wait_terminal(rec.task_id, "\u00e9l\u00e8ve").result == {"text": "\u2713"}
        assert [r.task_id for r in store.list_page("\u00e9l\u00e8ve").tasks] == [rec.task_id]
        assert store.expire(now=time.time() + 60) == 1
        store.close()
        assert client.ping()  # a client passed in is left open
    finally:
        client.close()


def test_store_made_from_url_owns_its_client(make_store):
    store = make_store()
    store.create("o", "tools/call")
    store.close()
    with pytest.raises(TaskStoreClosed):
        store.create("o", "tools/call")
    assert not any(t.name.startswith("mcp-sync-task-") and t.is_alive()
                   for t in threading.enumerate())


def test_owner_type_is_checked(make_store):
    store = make_store()
    with pytest.raises(TypeError):
        store.create(42, "tools/call")
    assert store.list_page(42).tasks == []
    rec = store.create("o", "tools/call")
    with pytest.raises(TypeError):
        store.set_result(rec.task_id, "completed", result={"x": object()})
    assert store.get(rec.task_id, "o").status == "working"


# -- leases: a worker killed mid-task ----------------------------------------------------------

HOLDER = Path(__file__).with_name("_redis_holder.py")


def test_tasks_of_a_killed_worker_fail_when_its_lease_lapses(make_store, redis_server, redis_client,
                                                             prefix):
    from mcp_sync.tasks.redis_store import LEASE_ERROR, LEASE_MESSAGE

    survivor = make_store(lease_ms=600).start()
    mine = survivor.create("o", "tools/call", ttl_ms=600_000)  # held by a live store: never failed
    heard: list[tuple[str, str]] = []
    survivor.add_listener(lambda record, event: heard.append((event, record.status)))
    child = subprocess.Popen([sys.executable, str(HOLDER), redis_server.url, prefix, "600", "3"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        ids = json.loads(line)["ids"]
        assert survivor.get(ids[-1], "o").status == "input_required"
        with ThreadPoolExecutor(3, thread_name_prefix="test-wait") as pool:
            waits = [pool.submit(survivor.wait_for, task_id, "o", lambda r: r.is_terminal, timeout=30)
                     for task_id in ids]
            time.sleep(1.0)  # well past one lease: the child renews it, nothing fails
            assert not any(w.done() for w in waits)
            killed_at = time.monotonic()
            child.kill()  # SIGKILL: no clean-up of any kind
            child.wait(10)
            records = [w.result(timeout=30) for w in waits]
        elapsed = time.monotonic() - killed_at
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()  # type: ignore[union-attr]
        child.stdin.close()  # type: ignore[union-attr]
    assert elapsed < 0.6 + 5.0, elapsed  # one lease and a little: a deadline wake-up, not a TTL
    for record in records:
        assert record.status == "failed"
        assert record.status_message == LEASE_MESSAGE
        assert record.error == dict(LEASE_ERROR)
        assert record.input_requests is None
    assert survivor.get(mine.task_id, "o").status == "working"
    assert heard.count(("status", "failed")) == 3
    assert not redis_client.exists(f"{prefix}:lease") or redis_client.zcard(f"{prefix}:lease") == 1
    survivor.set_result(mine.task_id, "completed", result=OK)
    assert redis_client.zcard(f"{prefix}:lease") == 0  # nothing held: no lease left behind
