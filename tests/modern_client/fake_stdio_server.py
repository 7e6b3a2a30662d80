"""A tiny stdio MCP server for era-detection tests: ``python -m tests.modern_client.fake_stdio_server MODE``.

Modes:

* ``modern``: the 2026-07-28 fake (:mod:`tests.modern_client.fake_core`); ``initialize`` gets -32022
  listing the versions it speaks.
* ``modern-reject-first``: the first request gets -32022 listing 2026-07-28.
* ``modern-ignore-first-discover``: the first ``server/discover`` gets no answer at all (a modern
  server slow to come up, as far as a probe can tell).
* ``modern-tasks``: the fake with the tasks extension (:mod:`tests.modern_client.fake_tasks`).
* ``modern-future``: every request gets -32022 listing only a version nobody speaks.
* ``legacy``: a 2025-11-25 server; requests before ``initialize`` get -32600.
* ``legacy-silent``: the same, but requests before ``initialize`` get no answer.

Each message received is appended as one JSON line to the file named by ``FAKE_LOG`` (if set).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from tests.modern_client.fake_core import FakeModernCore

_write_lock = threading.Lock()
_out = sys.stdout.buffer


def send(message: dict) -> None:
    message = {k: v for k, v in message.items() if k != "_status"}
    with _write_lock:
        _out.write(json.dumps(message).encode("utf-8") + b"\n")
        _out.flush()


def log(message: Any) -> None:
    path = os.environ.get("FAKE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(message) + "\n")


def legacy(message: dict, state: dict, silent: bool) -> None:
    method = message.get("method")
    if "id" not in message:
        if method == "notifications/initialized":
            state["initialized"] = True
        return
    rid = message["id"]
    if method == "initialize":
        state["init"] = True
        requested = (message.get("params") or {}).get("protocolVersion")
        version = requested if requested in ("2025-06-18", "2025-11-25") else "2025-11-25"
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": version, "capabilities": {"tools": {"listChanged": True},
                                                          "resources": {"subscribe": True}},
            "serverInfo": {"name": "fake-legacy", "version": "1.0"}}})
        return
    if not state.get("init"):
        if not silent:
            send({"jsonrpc": "2.0", "id": rid,
                  "error": {"code": -32600, "message": f"Invalid request: {method} before initialize"}})
        return
    if method == "ping":
        send({"jsonrpc": "2.0", "id": rid, "result": {}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": [
            {"name": "echo", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}]}})
    elif method == "tools/call":
        text = ((message.get("params") or {}).get("arguments") or {}).get("text")
        send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": f"legacy:{text}"}]}})
    elif method in ("resources/subscribe", "resources/unsubscribe"):
        send({"jsonrpc": "2.0", "id": rid, "result": {}})
        if method == "resources/subscribe":
            uri = (message.get("params") or {}).get("uri")
            send({"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}})
            send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"Method not found: {method}"}})


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "modern"
    core = None
    if mode == "modern-tasks":
        from tests.modern_client.fake_tasks import FakeTasksCore

        core = FakeTasksCore(poll_interval_ms=30)
    elif mode.startswith("modern"):
        core = FakeModernCore(reject_first=mode == "modern-reject-first",
                              ignore_first_discover=mode == "modern-ignore-first-discover")
    state: dict = {}
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        message = json.loads(line)
        log(message)
        if core is None:
            legacy(message, state, silent=mode == "legacy-silent")
            continue
        if mode == "modern-future" and "id" in message:
            version = ((message.get("params") or {}).get("_meta") or {}).get("io.modelcontextprotocol/protocolVersion")
            send({"jsonrpc": "2.0", "id": message["id"], "error": {
                "code": -32022, "message": "Unsupported protocol version",
                "data": {"supported": ["2099-01-01"], "requested": version}}})
            continue
        response = core.handle(message, send)
        if response is not None:
            send(response)
    return 0


if __name__ == "__main__":
    sys.exit(main())
