"""A threaded HTTP server for the WSGI app, from the standard library only.

``server.run("http", host="127.0.0.1", port=8000)`` blocks until Ctrl-C (or
SIGTERM); ``server.start_http(port=0)`` starts the same in the background and
returns an :class:`HttpServerHandle` (``.url``, ``.stop()``).

It is :class:`~mcp_sync.http.wsgi_server.ThreadedWsgiServer` (HTTP/1.1,
persistent connections, chunked SSE) with one named thread per connection once
that connection has sent something: at most ``max_connections`` connections
(1024), a silent one closed ``HEADER_TIMEOUT`` seconds after its accept, the
oldest silent ones shed when the cap or the process's descriptors run out (see
:mod:`mcp_sync.http.wsgi_server`). The accept loop waits on a selector together
with a wake-up socket, so ``stop()`` takes effect at once. ``stop()`` stops
accepting, closes the app (ending every session and stream), shuts down the
sockets of connections still open, and joins every thread it started.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any

from .wsgi_server import MAX_CONNECTIONS, ThreadedWsgiServer

if TYPE_CHECKING:
    from ..server.server import Server
    from .wsgi_app import McpWsgiApp

log = logging.getLogger("mcp_sync.http.server")

#: How long stop() waits for each connection thread.
JOIN_TIMEOUT = 5.0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HttpServerHandle:
    """A running built-in HTTP server. ``url`` is the MCP endpoint; ``stop()`` ends it."""

    def __init__(self, app: "McpWsgiApp", host: str = "127.0.0.1", port: int = 0, *, owns_app: bool = True,
                 name: str = "mcp-http", max_connections: int = MAX_CONNECTIONS) -> None:
        if type(max_connections) is not int or max_connections < 1:
            raise ValueError(f"max_connections must be a positive integer, not {max_connections!r}")
        self.app = app
        self._owns_app = owns_app
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        self._httpd = ThreadedWsgiServer((host.strip("[]"), port), app, family=family)
        #: Connections open at once (see :data:`~mcp_sync.http.wsgi_server.MAX_CONNECTIONS`).
        self._httpd.max_connections = self.max_connections = max_connections
        self.host = host
        self.port: int = self._httpd.server_address[1]
        url_host = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
        path = app.path if app.path != "/" else ""
        #: The MCP endpoint, e.g. ``http://127.0.0.1:8000/mcp``.
        self.url = f"http://{url_host}:{self.port}{path}"
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name=f"{name}-accept", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._httpd.serve_connections(self._wake_r)

    def stop(self) -> None:
        """Stop accepting, end every session, and join every thread (idempotent)."""
        with self._stop_lock:
            if self._stopping:
                self._stopped.wait()
                return
            self._stopping = True
        try:
            self._wake_w.send(b"x")
            if self._thread is not threading.current_thread():
                self._thread.join()
            if self._owns_app:
                self.app.close()
            # Connections waiting for a request (or for the rest of a body) see EOF;
            # responses being written are left to finish.
            for _, sock in self._httpd.live_connections():
                self._shutdown_socket(sock, socket.SHUT_RD)
            for thread, sock in self._httpd.live_connections():
                thread.join(JOIN_TIMEOUT)
                if thread.is_alive():
                    self._shutdown_socket(sock, socket.SHUT_RDWR)
                    thread.join(JOIN_TIMEOUT)
            for thread in self._httpd.connection_threads():  # those that were just finishing
                thread.join(JOIN_TIMEOUT)
            self._httpd.server_close()
            self._wake_r.close()
            self._wake_w.close()
        finally:
            self._stopped.set()

    @staticmethod
    def _shutdown_socket(sock: socket.socket, how: int) -> None:
        try:
            sock.shutdown(how)
        except OSError:
            pass

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped; True if it was."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> "HttpServerHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<HttpServerHandle {self.url}>"


def start_http(server: "Server", host: str = "127.0.0.1", port: int = 0, **app_options: Any) -> HttpServerHandle:
    """Serve ``server`` over Streamable HTTP in the background; return the handle.

    ``app_options`` go to :class:`~mcp_sync.http.McpWsgiApp`, except
    ``max_connections`` (the built-in server's connection cap, default 1024). On a host that
    is not loopback, Host checking is off unless ``allowed_hosts`` is given
    (Origin checking stays on: same-origin or ``allowed_origins``).
    """
    from .wsgi_app import McpWsgiApp

    if not _is_loopback(host) and "allowed_hosts" not in app_options:
        app_options["allowed_hosts"] = ["*"]
        if app_options.get("dns_rebinding_protection", True):
            # A rebound page's Origin matches its Host, so without a Host list nothing stops it.
            log.warning("serving MCP on %s without allowed_hosts: the Host header is not checked, so DNS "
                        "rebinding protection is off; pass allowed_hosts=[your public names]", host)
    server_options = {"max_connections": app_options.pop("max_connections")} if "max_connections" in app_options else {}
    app = McpWsgiApp(server, **app_options)
    try:
        return HttpServerHandle(app, host, port, **server_options)
    except BaseException:
        app.close()
        raise


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_http(server: "Server", host: str = "127.0.0.1", port: int = 8000, **app_options: Any) -> None:
    """Serve until Ctrl-C or SIGTERM, then shut down gracefully."""
    handle = start_http(server, host, port, **app_options)
    # One line on stderr (stdout stays free): where to connect, and a readiness signal for supervisors.
    print(f"MCP server {getattr(server, 'name', '?')!r} listening on {handle.url}", file=sys.stderr, flush=True)
    previous = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        handle.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
