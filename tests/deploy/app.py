"""The deployment test's server: ``gunicorn -w 4 tests.deploy.app:app`` sharing one Redis.

Every worker imports this module after the fork (no ``--preload``), so each builds its
own Server, RedisTaskStore and RedisSessionStore; what they share is Redis
(``MCP_SYNC_DEPLOY_REDIS``, keys under ``MCP_SYNC_DEPLOY_PREFIX``) and the
``requestState`` key (``MCP_SYNC_DEPLOY_SECRET``). Every response carries
``X-Worker-Pid`` so the test knows which worker served it.
"""

from __future__ import annotations

import os

from mcp_sync import Context, Server
from mcp_sync.http.shared_sessions import RedisSessionStore
from mcp_sync.tasks import RedisTaskStore, TaskLimits

REDIS = os.environ["MCP_SYNC_DEPLOY_REDIS"]
PREFIX = os.environ["MCP_SYNC_DEPLOY_PREFIX"]

store = RedisTaskStore(REDIS, TaskLimits(max_ttl_ms=600_000), prefix=PREFIX + ":tasks",
                       lease_ms=int(os.environ.get("MCP_SYNC_DEPLOY_LEASE_MS", "1000")))
server = Server("deploy", tasks=store, request_state_secret=os.environ["MCP_SYNC_DEPLOY_SECRET"])


@server.tool(task_support="optional")
def ask(ctx: Context, question: str = "name?") -> str:
    """Ask the requestor a question mid-task and return the answer."""
    answer = ctx.elicit(question, {"type": "object", "properties": {"name": {"type": "string"}}})
    return f"{os.getpid()}:{answer.action}:{(answer.content or {}).get('name')}"


@server.tool(task_support="optional")
def hang(ctx: Context) -> str:
    """Run until cancelled (or the worker dies)."""
    ctx.cancelled.wait()
    return "cancelled"


@server.tool()
def whoami() -> int:
    """The pid of the worker serving the call."""
    return os.getpid()


mcp = server.wsgi_app(path="/mcp", keepalive=1.0, shared_sessions=RedisSessionStore(REDIS, prefix=PREFIX + ":s"))


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, headers + [("X-Worker-Pid", str(os.getpid()))], exc_info)
    return mcp(environ, start)
