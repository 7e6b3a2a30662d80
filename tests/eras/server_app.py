"""Our own server restricted with ``Server(eras=...)``, for the era acceptance tests.

``python -m tests.eras.server_app MODE`` serves it over stdio; :func:`build`
returns it for HTTP. MODE: ``legacy`` (``eras=("legacy",)``), ``modern``
(``eras=("modern",)``) or ``dual`` (the default, both).
"""

from __future__ import annotations

import sys
import threading

from mcp_sync import Context, Server

ERAS = {"legacy": ("legacy",), "modern": ("modern",), "dual": ("legacy", "modern")}
NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def build(mode: str) -> Server:
    server = Server("eras-demo", version="1.2", eras=ERAS[mode])
    runs = {"interview": 0}
    lock = threading.Lock()

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    @server.tool()
    def interview(ctx: Context) -> str:
        """Asks the user's name mid-call (a server request in legacy MCP, an MRTR round in 2026-07-28)."""
        with lock:
            runs["interview"] += 1
            run = runs["interview"]
        answer = ctx.elicit("Your name?", NAME_FORM)
        name = answer.content["name"] if answer.action == "accept" else "nobody"
        # what the handler saw: the version of this request, and how many times it ran (MRTR runs it again)
        return f"{name}|{ctx.protocol_version}|run {run}"

    @server.resource("test://greeting", mime_type="text/plain")
    def greeting() -> str:
        """A fixed text."""
        return "hello from eras-demo"

    @server.prompt()
    def brief(topic: str) -> str:
        """A one-line prompt."""
        return f"Brief me on {topic}."

    return server


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else "dual").run("stdio")
