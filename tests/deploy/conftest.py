"""A real redis-server and a real ``gunicorn -k gthread -w 4`` serving tests/deploy/app.py.

Redis is required here: a missing redis-server or redis-py is a failure under
``MCP_SYNC_REQUIRE_REDIS=1`` and a skip otherwise (as in tests/stores).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.gunicorn_process import Gunicorn, Pinned
from tests.stores.conftest import RedisServer, _redis_unavailable

WORKERS = 4


@pytest.fixture(scope="module")
def redis_url():
    reason = _redis_unavailable()
    if reason is not None:
        if os.environ.get("MCP_SYNC_REQUIRE_REDIS"):
            pytest.fail(reason)
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="mcp-sync-deploy-redis-"))
    server = RedisServer(shutil.which("redis-server"), directory).start()  # type: ignore[arg-type]
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


class Gunicorn4(Gunicorn):
    """The deployment under test: 4 gthread workers sharing sessions and tasks through Redis."""

    def __init__(self, redis_url: str, log_path: Path) -> None:
        self.prefix = "deploy:" + secrets.token_hex(6)
        super().__init__("tests.deploy.app:app", log_path, workers=WORKERS, threads=16, backlog=128,
                         graceful_timeout=5, stop_timeout=30, extra_args=("--keep-alive", "300"),
                         env={"MCP_SYNC_DEPLOY_REDIS": redis_url, "MCP_SYNC_DEPLOY_PREFIX": self.prefix,
                              "MCP_SYNC_DEPLOY_SECRET": secrets.token_hex(16), "MCP_SYNC_DEPLOY_LEASE_MS": "1000"})
        self.url = f"{self.base}/mcp"


@pytest.fixture(scope="module")
def gunicorn4(redis_url, tmp_path_factory):
    server = Gunicorn4(redis_url, tmp_path_factory.mktemp("deploy") / "gunicorn.log")
    try:
        yield server
    finally:
        log = server.stop()
    assert "Traceback" not in log, log


def pin_connections(url: str, per_worker: int, attempts: int = 4000) -> dict[int, list[Pinned]]:
    """Open connections until each of the 4 workers holds ``per_worker`` of them (the kernel
    hands each new connection to whichever worker accepts first)."""
    pinned: dict[int, list[Pinned]] = {}
    spare: list[requests.Session] = []
    lock = threading.Lock()
    for _ in range(attempts):
        http = requests.Session()
        http.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=1))
        # A request every worker answers at once without a session: 405 for a bad method.
        response = http.request("PUT", url, timeout=30)
        pid = int(response.headers["X-Worker-Pid"])
        with lock:
            mine = pinned.setdefault(pid, [])
            if len(mine) < per_worker:
                mine.append(Pinned(http, pid))
            else:
                spare.append(http)
        if len(pinned) == WORKERS and all(len(v) >= per_worker for v in pinned.values()):
            break
    for http in spare:
        http.close()
    assert len(pinned) == WORKERS and all(len(v) >= per_worker for v in pinned.values()), (
        f"could not reach every worker: {[(pid, len(v)) for pid, v in pinned.items()]}")
    return pinned
