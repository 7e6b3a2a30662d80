"""The client side of the extension API.

A client declares extensions with ``Client(extensions={"com.example/audit": {"version": 1}})``:
they go under ``capabilities.extensions`` in ``initialize`` (legacy) and in
every 2026-07-28 request's ``_meta``. ``client.server_extension(id)`` reads
what the server declared (None when it did not). Requests and notifications
an extension defines are sent with ``client.request(method, params)`` and
``client.notify(method, params)``; notifications from the server reach the
``on_notification(method, params)`` hook.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..protocol.extensions import check_extension_id

__all__ = ["check_client_extensions"]


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
