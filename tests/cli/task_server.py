"""A server with tools that run as tasks, for the ``mcp-sync task`` tests.

Over stdio: ``mcp-sync run tests/cli/task_server.py`` (or ``python tests/cli/task_server.py``).
Over HTTP: :func:`start_protected` serves it behind bearer tokens, so tasks are
bound to the token's subject and outlive the session that created them (what
lets one ``mcp-sync`` command see another's task).

Tools (``task_support`` in brackets): ``steps(count, delay)`` [optional]:
progress and a status message per step; ``wait(seconds)`` [optional]: waits
until cancelled (or ``seconds``); ``double(x)`` [required]; ``fail(reason)``
[optional]: an isError result; ``refuse()`` [optional]: a JSON-RPC error;
``plain(text)`` [forbidden]; ``unmarked(text)`` [not declared].
"""

from __future__ import annotations

from mcp_sync import Context, McpError, Server
from mcp_sync.tasks import TaskLimits

LIMITS = TaskLimits(default_ttl_ms=120_000, max_ttl_ms=600_000, poll_interval_ms=20)


def build_server() -> Server:
    server = Server("cli-task-fixture", version="1.0", tasks=LIMITS)

    @server.tool(task_support="optional", immediate_response="counting steps")
    def steps(ctx: Context, count: int = 3, delay: float = 0.05) -> str:
        """Report progress count times, with a status message."""
        for done in range(1, count + 1):
            if ctx.cancelled.wait(delay):
                return "cancelled"
            ctx.report_progress(done, count, f"step {done}")
            ctx.set_status_message(f"{done} of {count} done")
        return f"{count} steps done"

    @server.tool(task_support="optional")
    def wait(ctx: Context, seconds: float = 60.0) -> str:
        """Wait until cancelled (or the seconds pass)."""
        return "cancelled" if ctx.cancelled.wait(seconds) else "waited"

    @server.tool(task_support="required")
    def double(x: int) -> int:
        """Twice x (tasks only)."""
        return 2 * x

    @server.tool(task_support="optional")
    def fail(reason: str = "it broke") -> str:
        """Fails: an isError result, so the task is failed."""
        raise ValueError(reason)

    @server.tool(task_support="optional")
    def refuse() -> str:
        """Answers with a JSON-RPC error."""
        raise McpError(-32050, "the fixture refuses")

    @server.tool(task_support="forbidden")
    def plain(text: str) -> str:
        """Never a task."""
        return text

    @server.tool()
    def unmarked(text: str) -> str:
        """Declares no task support."""
        return text

    return server


server = build_server()

TOKENS = {"alice": "tok-alice", "alice-laptop": "tok-alice-laptop", "bob": "tok-bob"}


class _Protected:
    """The bearer-protected app, shaped like an McpWsgiApp for HttpServerHandle (``path``, ``close``)."""

    def __init__(self, app, wrapped) -> None:
        self.path = app.path
        self._app = app
        self._wrapped = wrapped

    def __call__(self, environ, start_response):
        return self._wrapped(environ, start_response)

    def close(self) -> None:
        self._app.close()


def start_protected(target: Server):
    """``target`` over HTTP behind bearer tokens (subjects alice, alice, bob): an HttpServerHandle."""
    from mcp_sync.http import HttpServerHandle
    from mcp_sync.server.auth import AccessInfo, StaticTokenVerifier, protect

    verifier = StaticTokenVerifier({
        TOKENS["alice"]: AccessInfo(subject="alice", scopes=frozenset({"mcp"})),
        TOKENS["alice-laptop"]: AccessInfo(subject="alice", scopes=frozenset({"mcp"})),
        TOKENS["bob"]: AccessInfo(subject="bob", scopes=frozenset({"mcp"})),
    })
    app = target.wsgi_app()
    try:
        return HttpServerHandle(_Protected(app, protect(app, verifier, resource="http://127.0.0.1/mcp",
                                                        authorization_servers=["https://auth.example"])))
    except BaseException:
        app.close()
        raise


if __name__ == "__main__":
    server.run()
