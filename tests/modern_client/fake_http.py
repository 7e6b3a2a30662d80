"""The fake 2026-07-28 server over Streamable HTTP (a WSGI app on our built-in server, 127.0.0.1:0).

POST only (GET/DELETE -> 405, and recorded so tests can check none was sent).
Headers are checked like a real modern server (-32020 on a mismatch). A request
whose handling sends notifications gets an SSE response (notifications, then the
response); ``subscriptions/listen`` gets a long-lived SSE stream fed by the
core's sink, kept alive with ``:`` comments every ``keepalive`` seconds (the
write that tells a server the client went away), ending after the server's own
result for it.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any, Iterator

from mcp_sync.http.builtin_server import HttpServerHandle
from tests.modern_client.fake_core import FakeModernCore

_END = object()


class FakeModernHttpApp:
    path = "/mcp"

    def __init__(self, core: FakeModernCore, *, keepalive: float = 0.05) -> None:
        self.core = core
        self.keepalive = keepalive
        self.lock = threading.Lock()
        #: ``(HTTP method, lower-cased headers)`` of every HTTP request.
        self.http_log: list[tuple[str, dict[str, str]]] = []
        self._streams: list[queue.SimpleQueue] = []
        #: Listen request ids whose SSE stream ended (client went away, or the server ended it).
        self.closed_streams: list[Any] = []
        self.stream_closed = threading.Condition(self.lock)

    def close(self) -> None:
        with self.lock:
            streams = list(self._streams)
        for q in streams:
            q.put(_END)

    @staticmethod
    def _headers(environ: dict) -> dict[str, str]:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        return headers

    def __call__(self, environ: dict, start_response: Any) -> Any:
        method = environ["REQUEST_METHOD"]
        headers = self._headers(environ)
        with self.lock:
            self.http_log.append((method, headers))
        if method != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        message = json.loads(environ["wsgi.input"].read(length))
        if "id" not in message:
            self.core.handle(message, lambda m: None, headers)
            start_response("202 Accepted", [("Content-Length", "0")])
            return [b""]
        if message.get("method") == "subscriptions/listen":
            q: queue.SimpleQueue = queue.SimpleQueue()
            response = self.core.handle(message, q.put, headers)
            if response is not None:  # refused
                return self._json(start_response, response)
            with self.lock:
                self._streams.append(q)
            start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
            return self._stream(q, message["id"])
        notes: list[dict] = []
        response = self.core.handle(message, notes.append, headers)
        if response is None:
            response = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": "no answer"}}
        if not notes:
            return self._json(start_response, response)
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return [b"".join(b"data: " + json.dumps(m).encode() + b"\n\n" for m in [*notes, response])]

    @staticmethod
    def _json(start_response: Any, response: dict) -> list[bytes]:
        status = response.pop("_status", 200)
        body = json.dumps(response).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))])
        return [body]

    def _stream(self, q: queue.SimpleQueue, listen_id: Any) -> Iterator[bytes]:
        try:
            while True:
                try:
                    item = q.get(timeout=self.keepalive)
                except queue.Empty:
                    yield b": keep-alive\n\n"
                    continue
                if item is _END:
                    return
                yield b"data: " + json.dumps(item).encode() + b"\n\n"
                if "id" in item and "method" not in item:  # the server's result for the listen request
                    return
        finally:
            with self.lock:
                self._streams = [s for s in self._streams if s is not q]
                self.closed_streams.append(listen_id)
                self.stream_closed.notify_all()

    def wait_stream_closed(self, listen_id: Any, timeout: float = 10.0) -> bool:
        with self.lock:
            return self.stream_closed.wait_for(lambda: listen_id in self.closed_streams, timeout)

    def methods(self) -> list[str]:
        with self.lock:
            return [m for m, _ in self.http_log]


class FakeModernHttp:
    """``with FakeModernHttp(**core_options) as fake: fake.url, fake.core, fake.app`` (or ``core=`` a core)."""

    def __init__(self, core: FakeModernCore | None = None, **core_options: Any) -> None:
        self.core = core if core is not None else FakeModernCore(**core_options)
        self.app = FakeModernHttpApp(self.core)
        self.handle = HttpServerHandle(self.app, "127.0.0.1", 0, name="fake-modern-http")  # type: ignore[arg-type]
        self.url = self.handle.url

    def stop(self) -> None:
        self.handle.stop()

    def __enter__(self) -> "FakeModernHttp":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class LegacyOnlyMiddleware:
    """Makes a dual-era :class:`~mcp_sync.http.McpWsgiApp` answer like a 2025-11-25-only server.

    A POST that is neither ``initialize`` nor part of a session gets what such
    servers typically answer: HTTP 400 with a non-modern JSON-RPC error.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.path = app.path

    def close(self) -> None:
        self.app.close()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and not environ.get("HTTP_MCP_SESSION_ID"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            import io

            environ["wsgi.input"] = io.BytesIO(body)
            message = json.loads(body)
            if message.get("method") != "initialize":
                reply = json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                    "code": -32000, "message": "Bad Request: No valid session ID provided"}}).encode()
                start_response("400 Bad Request", [("Content-Type", "application/json"),
                                                   ("Content-Length", str(len(reply)))])
                return [reply]
        return self.app(environ, start_response)


def start_legacy_only_http(server: Any) -> HttpServerHandle:
    """Our server over HTTP, behaving as a legacy-only (2025-11-25) Streamable HTTP server."""
    from mcp_sync.http import McpWsgiApp

    return HttpServerHandle(LegacyOnlyMiddleware(McpWsgiApp(server)), "127.0.0.1", 0,  # type: ignore[arg-type]
                            name="fake-legacy-http")
