"""A server whose one middleware records every method it sees and refuses the requests that ask for it.

A request whose ``params._meta`` holds ``"example.com/refuse": true`` is
refused with -32050 "refused by the gate: <method>"; a notification carrying
it is dropped. Methods named in the ``GATE_REFUSE`` environment variable
(comma-separated, e.g. ``initialize``) are refused whatever their params.
The ``seen`` tool answers what the gate saw and which notifications reached
their handler. ``python -m tests.middleware.gate_server`` serves it over
stdio; :func:`build` returns it for HTTP.
"""

from __future__ import annotations

import os
import threading

from mcp_sync import Server
from mcp_sync.errors import McpError
from mcp_sync.server import Call, CallNext

REFUSED = -32050
FLAG = "example.com/refuse"


def build() -> Server:
    server = Server("gate-demo", version="1.0", logging=True)
    lock = threading.Lock()
    handled = threading.Condition(lock)
    seen: list[list[str]] = []
    delivered: list[str] = []
    refuse_always = {m for m in os.environ.get("GATE_REFUSE", "").split(",") if m}

    def gate(call: Call, call_next: CallNext):
        with lock:
            seen.append([call.kind, call.method, call.era])
            handled.notify_all()
        meta = call.params.get("_meta")
        if call.method in refuse_always or (isinstance(meta, dict) and meta.get(FLAG) is True):
            raise McpError(REFUSED, f"refused by the gate: {call.method}")
        return call_next(call)

    server.add_middleware(gate)

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    @server.tool()
    def seen_so_far(notifications: int = 0) -> dict:
        """What the gate saw: [kind, method, era] triples, and the notifications delivered to handlers.

        Notifications are handled on their own thread: wait (10 s at most) until the gate saw
        ``notifications`` of them."""
        with handled:
            handled.wait_for(lambda: sum(1 for kind, _, _ in seen if kind == "notification") >= notifications,
                             timeout=10)
            return {"seen": list(seen), "delivered": list(delivered)}

    @server.resource("test://greeting", mime_type="text/plain")
    def greeting() -> str:
        """A fixed text."""
        return "hello"

    @server.resource("test://items/{item}", mime_type="text/plain")
    def item(item: str) -> str:
        """One item."""
        return f"item {item}"

    @server.prompt()
    def brief(topic: str) -> str:
        """A one-line prompt."""
        return f"Brief me on {topic}."

    @server.completion(prompt="brief", argument="topic")
    def topics(value: str) -> list[str]:
        return [t for t in ("mcp", "middleware") if t.startswith(value)]

    @server.on_notification("notifications/example/poke")  # a custom notification
    def poked(connection, params) -> None:
        with lock:
            delivered.append(str((params or {}).get("n")))

    return server


if __name__ == "__main__":
    build().run("stdio")
