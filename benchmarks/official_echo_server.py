"""The benchmark server written with the official MCP Python SDK (``mcp`` 2.x, MCPServer).

Runs only in its own environment, benchmarks/.venv-official (run.py creates it):
  benchmarks/.venv-official/bin/python benchmarks/official_echo_server.py stdio
  benchmarks/.venv-official/bin/python benchmarks/official_echo_server.py http PORT

HTTP listens on 127.0.0.1 only (Streamable HTTP at /mcp, JSON response mode
unless ``--sse``) and stops on SIGTERM or by itself after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("official-echo", log_level="WARNING")


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@server.tool()
async def sleep_echo(text: str, ms: int) -> str:
    """Sleep ``ms`` milliseconds, then return the text."""
    await anyio.sleep(ms / 1000)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("port", type=int, nargs="?", default=0)
    parser.add_argument("--sse", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run("stdio")
        return
    watchdog = threading.Timer(args.max_seconds, os.kill, (os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    server.run("streamable-http", host="127.0.0.1", port=args.port, json_response=not args.sse)


if __name__ == "__main__":
    main()
