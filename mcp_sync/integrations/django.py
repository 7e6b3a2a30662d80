"""The MCP endpoint as a Django view: ``path("mcp", mcp_view())``.

The view hands the request to the server's WSGI app (:class:`~mcp_sync.http.McpWsgiApp`)
inside Django's request cycle, so Django's middleware, authentication and host
validation apply, and answers with a Django response (a ``StreamingHttpResponse``
for SSE, which Django's WSGI handler and gunicorn stream chunk by chunk).

* **CSRF**: the view is ``csrf_exempt``, because MCP clients are programs, not
  forms; browsers are kept out by the Origin check below. Every other view of
  the site keeps Django's CSRF protection.
* **Hosts and origins**: the host is validated by Django (``ALLOWED_HOSTS``,
  through ``request.get_host()``); a request with an ``Origin`` header must be
  same-origin or listed in ``CSRF_TRUSTED_ORIGINS`` (or ``allowed_origins``),
  else 403. The WSGI app's own loopback-only check is therefore off by default.
* **Identity**: an authenticated ``request.user`` (session login, or a bearer
  token accepted by one of your ``AUTHENTICATION_BACKENDS`` through
  ``authenticate(request, bearer_token=...)``) becomes the request's
  :class:`~mcp_sync.server.auth.AccessInfo` (``subject="django-user:<pk>"`` by
  default, see :func:`user_identity`): tasks are bound to it, so a user never
  sees another user's tasks, and sees their own from any session. In a tool,
  :func:`user_of` gives the Django user back.
* **Settings**: ``MCP_SYNC_SERVER`` (dotted path of a :class:`~mcp_sync.Server`,
  used when ``mcp_view()`` is given none) and ``MCP_SYNC_OPTIONS`` (keyword
  arguments for ``server.wsgi_app()``, e.g. ``{"json_response": True}``).

Django is imported when this module is (``pip install 'mcp-sync[django]'``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from django.conf import settings  # type: ignore[import-untyped]
from django.contrib.auth import authenticate  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse  # type: ignore[import-untyped]
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

from ..server.auth import AUTH_ENVIRON_KEY, AccessInfo

if TYPE_CHECKING:
    from ..http.wsgi_app import McpWsgiApp
    from ..server.server import Server

__all__ = ["McpView", "USER_PK_CLAIM", "mcp_view", "user_identity", "user_of", "wsgi_response"]

#: The claim of the default identity that holds the Django user's primary key.
USER_PK_CLAIM = "django_user_pk"

#: Headers a WSGI app must not set (PEP 3333); the WSGI server in front of Django owns them.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                         "trailers", "transfer-encoding", "upgrade"})

Identity = Callable[[Any, HttpRequest], "AccessInfo | None"]


def user_identity(user: Any, request: HttpRequest) -> AccessInfo | None:
    """The default identity of an authenticated Django user: ``AccessInfo(subject="django-user:<pk>")``.

    The primary key, not the username, so that renaming a user keeps their
    tasks. ``claims`` carries the username and the primary key (what
    :func:`user_of` reads); ``scopes`` are empty (check permissions in your
    tools with the Django user if you need them).
    """
    return AccessInfo(subject=f"django-user:{user.pk}",
                      claims={"username": user.get_username(), USER_PK_CLAIM: user.pk})


def user_of(ctx: Any) -> Any:
    """The Django user who made the request (or started the task) of a tool's ``Context``, or None.

    Reads the primary key the default identity put in the request's
    :class:`AccessInfo` and loads the user (then closes the worker thread's
    database connection, which Django's request cycle would not).
    """
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections  # type: ignore[import-untyped]

    extra = getattr(getattr(ctx, "request", None), "extra", None)
    auth = extra.get("auth") if isinstance(extra, dict) else None
    claims = getattr(auth, "claims", None) or {}
    pk = claims.get(USER_PK_CLAIM)
    if pk is None:
        return None
    try:
        return get_user_model()._default_manager.filter(pk=pk).first()
    finally:
        close_old_connections()


class _Body:
    """``wsgi.input`` for the MCP app: reads through the Django request (works after ``request.body`` too)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._request.read(size) if size is not None and size >= 0 else self._request.read()
        return data

    def readline(self, size: int = -1) -> bytes:
        line: bytes = self._request.readline(size) if size is not None and size >= 0 else self._request.readline()
        return line

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._request)


