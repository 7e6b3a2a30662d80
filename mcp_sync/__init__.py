"""mcp_sync: a synchronous, thread-based SDK for the Model Context Protocol.

The public face: :class:`Server`, :class:`Client`, :class:`McpError`.
Submodules load on first use, so ``import mcp_sync`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Client",
    "ConnectionClosed",
    "CapabilityError",
    "Context",
    "McpError",
    "RequestTimeout",
    "Server",
    "Task",
    "__version__",
]

_LAZY = {
    "Client": ("mcp_sync.client", "Client"),
    "Server": ("mcp_sync.server", "Server"),
    "Task": ("mcp_sync.client.tasks", "Task"),
    "Context": ("mcp_sync.server", "Context"),
    "McpError": ("mcp_sync.errors", "McpError"),
    "ConnectionClosed": ("mcp_sync.errors", "ConnectionClosed"),
    "CapabilityError": ("mcp_sync.errors", "CapabilityError"),
    "RequestTimeout": ("mcp_sync.errors", "RequestTimeout"),
}

if TYPE_CHECKING:
    from .client import Client
    from .errors import CapabilityError, ConnectionClosed, McpError, RequestTimeout
    from .client.tasks import Task
    from .server import Context, Server


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mcp_sync' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
