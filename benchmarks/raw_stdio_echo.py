"""The stdio raw limit: a bare loop that answers MCP echo calls with minimal work.

Run: python benchmarks/raw_stdio_echo.py

Reads one JSON-RPC message per line from stdin and writes one line per answer
to stdout: ``initialize``, ``ping``, ``tools/list`` and ``tools/call`` of
``echo``/``sleep_echo``. No validation, no threads, no SDK. It is the floor
against which the SDKs are measured, not an MCP server anyone should use.
Exits when stdin closes.
"""

from __future__ import annotations

import json
import sys
import time

PROTOCOL_VERSION = "2025-11-25"
TOOLS = [
    {"name": "echo", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}},
                                     "required": ["text"]}},
    {"name": "sleep_echo", "inputSchema": {"type": "object",
                                           "properties": {"text": {"type": "string"},
                                                          "ms": {"type": "integer"}},
                                           "required": ["text", "ms"]}},
]


def answer(message: dict) -> dict:
    method = message.get("method")
    if method == "tools/call":
        params = message["params"]
        arguments = params.get("arguments") or {}
        if params.get("name") == "sleep_echo":
            time.sleep(arguments.get("ms", 0) / 1000)
        return {"content": [{"type": "text", "text": arguments.get("text", "")}]}
    if method == "initialize":
        return {"protocolVersion": message["params"].get("protocolVersion", PROTOCOL_VERSION),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "raw-stdio-echo", "version": "1.0"}}
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    raise LookupError(method)


def main() -> None:
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    loads, dumps = json.loads, json.dumps
    for line in reader:
        message = loads(line)
        if "id" not in message or "method" not in message:
            continue  # notifications and responses need no answer
        try:
            reply = {"jsonrpc": "2.0", "id": message["id"], "result": answer(message)}
        except LookupError:
            reply = {"jsonrpc": "2.0", "id": message["id"],
                     "error": {"code": -32601, "message": "Method not found"}}
        writer.write(dumps(reply, separators=(",", ":")).encode() + b"\n")
        writer.flush()


if __name__ == "__main__":
    main()
