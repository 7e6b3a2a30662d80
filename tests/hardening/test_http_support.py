"""Helpers shared by the HTTP hardening tests (``test_http_*.py``); this module has no tests.

* :func:`raw_http`: one HTTP exchange on a fresh loopback socket, bytes under
  our full control (no client library validating or fixing anything).
* :class:`Served`: a test server (``tests.http.app_server``) behind the
  built-in HTTP server on 127.0.0.1:0; the ``served`` fixture stops them all.
* :class:`LogTrap`: captures log records (tracebacks, secrets) from our loggers.
* ``no_sdk_threads_left``: every ``mcp*`` thread a test started is gone by its end.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from typing import Any, Callable, Iterable, NamedTuple

import pytest

from mcp_sync.http import HttpServerHandle
from tests.http.app_server import HttpTestServer, build_server

WAIT = 20.0  # the longest any single step may take (reached only when something is broken)


class RawResponse(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def build_request(method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes = b"", *,
                  chunked: bool = False, content_length: bool = True) -> bytes:
    lines = [f"{method} {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        if body:
            half = max(1, len(body) // 2)
            parts = [body[:half], body[half:]]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"
        else:
            body = b"0\r\n\r\n"
    elif content_length and (body or method in ("POST", "PUT", "PATCH")):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def raw_http(port: int, data: bytes, *, method: str = "GET", read_sse: bool = True, timeout: float = WAIT,
             half_close: bool = False) -> RawResponse | None:
    """Send ``data`` on a new connection and parse the answer; None if the server closed without one.

    An SSE answer is read to its end unless ``read_sse`` is False (then only
    its head is read: a GET stream never ends by itself).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None
        try:
            headers = {k.lower(): v for k, v in response.getheaders()}
            sse = headers.get("content-type", "").startswith("text/event-stream")
            body = b"" if sse and not read_sse else response.read()
            return RawResponse(response.status, headers, body)
        finally:
            response.close()


class Served:
    """A test server behind the built-in HTTP server on 127.0.0.1:0."""

    def __init__(self, server: HttpTestServer | None = None, **options: Any) -> None:
        self.server = server or build_server()
        options.setdefault("keepalive", 0.5)
        self.app = self.server.wsgi_app(**options)
        self.handle = HttpServerHandle(self.app, "127.0.0.1", 0)
        self.url = self.handle.url
        self.port = self.handle.port
        self.host = f"127.0.0.1:{self.port}"

    @property
    def httpd(self) -> Any:
        """The ThreadedWsgiServer (its timeouts can be lowered before the first connection)."""
        return self.handle._httpd

    def connections(self) -> int:
        return len(self.httpd.live_connections())

    def stop(self) -> None:
        self.handle.stop()


@pytest.fixture
def served():
    started: list[Served] = []

    def start(server: HttpTestServer | None = None, **options: Any) -> Served:
        started.append(Served(server, **options))
        return started[-1]

    yield start
    for s in started:
        s.stop()


class LogTrap(logging.Handler):
    """Records everything logged to ``loggers`` (levels lowered to ``level`` while active)."""

    def __init__(self, loggers: Iterable[str] = ("mcp_sync",), level: int = logging.DEBUG) -> None:
        super().__init__(logging.DEBUG)
        self.names = list(loggers)
        self.level_while = level
        self.records: list[logging.LogRecord] = []
        self._saved: list[tuple[logging.Logger, int]] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock2:
            self.records.append(record)

    def __enter__(self) -> "LogTrap":
        for name in self.names:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.level))
            logger.setLevel(self.level_while)
            logger.addHandler(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        for logger, level in self._saved:
            logger.removeHandler(self)
            logger.setLevel(level)
        self._saved.clear()

    def snapshot(self) -> list[logging.LogRecord]:
        with self._lock2:
            return list(self.records)

    def text(self) -> str:
        """Every record as it would be written: the message, arguments and any traceback."""
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        return "\n".join(formatter.format(r) for r in self.snapshot())

    def problems(self) -> list[str]:
        """Records that mean a bug: errors, and anything carrying a traceback."""
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        return [formatter.format(r) for r in self.snapshot() if r.levelno >= logging.ERROR or r.exc_info]


def sdk_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("mcp") and t.is_alive()}


@pytest.fixture
def no_sdk_threads_left():
    """Every thread the SDK started during a test is stopped and joined by its end."""
    before = sdk_threads()
    yield
    deadline = time.monotonic() + 5.0  # threads that were told to stop may take a moment to end
    while (left := sdk_threads() - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(t.name for t in left) == [], "SDK threads still running after the test"


def wait_until(predicate: Callable[[], Any], timeout: float = WAIT, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
