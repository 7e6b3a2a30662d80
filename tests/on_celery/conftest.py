"""A real redis-server, real Celery worker processes and real gunicorn web workers for the Celery tests.

Redis is required: a missing redis-server or redis-py is a failure under
``MCP_SYNC_REQUIRE_REDIS=1`` and a skip otherwise (as in tests/stores).
Every Celery worker runs in its own session (process group) under a hard time limit
and is SIGKILLed as a group in teardown, so no prefork child outlives a test.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.gunicorn_process import ROOT, Gunicorn, Pinned
from tests.stores.conftest import RedisServer, _redis_unavailable
from tests.thread_check import no_threads_left_behind  # noqa: F401

#: Seconds a Celery worker may live at most (a hard bound should a teardown never run).
WORKER_LIFETIME = 240
WEB_WORKERS = 2


@pytest.fixture(scope="session")
def celery_redis_url():
    reason = _redis_unavailable()
    if reason is not None:
        if os.environ.get("MCP_SYNC_REQUIRE_REDIS"):
            pytest.fail(reason)
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="mcp-sync-celery-redis-"))
    server = RedisServer(shutil.which("redis-server"), directory).start()  # type: ignore[arg-type]
    previous = os.environ.get("MCP_SYNC_CELERY_REDIS")
    os.environ["MCP_SYNC_CELERY_REDIS"] = server.url  # read by worker_app on import, here and in subprocesses
    try:
        yield server.url
    finally:
        if previous is None:
            os.environ.pop("MCP_SYNC_CELERY_REDIS", None)
        else:
            os.environ["MCP_SYNC_CELERY_REDIS"] = previous
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def worker_app(celery_redis_url):
    """tests.on_celery.worker_app, imported once the Redis URL is known."""
    module = importlib.import_module("tests.on_celery.worker_app")
    assert module.REDIS == celery_redis_url, "worker_app was imported before the test Redis started"
    return module


class CeleryWorker:
    """``celery -A tests.on_celery.worker_app worker --pool=prefork -c 1 -n NAME@test`` in its own session."""

    def __init__(self, name: str, redis_url: str, log_path: Path) -> None:
        import redis

        self.hostname = f"{name}@test"
        self.log_path = log_path
        env = dict(os.environ, MCP_SYNC_CELERY_REDIS=redis_url)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["timeout", "--kill-after=5", str(WORKER_LIFETIME),
                 sys.executable, "-m", "celery", "-A", "tests.on_celery.worker_app", "worker",
                 "--pool=prefork", "--concurrency=1", "-n", self.hostname, "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "--loglevel=info"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        client = redis.Redis.from_url(redis_url, socket_timeout=None)
        try:  # the worker pushes its pid here once it consumes (worker_ready)
            ready = client.blpop([f"ready:{self.hostname}"], timeout=60)
        finally:
            client.close()
        if ready is None:
            self.kill()
            raise RuntimeError(f"Celery worker {self.hostname} did not start:\n{self.log()}")
        self.pid = int(ready[1])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @staticmethod
    def purge(redis_url: str) -> None:
        """Drop the queue and unacknowledged messages once a test's workers are dead, so no message
        (e.g. of a terminated acks_late task, which Celery leaves unacknowledged) reaches later tests."""
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            client.delete("celery", "unacked", "unacked_index")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and prefork children) at once."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)


@pytest.fixture
def celery_workers(celery_redis_url, worker_app, tmp_path):
    """``start(name)`` starts a Celery worker; all are killed in teardown."""
    started: list[CeleryWorker] = []

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(name, celery_redis_url, tmp_path / f"{name}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
    CeleryWorker.purge(celery_redis_url)


class WebWorkers(Gunicorn):
    """``gunicorn -k gthread -w 2 tests.on_celery.web_app:app``: two web workers sharing Redis."""

    def __init__(self, redis_url: str, log_path: Path) -> None:
        self.prefix = "celery-web:" + secrets.token_hex(6)
        super().__init__("tests.on_celery.web_app:app", log_path, workers=WEB_WORKERS, threads=8,
                         graceful_timeout=3, stop_timeout=20, extra_args=("--keep-alive", "300"),
                         env={"MCP_SYNC_CELERY_REDIS": redis_url, "MCP_SYNC_CELERY_PREFIX": self.prefix,
                              "MCP_SYNC_CELERY_SECRET": secrets.token_hex(16)})
        self.url = f"{self.base}/mcp"


@pytest.fixture(scope="module")
def web(celery_redis_url, tmp_path_factory):
    server = WebWorkers(celery_redis_url, tmp_path_factory.mktemp("celery-web") / "gunicorn.log")
    try:
        yield server
    finally:
        log = server.stop()
    assert "Traceback" not in log, log


def pin(url: str, workers: int = WEB_WORKERS, attempts: int = 2000) -> list[Pinned]:
    """One connection to each of ``workers`` distinct web workers (sorted by pid)."""
    pinned: dict[int, Pinned] = {}
    for _ in range(attempts):
        http = requests.Session()
        http.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=1))
        pid = int(http.request("PUT", url, timeout=30).headers["X-Worker-Pid"])  # 405 from any worker
        if pid in pinned:
            http.close()
        else:
            pinned[pid] = Pinned(http, pid)
        if len(pinned) == workers:
            return [pinned[p] for p in sorted(pinned)]
    for conn in pinned.values():
        conn.close()
    raise AssertionError(f"reached only {len(pinned)} of {workers} web workers")
