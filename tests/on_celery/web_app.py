"""The Celery tests' web side: ``gunicorn -w 2 tests.on_celery.web_app:app``.

Each web worker builds its own Server, RedisTaskStore, shared-session store and
CeleryTasks bridge after the fork; they share Redis (``MCP_SYNC_CELERY_REDIS``, keys
under ``MCP_SYNC_CELERY_PREFIX``). The tools are the Celery tasks of worker_app, which
know nothing of MCP. The task store's lease is short (1 s): tasks whose work ran in a
dead web worker would fail after 1 s, so a Celery task surviving that proves it is
not tied to the web worker. Every response carries ``X-Worker-Pid``.
"""

from __future__ import annotations

import os

from mcp_sync import Context, Server
from mcp_sync.http.shared_sessions import RedisSessionStore
from mcp_sync.integrations.celery import CeleryTasks
from mcp_sync.tasks import RedisTaskStore, TaskLimits
from tests.on_celery import worker_app

REDIS = os.environ["MCP_SYNC_CELERY_REDIS"]
PREFIX = os.environ["MCP_SYNC_CELERY_PREFIX"]

store = RedisTaskStore(REDIS, TaskLimits(max_ttl_ms=600_000), prefix=PREFIX + ":tasks", lease_ms=1000)
server = Server("celery-web", tasks=store, request_state_secret=os.environ["MCP_SYNC_CELERY_SECRET"])
bridge = CeleryTasks(server, worker_app.app, prefix=PREFIX + ":celery")
bridge.tool(worker_app.crunch)
bridge.tool(worker_app.hold)
bridge.tool(worker_app.explode)
bridge.start()


@server.tool(task_support="optional")
def linger(ctx: Context) -> str:
    """An ordinary task, run by the web worker itself: it lasts until cancelled (or the worker dies)."""
    ctx.cancelled.wait()
    return "stopped"


@server.tool()
def whoami() -> int:
    """The pid of the web worker serving the call."""
    return os.getpid()


mcp = server.wsgi_app(path="/mcp", keepalive=1.0, shared_sessions=RedisSessionStore(REDIS, prefix=PREFIX + ":s"))


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, headers + [("X-Worker-Pid", str(os.getpid()))], exc_info)
    return mcp(environ, start)
