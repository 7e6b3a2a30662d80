"""Which capability a peer must have declared before it may receive a method.

Both roles use this table: a client refuses locally to send ``prompts/list`` to
a server that declared no ``prompts``, and a server answers -32601 to a method
whose capability it did not declare. Capabilities are plain dicts as on the wire.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import CapabilityError

# method -> path of keys into the *receiver's* capabilities
_REQUIRED: dict[str, tuple[str, ...]] = {
    # client -> server
    "tools/list": ("tools",),
    "tools/call": ("tools",),
    "resources/list": ("resources",),
    "resources/templates/list": ("resources",),
    "resources/read": ("resources",),
    "resources/subscribe": ("resources", "subscribe"),
    "resources/unsubscribe": ("resources", "subscribe"),
    "prompts/list": ("prompts",),
    "prompts/get": ("prompts",),
    "completion/complete": ("completions",),
    "logging/setLevel": ("logging",),
    # server -> client
    "sampling/createMessage": ("sampling",),
    "elicitation/create": ("elicitation",),
    "roots/list": ("roots",),
    # tasks, either direction (SEP-1686)
    "tasks/get": ("tasks",),
    "tasks/result": ("tasks",),
    "tasks/list": ("tasks", "list"),
    "tasks/cancel": ("tasks", "cancel"),
}


def has_capability(capabilities: Mapping[str, Any] | None, *path: str) -> bool:
    """True if the nested key ``path`` is declared (present and not false/None)."""
    node: Any = capabilities or {}
    for key in path:
        if type(node) is not dict and not isinstance(node, Mapping):  # dict first: Mapping checks are slow
            return False
        node = node.get(key)
        if node is None or node is False:
            return False
    return True


def required_capability(method: str) -> tuple[str, ...] | None:
    """The capability path the receiver of ``method`` must have declared, if any."""
    return _REQUIRED.get(method)


def check(method: str, peer_capabilities: Mapping[str, Any] | None, peer: str = "server") -> None:
    """Raise :class:`CapabilityError` if the peer did not declare what ``method`` needs."""
    path = _REQUIRED.get(method)
    if path is not None and not has_capability(peer_capabilities, *path):
        raise CapabilityError(
            f"the {peer} did not declare the {'.'.join(path)!r} capability, so {method!r} cannot be sent to it")


def elicitation_modes(client_capabilities: Mapping[str, Any] | None) -> set[str]:
    """Elicitation modes a client supports (an empty ``elicitation`` object means form only)."""
    elicitation = (client_capabilities or {}).get("elicitation")
    if not isinstance(elicitation, Mapping):
        return set()
    modes = {m for m in ("form", "url") if m in elicitation}
    return modes or {"form"}
