"""Fixtures for the task-store tests: a private redis-server, and one "kit" per store kind.

The ``kit`` fixture is parametrized over ``memory``, ``sqlite`` and ``redis``;
tests written against it (``contract.py``) run once per store. The Redis server is
started once per session on 127.0.0.1 with a free port, a temporary directory and
no persistence, and stopped at the end; each test gets its own key prefix.

Redis tests are skipped when ``redis-server`` or redis-py is missing (``make test``
installs both) unless ``MCP_SYNC_REQUIRE_REDIS=1``, which turns the skip into a
failure (for CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from mcp_sync.tasks import InMemoryTaskStore, TaskLimits

#: Limits for tests: small TTLs allowed, no caps unless a test sets them.
TEST_LIMITS = TaskLimits(max_tasks=None, max_active_per_owner=None, default_ttl_ms=60_000,
                         max_ttl_ms=600_000, min_ttl_ms=0, poll_interval_ms=250, page_size=10)

STORE_KINDS = ("memory", "sqlite", "redis")


@pytest.fixture(autouse=True)
def no_thread_left():
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


# -- a private redis-server ------------------------------------------------------------

class RedisServer:
    """One ``redis-server`` process on 127.0.0.1, in its own temporary directory."""

    def __init__(self, binary: str, directory: Path, *extra: str) -> None:
        self.binary = binary
        self.directory = directory
        self.extra = extra
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        last = ""
        for _ in range(5):  # the free port may be taken between probe and bind: retry
            self.port = _free_port()
            proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--dir", str(self.directory), "--save", "", "--appendonly", "no",
                 "--daemonize", "no", "--protected-mode", "yes", "--logfile", "",
                 "--loglevel", "notice", *self.extra],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            lines = []
            assert proc.stdout is not None
            for line in proc.stdout:  # blocks until redis logs readiness or exits
                lines.append(line)
                if "Ready to accept connections" in line:
                    self.proc = proc
                    return self
            proc.wait()
            last = "".join(lines[-5:])
        raise RuntimeError(f"redis-server did not start:\n{last}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.communicate()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_unavailable() -> str | None:
    try:
        import redis  # noqa: F401
    except ImportError:
        return "redis-py is not installed (pip install 'mcp-sync[redis]')"
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH (run scripts/setup_redis.sh)"
    return None


@pytest.fixture(scope="session")
def redis_server():
    reason = _redis_unavailable()
    if reason is not None:
        if os.environ.get("MCP_SYNC_REQUIRE_REDIS"):
            pytest.fail(reason)
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="mcp-sync-redis-"))
    server = RedisServer(shutil.which("redis-server"), directory).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def redis_client(redis_server):
    import redis
    client = redis.Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        client.close()


# -- store kits ----------------------------------------------------------------------------

class StoreKit:
    """Makes stores of one kind for a test and closes them afterwards.

    ``clock()`` is the clock the kind's ``deadline`` and ``expire(now)`` use.
    Stores made by one kit share their table (same file / same Redis prefix),
    like several workers would; ``make(fresh=True)`` starts a new table.
    """

    def __init__(self, kind: str, tmp_path: Path, redis_url: str | None) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.redis_url = redis_url
        self.path = tmp_path / "tasks.db"
        self.prefix = f"test:{uuid.uuid4().hex}"
        self.stores: list[Any] = []
        self.clock: Callable[[], float] = time.monotonic if kind == "memory" else time.time

    @property
    def durable(self) -> bool:
        return self.kind != "memory"

    def make(self, limits: TaskLimits | None = TEST_LIMITS, *, fresh: bool = False,
             **kwargs: Any):
        if fresh:
            self.path = self.tmp_path / f"tasks-{uuid.uuid4().hex}.db"
            self.prefix = f"test:{uuid.uuid4().hex}"
        if self.kind == "memory":
            store = InMemoryTaskStore(limits, **kwargs)
        elif self.kind == "sqlite":
            from mcp_sync.tasks.sqlite import SQLiteTaskStore
            store = SQLiteTaskStore(self.path, limits, **kwargs)
        else:
            from mcp_sync.tasks.redis_store import RedisTaskStore
            store = RedisTaskStore(self.redis_url, limits, prefix=self.prefix, **kwargs)
        self.stores.append(store)
        return store

    def close(self) -> None:
        for store in reversed(self.stores):
            store.close()


@pytest.fixture(params=STORE_KINDS)
def kit(request, tmp_path):
    redis_url = None
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_server").url
    kit = StoreKit(request.param, tmp_path, redis_url)
    try:
        yield kit
    finally:
        kit.close()


@pytest.fixture
def store(kit):
    return kit.make()


def call_tool_result(text: str, *, is_error: bool = False) -> dict:
    result: dict = {"content": [{"type": "text", "text": text}]}
    if is_error:
        result["isError"] = True
    return result