class McpView:
    """A Django view serving one :class:`~mcp_sync.Server` over Streamable HTTP (both protocol eras).

    Prefer :func:`mcp_view` to build one. ``server``: the server, or None for
    the ``MCP_SYNC_SERVER`` setting (read on the first request).
    ``identity(user, request)``: the :class:`AccessInfo` of an authenticated
    user (default :func:`user_identity`). ``login_required``: answer 401 to
    anonymous requests (a ``WWW-Authenticate: Bearer`` challenge) instead of
    serving them without an identity (their tasks are then bound to the MCP
    session). ``allowed_origins``: origins accepted besides same-origin and
    ``CSRF_TRUSTED_ORIGINS``. ``options``: keyword arguments for
    ``server.wsgi_app()``, over the ``MCP_SYNC_OPTIONS`` setting.

    The WSGI app (sessions, their threads) is built on the first request and
    ended by :meth:`close` (registered with ``atexit`` by :func:`mcp_view`);
    a closed view builds a fresh one on its next request.
    """

    #: Django's CsrfViewMiddleware skips views with this attribute: MCP clients send no CSRF token.
    csrf_exempt = True

    def __init__(self, server: "Server | str | None" = None, *, identity: Identity = user_identity,
                 login_required: bool = False, allowed_origins: Iterable[str] = (),
                 **options: Any) -> None:
        self._server = server
        self.identity = identity
        self.login_required = login_required
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins}
        self.options = options
        self._lock = threading.Lock()
        self._app: McpWsgiApp | None = None

    # -- the app -----------------------------------------------------------------

    @property
    def server(self) -> "Server":
        """The served :class:`~mcp_sync.Server` (from ``MCP_SYNC_SERVER`` when none was given)."""
        server = self._server
        if server is None:
            server = getattr(settings, "MCP_SYNC_SERVER", None)
            if server is None:
                raise RuntimeError("mcp_view() was given no server and settings.MCP_SYNC_SERVER is not set: "
                                   "set it to the dotted path of your mcp_sync.Server, e.g. 'mysite.mcp.server'")
        if isinstance(server, str):
            server = import_string(server)
        from ..server.server import Server

        if not isinstance(server, Server):
            raise TypeError(f"the MCP server (mcp_view()'s argument or settings.MCP_SYNC_SERVER) must be an "
                            f"mcp_sync.Server or its dotted path, not a {type(server).__name__}")
        self._server = server
        return server

    @property
    def app(self) -> "McpWsgiApp":
        """The WSGI app behind the view, built on first use."""
        with self._lock:
            if self._app is None:
                options: dict[str, Any] = {"dns_rebinding_protection": False}  # Django checked host and origin
                options.update(getattr(settings, "MCP_SYNC_OPTIONS", None) or {})
                options.update(self.options)
                options["path"] = "/"  # the view is mounted wherever its URL pattern says
                self._app = self.server.wsgi_app(**options)
            return self._app

    def close(self) -> None:
        """End the MCP sessions and join their threads (the next request starts afresh)."""
        with self._lock:
            app, self._app = self._app, None
        if app is not None:
            app.close()

    # -- the view ----------------------------------------------------------------

    def _origin_ok(self, request: HttpRequest) -> bool:
        origin = request.META.get("HTTP_ORIGIN")
        if not origin:
            return True  # not a browser
        origin = origin.rstrip("/").lower()
        if origin == f"{request.scheme}://{request.get_host()}".lower():
            return True
        trusted = {o.rstrip("/").lower() for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", ())}
        cors = self.options.get("cors_origins") or (getattr(settings, "MCP_SYNC_OPTIONS", None) or {}).get(
            "cors_origins") or ()
        allowed = trusted | self.allowed_origins | {o.rstrip("/").lower() for o in cors}
        return origin in allowed or "*" in allowed

    def _user(self, request: HttpRequest) -> tuple[Any, bool]:
        """The authenticated user (or None) and whether a bearer token was presented and refused."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user, False
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, False
        user = authenticate(request, bearer_token=token.strip())
        if user is None or not user.is_active:
            return None, True
        return user, False

    @staticmethod
    def _denied(status: int, message: str, challenge: str | None = None) -> HttpResponse:
        response = JsonResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}},
                                status=status)
        if challenge:
            response["WWW-Authenticate"] = challenge
        return response

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        host = request.get_host()  # DisallowedHost (400) unless settings.ALLOWED_HOSTS has it
        if not self._origin_ok(request):
            return self._denied(403, f"Forbidden: Origin {request.META.get('HTTP_ORIGIN')!r} not allowed "
                                     f"(add it to CSRF_TRUSTED_ORIGINS)")
        user, refused = self._user(request)
        if refused:
            return self._denied(401, "Unauthorized: invalid bearer token", 'Bearer error="invalid_token"')
        if user is None and self.login_required:
            return self._denied(401, "Unauthorized: log in or send an Authorization: Bearer token", "Bearer")
        environ = dict(request.META)
        environ.pop(AUTH_ENVIRON_KEY, None)
        if user is not None:
            info = self.identity(user, request)
            if info is not None:
                environ[AUTH_ENVIRON_KEY] = info
        environ["HTTP_HOST"] = host
        environ["wsgi.input"] = _Body(request)
        environ["SCRIPT_NAME"] = request.META.get("SCRIPT_NAME", "") + request.path_info.rstrip("/")
        environ["PATH_INFO"] = ""
        return wsgi_response(self.app, environ)


def wsgi_response(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> HttpResponseBase:
    """Run a WSGI app on ``environ`` and wrap its answer in a Django response.

    A list or tuple body becomes an ``HttpResponse``; any other iterable a
    ``StreamingHttpResponse`` that Django closes (closing the app's iterable)
    when the response ends. Hop-by-hop headers are left to the WSGI server.
    """
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return _no_write

    body = app(environ, start_response)
    chunks: Iterator[bytes] = iter(body)
    first: list[bytes] = []
    if not started:  # WSGI lets an app call start_response on its first chunk
        try:
            first.append(next(chunks))
        except StopIteration:
            pass
    code_text, _, reason = str(started.get("status", "500 Internal Server Error")).partition(" ")
    headers: list[tuple[str, str]] = started.get("headers", [])
    response: HttpResponseBase
    if isinstance(body, (list, tuple)):
        response = HttpResponse(b"".join(first) + b"".join(chunks), status=int(code_text), reason=reason or None)
    else:
        response = StreamingHttpResponse(_StreamedBody(first, chunks, body), status=int(code_text),
                                         reason=reason or None)
    for name, value in headers:
        if name.lower() not in _HOP_BY_HOP:
            response[name] = value
    return response


def _no_write(data: bytes) -> None:
    raise NotImplementedError("mcp_sync's WSGI app never uses the write() callable")


class _StreamedBody:
    """The body of a streaming answer; Django's response closes it (which closes the app's iterable)."""

    def __init__(self, first: list[bytes], rest: Iterator[bytes], body: Any) -> None:
        self._first, self._rest, self._body = first, rest, body

    def __iter__(self) -> Iterator[bytes]:
        yield from self._first
        yield from self._rest

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def mcp_view(server: "Server | str | None" = None, *, identity: Identity = user_identity,
             login_required: bool = False, allowed_origins: Iterable[str] = (), **options: Any) -> McpView:
    """A Django view serving ``server`` (or ``settings.MCP_SYNC_SERVER``); see :class:`McpView`.

    ``urls.py``::

        from django.urls import path
        from mcp_sync.integrations.django import mcp_view

        urlpatterns = [path("mcp", mcp_view("mysite.mcp.server"))]

    Serve the site with a threaded WSGI server (``gunicorn -k gthread``): each
    open SSE stream holds a worker thread.
    """
    import atexit

    view = McpView(server, identity=identity, login_required=login_required, allowed_origins=allowed_origins,
                   **options)
    atexit.register(view.close)
    return view
