"""The server the CLI tests talk to (over stdio via ``mcp-sync run`` or ``--``, and over HTTP)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from mcp_sync import Context, McpError, Server
from mcp_sync.server import content

server = Server("cli-fixture", version="2.5", title="CLI fixture", instructions="A server for the CLI tests.")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


@server.tool()
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


@server.tool()
def types_of(values: dict[str, Any] | None = None, count: int = 0, flag: bool = False, label: Any = None) -> dict:
    """Report the JSON type of each argument."""
    return {"values": values, "count": count, "flag": flag, "label": label, "label_type": type(label).__name__}


@server.tool(annotations={"readOnlyHint": True})
def picture():
    """An image and a text."""
    return [content.image(b"\x89PNG fake", "image/png"), content.text("a picture")]


@server.tool()
def steps(ctx: Context, count: int = 3, delay: float = 0.05) -> str:
    """Report progress count times."""
    for done in range(1, count + 1):
        time.sleep(delay)
        ctx.report_progress(done, count, f"step {done}")
    return f"{count} steps done"


@server.tool()
def slow(ctx: Context, seconds: float = 30.0) -> str:
    """Sleep (cancellable), reporting progress without a total."""
    deadline = time.monotonic() + seconds
    tick = 0
    while time.monotonic() < deadline:
        tick += 1
        ctx.report_progress(tick, None, "waiting")
        if ctx.cancelled.wait(0.1):
            return "cancelled"
    return "slept"


@server.tool()
def fail(reason: str = "it broke") -> str:
    """Always fails (isError)."""
    raise ValueError(reason)


@server.tool()
def protocol_error() -> str:
    """Answers with a JSON-RPC error."""
    raise McpError(-32000, "the fixture refuses")


@server.tool()
def crash() -> str:
    """Kills the server process mid-call."""
    sys.stderr.write("fixture: crashing now\n")
    sys.stderr.flush()
    os._exit(7)


@server.resource("fixture://readme", mime_type="text/plain", description="The readme.")
def readme() -> str:
    return "read me"


@server.resource("fixture://items/{item}", description="One item.")
def item(item: str) -> str:
    return f"item {item}"


@server.prompt()
def ask(question: str, tone: str = "plain") -> str:
    """Ask a question."""
    return f"{question} ({tone})"


if __name__ == "__main__":
    server.run()
