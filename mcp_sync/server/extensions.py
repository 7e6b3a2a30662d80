"""The server side of the extension API: add an MCP extension to a :class:`~mcp_sync.Server` once,
and it works in both eras and on every transport.

An extension is a subclass of :class:`Extension` with an ``id`` (the
identifier under ``capabilities.extensions``, ``vendor-prefix/name``) and an
:meth:`Extension.install` that registers what it adds through the
:class:`ExtensionSetup` it is given::

    class Audit(Extension):
        id = "com.example/audit"

        def settings(self) -> dict:
            return {"version": 1}                     # capabilities.extensions["com.example/audit"]

        def install(self, setup: ExtensionSetup) -> None:
            setup.method("audit/log", self.log)       # a new request method, both eras
            setup.middleware(self.around, methods=["tools/call"])   # an interceptor

    server.add_extension(Audit())

What it can do:

- **declare** itself: ``capabilities.extensions[id] = settings()`` in the
  ``initialize`` result (legacy) and in ``server/discover`` (2026-07-28),
  only for the eras in :attr:`Extension.eras` and only while
  :meth:`Extension.enabled` is true (settings are read each time they are
  sent, so they may change);
- **add request methods** (:meth:`ExtensionSetup.method`): handlers
  ``fn(connection, request) -> result dict`` (the same shape as
  :meth:`Server.method <mcp_sync.Server.method>`; ``connection`` is the legacy session's
  :class:`~mcp_sync.server.ServerConnection` or the 2026-07-28 request's
  view, both with ``protocol_version`` and ``client_capabilities``);
  raise :class:`~mcp_sync.errors.McpError` for a JSON-RPC error;
- **add client notifications** (:meth:`ExtensionSetup.notification`) and
  send its own with ``connection.notify(method, params)``;
- **intercept** any method (``tools/call``...) with a middleware of the
  server's chain (:meth:`ExtensionSetup.middleware`; see
  :mod:`mcp_sync.server.middleware`): there is no second mechanism;
- **read the client's declaration** (:func:`client_extension`): what the
  client declared under its ``capabilities.extensions`` (``initialize`` on
  legacy sessions, each request's ``_meta`` on 2026-07-28).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from ..protocol.extensions import check_extension_id, declared_extension
from .connection import ALL_ERAS, check_eras

if TYPE_CHECKING:
    from .middleware import Middleware
    from .server import Server

__all__ = ["Extension", "ExtensionSetup", "Extensions", "client_extension", "check_extension_id"]

MethodHandler = Callable[[Any, Any], Any]
NotificationHandler = Callable[[Any, dict[str, Any]], None]

def client_extension(connection: Any, extension_id: str) -> dict[str, Any] | None:
    """The settings the client declared for ``extension_id`` (None when it did not declare it).

    ``connection`` is what handlers and middlewares receive (``call.connection``):
    a legacy session (its ``initialize`` capabilities) or a 2026-07-28 request
    view (that request's ``_meta`` capabilities).
    """
    return declared_extension(getattr(connection, "client_capabilities", None), extension_id)


class Extension:
    """Base class of a server extension (see the module docstring).

    Class attributes: ``id`` (required), ``eras`` (``("legacy", "modern")``
    by default: which eras declare and serve it).
    """

    id: str = ""
    eras: Sequence[str] = ALL_ERAS

    def settings(self) -> Mapping[str, Any]:
        """The settings object declared under ``capabilities.extensions[id]`` (``{}`` by default)."""
        return {}

    def enabled(self) -> bool:
        """Whether it is declared right now (True by default)."""
        return True

    def core_capabilities(self) -> Mapping[str, Any]:
        """Core capabilities the extension relies on, merged into the server's (``{}`` by default;
        Skills returns ``{"resources": {}}``: it needs ``resources/read`` even with no skill yet)."""
        return {}

    def install(self, setup: "ExtensionSetup") -> None:
        """Register methods, notification handlers and middlewares (called once by ``add_extension``)."""

    def client_declared(self, connection: Any) -> dict[str, Any] | None:
        """What the client declared for this extension (see :func:`client_extension`)."""
        return client_extension(connection, self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


class ExtensionSetup:
    """What :meth:`Extension.install` uses to plug into one server (built by ``Server.add_extension``)."""

    def __init__(self, server: "Server", extension: Extension,
                 add_method: Callable[[str, MethodHandler, frozenset[str]], None]) -> None:
        self.server = server
        self.extension = extension
        self._add_method = add_method
        self._eras = check_eras(extension.eras)

    def method(self, name: str, handler: MethodHandler | None = None, *,
               eras: str | Sequence[str] | None = None) -> Any:
        """Serve request ``name`` with ``handler(connection, request) -> dict`` (also a decorator).

        ``eras`` defaults to the extension's. A handler registered for the
        2026-07-28 era only replaces nothing of the legacy table, and the other way round.
        """
        chosen = self._eras if eras is None else check_eras(eras)
        if not isinstance(name, str) or not name:
            raise ValueError("a method name is a non-empty string")

        def register(fn: MethodHandler) -> MethodHandler:
            if not callable(fn):
                raise TypeError(f"the handler of {name!r} must be callable (connection, request) -> dict")
            self._add_method(name, fn, chosen)
            return fn

        return register(handler) if handler is not None else register

    def notification(self, name: str, handler: NotificationHandler | None = None) -> Any:
        """Handle client notification ``name`` with ``handler(connection, params)`` (also a decorator)."""

        def register(fn: NotificationHandler) -> NotificationHandler:
            self.server.on_notification(name)(fn)
            return fn

        return register(handler) if handler is not None else register

    def middleware(self, middleware: "Middleware", *, methods: Iterable[str] | None = None) -> "Middleware":
        """Add an interceptor ``(call, call_next) -> result`` to the server's middleware chain."""
        return self.server.add_middleware(middleware, methods=None if methods is None else list(methods))


class Extensions:
    """The extensions added to one server (``server.extensions``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Extension] = {}

    def __contains__(self, extension_id: object) -> bool:
        with self._lock:
            return extension_id in self._items

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._items.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, extension_id: str) -> Extension | None:
        with self._lock:
            return self._items.get(extension_id)

    def add(self, extension: Extension) -> None:
        if not isinstance(extension, Extension):
            raise TypeError(f"add_extension() takes an Extension instance, not {type(extension).__name__}")
        check_extension_id(extension.id)
        with self._lock:
            if extension.id in self._items:
                raise ValueError(f"the extension {extension.id!r} is already added to this server")
            self._items[extension.id] = extension

    def declared(self, era: str) -> dict[str, dict[str, Any]]:
        """``capabilities.extensions`` entries for ``era`` (``"legacy"`` or ``"modern"``)."""
        out: dict[str, dict[str, Any]] = {}
        for extension in self:
            if era in extension.eras and extension.enabled():
                settings = extension.settings()
                if not isinstance(settings, Mapping):
                    raise TypeError(f"{extension!r}.settings() must return a dict, not {type(settings).__name__}")
                out[extension.id] = dict(settings)
        return out


def with_extensions(capabilities: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """``capabilities`` with ``declared`` merged under ``extensions`` (a copy; unchanged when empty)."""
    if not declared:
        return dict(capabilities)
    out = dict(capabilities)
    extensions = dict(out.get("extensions") or {})
    extensions.update(declared)
    out["extensions"] = extensions
    return out
