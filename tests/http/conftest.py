"""Fixtures: the test server's WSGI app served by our built-in server or werkzeug (gunicorn: tests/gunicorn_process.py)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pytest

from mcp_sync.http import HttpServerHandle, McpWsgiApp
from tests.http.app_server import HttpTestServer, build_server


def _our_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("mcp") and t.is_alive()}


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    """Every thread the SDK started during a test is stopped and joined by the time it ends."""
    before = _our_threads()
    yield
    # A server may still be finishing a response the client already read (its session ends
    # once the last byte went out): give such threads a bounded moment to end, by joining them.
    deadline = time.monotonic() + 5.0
    for thread in _our_threads() - before:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = sorted(t.name for t in _our_threads() - before)
    assert left == [], f"SDK threads still running after the test: {left}"


class Served:
    """An app being served: ``url`` (the MCP endpoint), ``base`` (scheme://host:port), ``app``, ``server``."""

    def __init__(self, url: str, app: McpWsgiApp, server: HttpTestServer, stop: Callable[[], None]) -> None:
        self.url = url
        self.base = url.rsplit("/", 1)[0] if app.path != "/" else url
        self.app = app
        self.server = server
        self._stop = stop

    def stop(self) -> None:
        self._stop()


def serve_builtin(app: McpWsgiApp) -> tuple[str, Callable[[], None]]:
    handle = HttpServerHandle(app, "127.0.0.1", 0)
    return handle.url, handle.stop


def serve_werkzeug(app: McpWsgiApp) -> tuple[str, Callable[[], None]]:
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="test-werkzeug-server", daemon=True)
    thread.start()
    path = app.path if app.path != "/" else ""

    def stop() -> None:
        httpd.shutdown()
        app.close()
        thread.join()
        httpd.server_close()

    return f"http://127.0.0.1:{httpd.server_port}{path}", stop


BACKENDS = {"builtin": serve_builtin, "werkzeug": serve_werkzeug}


@pytest.fixture(params=sorted(BACKENDS))
def serve(request):
    """``serve(**app_options)`` -> :class:`Served` (a fresh test server under the parametrized backend)."""
    started: list[Served] = []

    def start(server: HttpTestServer | None = None, **options: Any) -> Served:
        server = server or build_server()
        options.setdefault("keepalive", 1.0)
        app = server.wsgi_app(**options)
        url, stop = BACKENDS[request.param](app)
        served = Served(url, app, server, stop)
        started.append(served)
        return served

    start.backend = request.param  # type: ignore[attr-defined]
    yield start
    for served in started:
        served.stop()


@pytest.fixture
def builtin():
    """``builtin(**app_options)`` -> :class:`Served` under our built-in server only."""
    started: list[Served] = []

    def start(server: HttpTestServer | None = None, **options: Any) -> Served:
        server = server or build_server()
        options.setdefault("keepalive", 1.0)
        app = server.wsgi_app(**options)
        url, stop = serve_builtin(app)
        served = Served(url, app, server, stop)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


# -- gunicorn ----------------------------------------------------------------------------------



from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
