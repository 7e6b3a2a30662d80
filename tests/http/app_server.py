"""The MCP server the HTTP tests drive, on the low-level ``server.method()`` API.

Tools (``tools/call`` by name):

* ``echo``: returns its arguments as JSON text.
* ``progress``: sends ``n`` (default 3) progress notifications, then answers.
* ``log``: sends ``n`` ``notifications/message`` on the request's stream, then answers.
* ``sample``: asks the client to sample; returns the sampled text (or the error).
* ``reconnect``: progress 1, closes its SSE connection (the client must resume),
  progress 2 and 3, then answers.
* ``wait``: progress 1, waits for the test to open gate ``gate``, progress 2, answers.
* ``broadcast``: sends ``notifications/tools/list_changed`` to every client (not
  related to the request: it travels on the GET streams).
* ``headers``: returns the HTTP headers of the request as ``structuredContent``.
* ``slow``: waits until cancelled (at most 30 s), then opens gate ``cancelled-<request id>``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from mcp_sync.errors import INVALID_PARAMS, McpError
from mcp_sync.server import Server

TOOL_NAMES = ("echo", "progress", "log", "sample", "reconnect", "wait", "broadcast", "headers", "slow")


class HttpTestServer(Server):
    def __init__(self) -> None:
        super().__init__("http-test", version="1.0")
        self._gates: dict[str, threading.Event] = {}
        self._gates_lock = threading.Lock()
        #: Incremented each time a tool handler finishes (for tests that count executions).
        self.calls: dict[str, int] = {}

    def capabilities(self) -> dict[str, Any]:
        return {"tools": {"listChanged": True}, "logging": {}}

    def gate(self, name: str) -> threading.Event:
        with self._gates_lock:
            return self._gates.setdefault(name, threading.Event())


def _text(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}]}


def build_server() -> HttpTestServer:
    server = HttpTestServer()

    @server.method("tools/list")
    def list_tools(connection: Any, request: Any) -> dict:
        return {"tools": [{"name": name, "inputSchema": {"type": "object"}} for name in TOOL_NAMES]}

    @server.method("logging/setLevel")
    def set_level(connection: Any, request: Any) -> dict:
        return {}

    @server.method("tools/call")
    def call_tool(connection: Any, request: Any) -> dict:
        name = request.params.get("name")
        args = request.params.get("arguments") or {}
        try:
            return _run(server, request, name, args)
        finally:
            server.calls[name] = server.calls.get(name, 0) + 1

    return server


def _run(server: HttpTestServer, request: Any, name: str, args: dict) -> dict:
    if name == "echo":
        return _text(json.dumps(args, sort_keys=True))
    if name == "progress":
        n = int(args.get("n", 3))
        for i in range(1, n + 1):
            request.report_progress(i, n, f"step {i}")
        return _text(f"{n} steps")
    if name == "log":
        for i in range(int(args.get("n", 3))):
            request.notify("notifications/message", {"level": "info", "data": f"log {i}"})
        return _text("logged")
    if name == "sample":
        try:
            result = request.send_request("sampling/createMessage", {
                "messages": [{"role": "user", "content": {"type": "text", "text": args.get("prompt", "hi")}}],
                "maxTokens": 10}).result(timeout=20)
        except McpError as exc:
            return {"content": [{"type": "text", "text": f"error {exc.code}: {exc.message}"}], "isError": True}
        return _text(f"sampled: {result['content']['text']}")
    if name == "reconnect":
        request.report_progress(1, 3)
        closed = request.extra["http"].close_sse_stream(retry_ms=int(args.get("retry_ms", 50)))
        request.report_progress(2, 3)
        request.report_progress(3, 3)
        return _text(f"reconnected (closed={closed})")
    if name == "wait":
        request.report_progress(1, 2)
        if not server.gate(args["gate"]).wait(30):
            raise McpError(INVALID_PARAMS, "the gate was never opened")
        request.report_progress(2, 2)
        return _text("opened")
    if name == "broadcast":
        server.broadcast("notifications/tools/list_changed")
        return _text("broadcast")
    if name == "headers":
        headers = dict(request.extra.get("headers", {}))
        return {"content": [{"type": "text", "text": json.dumps(headers)}], "structuredContent": headers}
    if name == "slow":
        if request.cancelled.wait(30):
            server.gate(f"cancelled-{request.id}").set()
        return _text("slow done")
    raise McpError(INVALID_PARAMS, f"Unknown tool: {name}")
