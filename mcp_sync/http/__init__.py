"""Streamable HTTP for servers: a WSGI app, a built-in threaded server, resumable SSE streams.

* :class:`McpWsgiApp` (``server.wsgi_app()``): mount in any threaded WSGI server.
* :func:`start_http` / :func:`serve_http` (``server.start_http()``,
  ``server.run("http")``): the built-in server (standard library only).
* :class:`EventStore` / :class:`InMemoryEventStore`: where SSE events are kept
  for ``Last-Event-ID`` resumption.
* :class:`HttpRequestContext`: ``request.extra["http"]`` in a handler.

The client side is :class:`mcp_sync.transports.http_client.HttpClientTransport`.

In a request handler, ``request.extra["http"]`` (an :class:`HttpRequestContext`)
gives the HTTP headers and ``close_sse_stream(retry_ms=None)``: it ends the
SSE connection of this request now, the handler goes on, and the client
resumes the stream with ``GET`` + ``Last-Event-ID`` after the ``retry`` delay
(SSE polling, SEP-1699; what the conformance fixture ``test_reconnection``
does). ``request.extra["headers"]`` holds the request headers (lower-case).
"""

from .builtin_server import HttpServerHandle, serve_http, start_http
from .event_store import EventStore, InMemoryEventStore
from .session_manager import HttpRequestContext, HttpSession
from .wsgi_app import McpWsgiApp

__all__ = [
    "EventStore",
    "HttpRequestContext",
    "HttpServerHandle",
    "HttpSession",
    "InMemoryEventStore",
    "McpWsgiApp",
    "serve_http",
    "start_http",
]
