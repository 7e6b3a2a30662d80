#!/usr/bin/env python3
"""A small MCP server: three tools (one reports progress), a resource and a prompt.

    python examples/quickstart_server.py                    # serve one client over stdio
    mcp-sync run examples/quickstart_server.py --http 8000  # or over Streamable HTTP
    mcp-sync inspect examples/quickstart_server.py          # see what it offers
    mcp-sync call examples/quickstart_server.py countdown start=5

``examples/quickstart_client.py`` starts it and calls every tool.
"""

from __future__ import annotations

import os
import sys
import time

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Context, Server

server = Server("quickstart", version="1.0", instructions="Arithmetic, greetings and a countdown with progress.")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
def greet(name: str, excited: bool = False) -> str:
    """Say hello to someone."""
    return f"Hello, {name}{'!' if excited else '.'}"


@server.tool()
def countdown(ctx: Context, start: int = 3, delay: float = 0.1) -> str:
    """Count down from `start`, reporting progress after every step."""
    if start < 0:
        raise ValueError("start must not be negative")
    for done in range(1, start + 1):
        time.sleep(delay)
        ctx.check_cancelled()  # stop early if the client cancelled the call
        ctx.report_progress(done, start, f"{start - done} to go")
    return "Liftoff!"


@server.resource("quickstart://about", mime_type="text/plain")
def about() -> str:
    """What this server is."""
    return "The mcp_sync quickstart server."


@server.prompt()
def review(code: str) -> str:
    """Ask for a code review."""
    return f"Please review this code:\n\n{code}"


if __name__ == "__main__":
    server.run()  # stdio
