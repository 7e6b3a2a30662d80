"""A test server for the client tests, built on the low-level ``server.method()`` API.

Serves in memory (``build_server()``) and over stdio (``python -m tests.client.lowlevel_server``).
Environment for stdio: ``TEST_SERVER_CAPS=tools-only`` declares only ``tools``.

Every tool's behaviour is documented in ``TOOLS`` below. Events the server
receives (notifications, cancellations) are kept in ``server.history`` and
returned by the ``history`` tool.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from mcp_sync.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND, ConnectionClosed, McpError
from mcp_sync.server import Server

FULL_CAPABILITIES = {
    "tools": {"listChanged": True},
    "resources": {"subscribe": True, "listChanged": True},
    "prompts": {"listChanged": True},
    "completions": {},
    "logging": {},
}
TOOLS_ONLY = {"tools": {}}

SUM_SCHEMA = {"type": "object", "properties": {"sum": {"type": "number"}}, "required": ["sum"]}
ANY_ARGS = {"type": "object"}

TOOLS = [
    {"name": "add", "description": "a + b, also as structuredContent {sum}",
     "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                     "required": ["a", "b"]},
     "outputSchema": SUM_SCHEMA},
    {"name": "bad_output", "description": "structuredContent that breaks its outputSchema",
     "inputSchema": ANY_ARGS, "outputSchema": SUM_SCHEMA},
    {"name": "no_structured", "description": "declares an outputSchema, returns no structuredContent",
     "inputSchema": ANY_ARGS, "outputSchema": SUM_SCHEMA},
    {"name": "fail", "description": "a tool error (isError)", "inputSchema": ANY_ARGS, "outputSchema": SUM_SCHEMA},
    {"name": "wait_cancel", "description": "waits until cancelled, then sends test/cancelled",
     "inputSchema": ANY_ARGS},
    {"name": "progress", "description": "reports progress 1..3 of 3", "inputSchema": ANY_ARGS},
    {"name": "heartbeat", "description": "reports progress every 50 ms until cancelled (30 s at most)",
     "inputSchema": ANY_ARGS},
    {"name": "sample", "description": "asks the client to sample (arguments: request params)",
     "inputSchema": ANY_ARGS},
    {"name": "elicit", "description": "asks the client for input (arguments: request params)",
     "inputSchema": ANY_ARGS},
    {"name": "list_roots", "description": "asks the client for its roots", "inputSchema": ANY_ARGS},
    {"name": "log", "description": "sends one log message per level (filtered by setLevel)",
     "inputSchema": ANY_ARGS},
    {"name": "notify_changes", "description": "sends every list_changed, resources/updated and "
                                              "elicitation/complete notification", "inputSchema": ANY_ARGS},
    {"name": "client_info", "description": "the client's capabilities and info as received",
     "inputSchema": ANY_ARGS},
    {"name": "echo_meta", "description": "returns the request's _meta", "inputSchema": ANY_ARGS},
    {"name": "history", "description": "events the server saw", "inputSchema": ANY_ARGS},
    {"name": "crash", "description": "writes to stderr and exits with code 3 (stdio only)",
     "inputSchema": ANY_ARGS},
]
TOOLS_PAGE = 4

RESOURCES = [{"uri": f"test://doc/{i}", "name": f"doc{i}", "mimeType": "text/plain"} for i in range(5)]
RESOURCES_PAGE = 2
TEMPLATES = [{"uriTemplate": "test://doc/{id}", "name": "doc"}]
PROMPTS = [
    {"name": "greet", "description": "Say hello", "arguments": [{"name": "name", "required": True}]},
    {"name": "plain", "description": "No arguments"},
]
NAMES = ["alice", "alex", "bob"]
LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]


class LowLevelServer(Server):
    def __init__(self, capabilities: dict | None = None) -> None:
        super().__init__("lowlevel-test", "1.2.3", instructions="Use the add tool for sums.")
        self.declared = FULL_CAPABILITIES if capabilities is None else capabilities
        self.history: list[Any] = []
        self.history_lock = threading.Lock()

    def capabilities(self) -> dict:
        return self.declared

    def record(self, event: Any) -> None:
        with self.history_lock:
            self.history.append(event)


def _page(items: list, size: int, cursor: str | None, key: str) -> dict:
    start = 0
    if cursor is not None:
        if not cursor.startswith("at-") or not cursor[3:].isdigit():
            raise McpError(INVALID_PARAMS, f"Invalid params: bad cursor {cursor!r}")
        start = int(cursor[3:])
    result: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        result["nextCursor"] = f"at-{start + size}"
    return result


def _text(text: str) -> list[dict]:
    return [{"type": "text", "text": text}]


def _report_cancelled(request) -> None:
    """Tell the client how the cancellation arrived (unless it is gone)."""
    try:
        request.notify("test/cancelled", {"reason": request.cancel_reason, "id": request.id})
    except ConnectionClosed:
        pass


def _ask(request, method: str, params: dict | None) -> dict:
    """Send a request to the client and return {"result": ...} or {"error": {...}}."""
    try:
        return {"result": request.send_request(method, params).result(timeout=30)}
    except McpError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}


def build_server(capabilities: dict | None = None) -> LowLevelServer:
    server = LowLevelServer(capabilities)

    @server.method("tools/list")
    def tools_list(connection, request):
        return _page(TOOLS, TOOLS_PAGE, request.params.get("cursor"), "tools")

    @server.method("tools/call")
    def tools_call(connection, request):
        name = request.params.get("name")
        args = request.params.get("arguments") or {}
        if name == "add":
            total = args["a"] + args["b"]
            return {"content": _text(str(total)), "structuredContent": {"sum": total}}
        if name == "bad_output":
            return {"content": _text("oops"), "structuredContent": {"sum": "not a number"}}
        if name == "no_structured":
            return {"content": _text("no structure")}
        if name == "fail":
            return {"content": _text("it failed"), "isError": True}
        if name == "wait_cancel":
            request.report_progress(0, None, "waiting to be cancelled")  # lets a test know it started
            cancelled = request.cancelled.wait(30)
            server.record({"cancelled": cancelled, "reason": request.cancel_reason})
            _report_cancelled(request)
            return {"content": _text("cancelled" if cancelled else "never cancelled")}
        if name == "heartbeat":
            beats = 0
            while not request.cancelled.wait(0.05) and beats < 600:
                beats += 1
                request.report_progress(beats, None, "still here")
            _report_cancelled(request)
            return {"content": _text(f"{beats} beats")}
        if name == "progress":
            for step in (1, 2, 3):
                request.report_progress(step, 3, f"step {step}")
            return {"content": _text("done")}
        if name == "sample":
            answer = _ask(request, "sampling/createMessage", args)
            return {"content": _text(json.dumps(answer)), "structuredContent": answer}
        if name == "elicit":
            answer = _ask(request, "elicitation/create", args)
            return {"content": _text(json.dumps(answer)), "structuredContent": answer}
        if name == "list_roots":
            answer = _ask(request, "roots/list", None)
            return {"content": _text(json.dumps(answer)), "structuredContent": answer}
        if name == "log":
            floor = LEVELS.index(connection.log_level) if connection.log_level else 0
            for level in LEVELS[floor:]:
                request.notify("notifications/message", {"level": level, "logger": "test", "data": {"level": level}})
            return {"content": _text("logged")}
        if name == "notify_changes":
            for kind in ("tools", "prompts", "resources"):
                request.notify(f"notifications/{kind}/list_changed")
            request.notify("notifications/resources/updated", {"uri": "test://doc/1"})
            request.notify("notifications/elicitation/complete", {"elicitationId": "el-1"})
            return {"content": _text("notified")}
        if name == "client_info":
            info = {"capabilities": connection.client_capabilities, "clientInfo": connection.client_info,
                    "protocolVersion": connection.protocol_version}
            return {"content": _text(json.dumps(info)), "structuredContent": info}
        if name == "echo_meta":
            meta = request.params.get("_meta")
            return {"content": _text(json.dumps(meta)), "structuredContent": {"meta": meta}}
        if name == "history":
            with server.history_lock:
                events = list(server.history)
            return {"content": _text(json.dumps(events)), "structuredContent": {"events": events}}
        if name == "crash":
            sys.stderr.write("lowlevel-test: crashing on purpose\n")
            sys.stderr.flush()
            os._exit(3)
        raise McpError(INVALID_PARAMS, f"Unknown tool: {name}")

    @server.method("resources/list")
    def resources_list(connection, request):
        return _page(RESOURCES, RESOURCES_PAGE, request.params.get("cursor"), "resources")

    @server.method("resources/templates/list")
    def templates_list(connection, request):
        return _page(TEMPLATES, 10, request.params.get("cursor"), "resourceTemplates")

    @server.method("resources/read")
    def resources_read(connection, request):
        uri = request.params.get("uri")
        if uri == "test://blob":
            return {"contents": [{"uri": uri, "mimeType": "application/octet-stream", "blob": "AAEC"}]}
        if any(r["uri"] == uri for r in RESOURCES):
            return {"contents": [{"uri": uri, "mimeType": "text/plain", "text": f"contents of {uri}"}]}
        raise McpError(RESOURCE_NOT_FOUND, "Resource not found", {"uri": uri})

    @server.method("resources/subscribe")
    def subscribe(connection, request):
        uri = request.params["uri"]
        connection.subscriptions.add(uri)
        server.record({"subscribe": uri})
        connection.notify("notifications/resources/updated", {"uri": uri})
        return {}

    @server.method("resources/unsubscribe")
    def unsubscribe(connection, request):
        uri = request.params["uri"]
        connection.subscriptions.discard(uri)
        server.record({"unsubscribe": uri})
        return {}

    @server.method("prompts/list")
    def prompts_list(connection, request):
        return _page(PROMPTS, 10, request.params.get("cursor"), "prompts")

    @server.method("prompts/get")
    def prompts_get(connection, request):
        name = request.params.get("name")
        args = request.params.get("arguments") or {}
        if name == "greet":
            if "name" not in args:
                raise McpError(INVALID_PARAMS, "Invalid params: missing required argument 'name'")
            return {"description": "A greeting",
                    "messages": [{"role": "user", "content": {"type": "text", "text": f"Hello, {args['name']}!"}}]}
        if name == "plain":
            return {"messages": [{"role": "assistant", "content": {"type": "text", "text": "plain"}}]}
        raise McpError(INVALID_PARAMS, f"Invalid params: unknown prompt {name!r}")

    @server.method("completion/complete")
    def complete(connection, request):
        ref = request.params["ref"]
        argument = request.params["argument"]
        context = (request.params.get("context") or {}).get("arguments") or {}
        if ref.get("type") == "ref/prompt" and argument["name"] == "name":
            values = [n for n in NAMES if n.startswith(argument["value"])]
        elif ref.get("type") == "ref/resource":
            values = [str(i) for i in range(5) if str(i).startswith(argument["value"])]
        else:
            values = []
        values += [f"{k}={v}" for k, v in sorted(context.items())]
        return {"completion": {"values": values, "total": len(values), "hasMore": False}}

    @server.method("logging/setLevel")
    def set_level(connection, request):
        level = request.params.get("level")
        if level not in LEVELS:
            raise McpError(INVALID_PARAMS, f"Invalid params: unknown level {level!r}")
        connection.log_level = level
        server.record({"setLevel": level})
        return {}

    @server.on_notification("notifications/roots/list_changed")
    def roots_changed(connection, params):
        server.record({"roots_changed": True})
        try:
            roots = connection.session.request("roots/list").result(timeout=10)
        except McpError as exc:
            roots = {"error": exc.code}
        connection.notify("test/roots_changed", roots)

    return server


def main() -> None:
    caps = TOOLS_ONLY if os.environ.get("TEST_SERVER_CAPS") == "tools-only" else None
    build_server(caps).run()


if __name__ == "__main__":
    main()
