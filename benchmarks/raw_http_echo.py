"""The HTTP raw limit: a bare ``http.server.ThreadingHTTPServer`` answering MCP echo POSTs.

Run: python benchmarks/raw_http_echo.py PORT [--max-seconds S]

Listens on 127.0.0.1 only. Each POST body is one JSON-RPC message; requests get
a JSON response (``Content-Length``, HTTP/1.1 keep-alive), notifications get
``202 Accepted``. ``initialize`` issues an ``Mcp-Session-Id`` that is never
checked. It is the floor against which the SDKs are measured, nothing more.
Stops on SIGTERM/SIGINT, or by itself after ``--max-seconds`` (default 900).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from raw_stdio_echo import answer  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the best a client can get from this server
    disable_nagle_algorithm = True  # headers and body are separate writes

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        message = json.loads(body)
        if "id" not in message or "method" not in message:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            reply = {"jsonrpc": "2.0", "id": message["id"], "result": answer(message)}
        except LookupError:
            reply = {"jsonrpc": "2.0", "id": message["id"],
                     "error": {"code": -32601, "message": "Method not found"}}
        data = json.dumps(reply, separators=(",", ":")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if message["method"] == "initialize":
            self.send_header("Mcp-Session-Id", uuid.uuid4().hex)
        self.end_headers()
        self.wfile.write(data)

    def do_DELETE(self) -> None:  # noqa: N802 - stdlib naming
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    stop = lambda *_: threading.Thread(target=httpd.shutdown, daemon=True).start()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(args.max_seconds, stop)
    timer.daemon = True
    timer.start()
    print(f"raw http echo listening on http://127.0.0.1:{httpd.server_address[1]}/mcp",
          file=sys.stderr, flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        timer.cancel()
        httpd.server_close()


if __name__ == "__main__":
    main()
