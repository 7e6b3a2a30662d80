"""The middleware chain that the server and the client share: ``Call`` and ``MiddlewareChain``.

It sits below both roles (it imports neither). How to write and add a
middleware, and where each role runs the chain, is the guide in
:mod:`mcp_sync.server.middleware` (the server-side names) and
``Client.add_middleware`` (the client side).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional

if TYPE_CHECKING:
    from .session import IncomingRequest

__all__ = ["Call", "CallNext", "Middleware", "MiddlewareChain", "REQUEST", "NOTIFICATION"]

REQUEST = "request"
NOTIFICATION = "notification"


class Call:
    """One request or notification on its way through the chain.

    ``method``, ``params`` (the JSON object as received; replace it with
    :meth:`replace` rather than mutating it), ``kind`` (``"request"`` or
    ``"notification"``), ``era`` (``"legacy"`` or ``"modern"``),
    ``protocol_version`` (None before a legacy ``initialize``),
    ``identity`` (the authenticated subject, or None), ``client_info``
    (the client's ``Implementation`` object as sent, or None),
    ``request`` (the underlying request; None for notifications),
    ``connection`` (the legacy session's connection or the modern
    request's view: what handlers receive), and ``state``: a dict the
    middlewares of one call share.
    """

    __slots__ = ("method", "params", "kind", "era", "protocol_version", "identity", "client_info",
                 "request", "connection", "state")

    def __init__(self, method: str, params: Mapping[str, Any] | None, *, kind: str = REQUEST,
                 era: str, protocol_version: str | None = None, identity: str | None = None,
                 client_info: Mapping[str, Any] | None = None, request: "IncomingRequest | None" = None,
                 connection: Any = None, state: dict[str, Any] | None = None) -> None:
        self.method = method
        self.params: dict[str, Any] = dict(params) if params is not None else {}
        self.kind = kind
        self.era = era
        self.protocol_version = protocol_version
        self.identity = identity
        self.client_info = client_info
        self.request = request
        self.connection = connection
        self.state: dict[str, Any] = state if state is not None else {}

    def __repr__(self) -> str:
        return f"<Call {self.kind} {self.method!r} era={self.era} identity={self.identity!r}>"

    @property
    def request_id(self) -> Any:
        """The JSON-RPC id of the request (None for a notification)."""
        return self.request.id if self.request is not None else None

    def replace(self, *, params: Mapping[str, Any] | None = None) -> "Call":
        """A copy with other params (the state dict is shared)."""
        return Call(self.method, self.params if params is None else params, kind=self.kind, era=self.era,
                    protocol_version=self.protocol_version, identity=self.identity, client_info=self.client_info,
                    request=self.request, connection=self.connection, state=self.state)


CallNext = Callable[[Call], Any]
Middleware = Callable[[Call, CallNext], Any]


def identity_of(request: "IncomingRequest | None") -> Optional[str]:
    """The authenticated subject a transport attached to ``request`` (None when unauthenticated)."""
    if request is None:
        return None
    auth = request.extra.get("auth") if isinstance(request.extra, dict) else None
    subject = getattr(auth, "subject", None)
    return subject if isinstance(subject, str) else None


class MiddlewareChain:
    """The ordered middlewares of one server (added while serving is safe: copy on write)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: tuple[tuple[Middleware, frozenset[str] | None], ...] = ()

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def add(self, middleware: Middleware, methods: Iterable[str] | None = None) -> None:
        if not callable(middleware):
            raise TypeError(f"a middleware must be a callable (call, call_next) -> result, "
                            f"not {type(middleware).__name__}")
        if isinstance(methods, str):
            raise TypeError("methods must be a list of method names, not one string: methods=[" + repr(methods) + "]")
        chosen = frozenset(methods) if methods is not None else None
        with self._lock:
            self._entries = self._entries + ((middleware, chosen),)

    def remove(self, middleware: Middleware) -> None:
        """Remove ``middleware`` (every place it was added); ValueError if it was never added."""
        with self._lock:
            kept = tuple(entry for entry in self._entries if entry[0] is not middleware)
            if len(kept) == len(self._entries):
                raise ValueError(f"{middleware!r} is not in this server's middleware chain")
            self._entries = kept

    def run(self, call: Call, terminal: CallNext) -> Any:
        """Pass ``call`` through every middleware that wants its method, then to ``terminal``."""
        entries = [mw for mw, methods in self._entries if methods is None or call.method in methods]
        if not entries:
            return terminal(call)

        def step(index: int) -> CallNext:
            if index == len(entries):
                return terminal
            middleware = entries[index]
            following = step(index + 1)
            return lambda c: middleware(c, following)

        return step(0)(call)
