"""The deployment test's server: ``gunicorn -w 4 tests.deploy.app:app`` sharing one Redis.

Every worker imports this module after the fork (no ``--preload``), so each builds its
own Server, RedisTaskStore and RedisSessionStore; what they share is Redis
(``MCP_SYNC_DEPLOY_REDIS``, keys under ``MCP_SYNC_DEPLOY_PREFIX``) and the
``requestState`` key (``MCP_SYNC_DEPLOY_SECRET``). Every response carries
``X-Worker-Pid`` so the test knows which worker served it.
"""

from __future__ import annotations

import os

import redis

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
def ask_twice(ctx: Context) -> str:
    """Two questions in a row; the result joins the answers."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    first = ctx.elicit("first?", schema)
    second = ctx.elicit("second?", schema)
    return f"{os.getpid()}:{(first.content or {}).get('name')}+{(second.content or {}).get('name')}"


@server.tool(task_support="optional")
def hang(ctx: Context) -> str:
    """Run until cancelled (or the worker dies)."""
    ctx.cancelled.wait()
    return "cancelled"


gates = redis.Redis.from_url(REDIS)


@server.tool()
def steps(ctx: Context, gate: str) -> str:
    """Progress 1-2, wait for ``<gate>:go1``, progress 3-4, push ``<gate>:at4``, wait for ``<gate>:go2``,
    progress 5-6, then the result: the test cuts and resumes the response stream in between."""
    for step in (1, 2):
        ctx.report_progress(step, 6)
    if gates.blpop([gate + ":go1"], timeout=60) is None:
        raise RuntimeError("go1 never came")
    for step in (3, 4):
        ctx.report_progress(step, 6)
    gates.rpush(gate + ":at4", "1")
    if gates.blpop([gate + ":go2"], timeout=60) is None:
        raise RuntimeError("go2 never came")
    for step in (5, 6):
        ctx.report_progress(step, 6)
    return f"done by {os.getpid()}"


@server.resource("deploy://counter")
def counter() -> str:
    return "0"


@server.tool()
def poke(tag: str, untagged: bool = True) -> int:
    """Server-originated messages for every session this worker holds (none tied to this request):
    resources/updated, tools/list_changed, a warning and an info log, then an error log ``<tag>:end``."""
    if untagged:  # these two carry no tag
        server.notify_resource_updated("deploy://counter")
        server.notify_list_changed("tools")
    server.log("warning", f"{tag}:warning")
    server.log("info", f"{tag}:info")
    server.log("error", f"{tag}:end")
    return os.getpid()


@server.tool()
def whoami() -> int:
    """The pid of the worker serving the call."""
    return os.getpid()


mcp = server.wsgi_app(path="/mcp", keepalive=1.0, shared_sessions=RedisSessionStore(REDIS, prefix=PREFIX + ":s"))


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, headers + [("X-Worker-Pid", str(os.getpid()))], exc_info)
    return mcp(environ, start)
