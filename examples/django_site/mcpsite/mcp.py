"""The site's MCP server: plain functions, one of them a long job that runs as a task."""

from mcp_sync import Context, Server
from mcp_sync.integrations.django import user_of

server = Server("mcpsite", version="1.0", instructions="Tools of the example Django site.")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
def count(n: int, ctx: Context) -> int:
    """Count to n, reporting progress at each step."""
    for i in range(1, n + 1):
        ctx.check_cancelled()
        ctx.report_progress(i, n, f"step {i} of {n}")
    return n


@server.tool(task_support="optional")
def report(title: str, ctx: Context) -> str:
    """A long job (run it as a task): it waits until cancelled or 0.2 s have passed."""
    if ctx.cancelled.wait(0.2):
        return "cancelled"
    return f"report {title!r} is ready"


@server.tool()
def watch(seconds: float, ctx: Context) -> str:
    """Report that it started, then wait until cancelled (or `seconds` pass)."""
    ctx.report_progress(0, None, "watching")
    return "cancelled" if ctx.cancelled.wait(seconds) else "done watching"


@server.tool()
def whoami(ctx: Context) -> str:
    """The Django user calling (request.user of the MCP request)."""
    user = user_of(ctx)
    return user.get_username() if user is not None else "anonymous"
