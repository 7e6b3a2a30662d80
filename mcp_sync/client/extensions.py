"""The client side of the extension API.

A client declares extensions with ``Client(extensions={"com.example/audit": {"version": 1}})``:
they go under ``capabilities.extensions`` in ``initialize`` (legacy) and in
every 2026-07-28 request's ``_meta``. ``client.server_extension(id)`` reads
what the server declared (None when it did not). Requests and notifications
an extension defines are sent with ``client.request(method, params)`` and
``client.notify(method, params)``; notifications from the server reach the
``on_notification(method, params)`` hook; requests the server sends
(a legacy session) are answered by ``Client(request_handlers={method: fn})``,
``fn(params) -> result dict`` (raise :class:`~mcp_sync.errors.McpError` for an
error), run on a worker thread.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..protocol.extensions import check_extension_id

__all__ = ["check_client_extensions", "check_request_handlers"]

#: Methods the client answers itself: not for request_handlers.
_BUILT_IN = frozenset({"sampling/createMessage", "elicitation/create", "roots/list", "ping"})


def check_client_extensions(extensions: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """``Client(extensions=...)`` validated: identifier -> settings object."""
    if extensions is None:
        return {}
    if not isinstance(extensions, Mapping):
        raise TypeError("extensions must map extension ids to settings objects, e.g. {'com.example/x': {}}")
    out: dict[str, dict[str, Any]] = {}
    for key, value in extensions.items():
        check_extension_id(key)
        if not isinstance(value, Mapping):
            raise TypeError(f"the settings of extension {key!r} must be a dict (use {{}} for none), "
                            f"not {type(value).__name__}")
        out[key] = dict(value)
    return out


def check_request_handlers(handlers: Mapping[str, Callable[[dict[str, Any]], Any]] | None) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """``Client(request_handlers=...)`` validated: method name -> callable."""
    if handlers is None:
        return {}
    if not isinstance(handlers, Mapping):
        raise TypeError("request_handlers must map method names to functions fn(params) -> dict")
    out: dict[str, Callable[[dict[str, Any]], Any]] = {}
    for method, handler in handlers.items():
        if not isinstance(method, str) or not method:
            raise ValueError(f"a request method is a non-empty string, not {method!r}")
        if method in _BUILT_IN or method.startswith("tasks/"):
            raise ValueError(f"{method!r} is answered by the client itself (sampling=, elicitation=, roots=, "
                             "tasks=): use those options")
        if not callable(handler):
            raise TypeError(f"the handler of {method!r} must be callable fn(params) -> dict")
        out[method] = handler
    return out
