"""Getting the user through the authorization endpoint.

A *redirect handler* is any callable ``handler(authorization_url) -> callback_url``:
it sends the user (or a robot) to ``authorization_url`` and returns the URL the
authorization server redirected back to (with ``code``, ``state``, ``iss``).

* :class:`HeadlessRedirectHandler`: for tests and automation against servers that
  approve at once: fetches the authorization URL without following redirects and
  returns the ``Location``.
* :class:`LoopbackRedirectHandler`: for scripts and notebooks: opens the browser
  and catches the redirect on ``http://127.0.0.1:<port>/callback`` with a tiny
  one-shot HTTP server.
"""

from __future__ import annotations

import html
import logging
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from .errors import OAuthError

__all__ = ["HeadlessRedirectHandler", "LoopbackRedirectHandler", "RedirectHandler"]

log = logging.getLogger("mcp_sync.client.auth")

RedirectHandler = Callable[[str], str]


class HeadlessRedirectHandler:
    """Fetch the authorization URL (no redirects followed) and return its ``Location``.

    Only for authorization servers that redirect straight back (test servers,
    pre-approved automation). ``redirect_uri`` is what the client registers.
    """

    def __init__(self, redirect_uri: str = "http://localhost:3000/callback", *,
                 session: requests.Session | None = None, timeout: float = 30.0) -> None:
        self.redirect_uri = redirect_uri
        self._session = session
        self.timeout = timeout

    def __call__(self, authorization_url: str) -> str:
        http = self._session or requests.Session()
        try:
            response = http.get(authorization_url, allow_redirects=False, timeout=self.timeout)
        except requests.RequestException as exc:
            raise OAuthError(f"the authorization endpoint could not be reached: {exc}") from exc
        finally:
            if self._session is None:
                http.close()
        with response:
            location = response.headers.get("Location")
            if not (300 <= response.status_code < 400) or not location:
                raise OAuthError(
                    f"the authorization endpoint answered HTTP {response.status_code} without a redirect; "
                    "a headless client cannot continue (use an interactive redirect handler)")
        return urljoin(authorization_url, location)


class _CallbackServer(HTTPServer):
    allow_reuse_address = True
    callback_path = "/callback"
    result: str | None = None


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path != self.server.callback_path or not ({"code", "error"} & set(query)):
            self.send_error(404)
            return
        host, port = self.server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode("ascii")
        self.server.result = f"http://{host}:{port}{self.path}"
        failed = "error" in query
        title = "Authorization failed" if failed else "Authorization complete"
        text = (html.escape(query["error"][0]) if failed else "You can close this window and go back to the application.")
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        log.debug("callback server: " + format, *args)


class LoopbackRedirectHandler:
    """Open the browser at the authorization URL and catch the redirect on 127.0.0.1.

    The port is taken when the handler is created (``port=0``: any free port), so
    ``redirect_uri`` is known before registration. Each call serves one callback
    in a named thread (joined before returning) and waits up to ``timeout``
    seconds. ``open_browser`` is called with the URL (default :func:`webbrowser.open`;
    pass ``print`` to show the URL instead). Close the handler when done (or use
    it as a context manager) to free the port.
    """

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", path: str = "/callback", timeout: float = 300.0,
                 open_browser: Callable[[str], Any] | None = None) -> None:
        self._server = _CallbackServer((host, port), _CallbackHandler)
        self._server.callback_path = path
        self._server.timeout = 0.5  # handle_request() poll granularity
        bound_host, bound_port = self._server.server_address[:2]
        self.redirect_uri = f"http://{host}:{bound_port}{path}"
        self.timeout = timeout
        self.open_browser = open_browser or webbrowser.open
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, authorization_url: str) -> str:
        with self._lock:
            if self._closed:
                raise OAuthError("the loopback redirect handler is closed")
            self._server.result = None
            stop = threading.Event()
            deadline = time.monotonic() + self.timeout

            def serve() -> None:
                while not stop.is_set() and self._server.result is None and time.monotonic() < deadline:
                    self._server.handle_request()

            thread = threading.Thread(target=serve, name="mcp-oauth-callback", daemon=True)
            thread.start()
            try:
                self.open_browser(authorization_url)
            except Exception as exc:  # a browser that cannot start: the user can still paste the URL
                log.warning("could not open a browser (%s); open this URL: %s", exc, authorization_url)
            try:
                thread.join(self.timeout + 1.0)
            finally:
                stop.set()
                thread.join(2.0)
            if self._server.result is None:
                raise OAuthError(f"no authorization callback on {self.redirect_uri} within {self.timeout:.0f}s")
            return self._server.result

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._server.server_close()

    def __enter__(self) -> "LoopbackRedirectHandler":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

