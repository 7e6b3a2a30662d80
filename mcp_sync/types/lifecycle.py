"""Lifecycle: implementation info, capabilities, ``initialize`` and ``server/discover``.

Capability sets are open: unknown keys land in ``extra``.  A flag given as an
object is "supported" when present, even when empty: ``{}`` stays ``{}``
(``None`` means absent).
"""

from typing import Any

from .base import WireType, wire
from .common import CacheScope
from .content import Icon


@wire
class Implementation(WireType):
    name: str
    version: str
    title: str | None = None
    description: str | None = None
    website_url: str | None = None
    icons: list[Icon] | None = None

    # ``ctx.client_info`` was a plain dict before it became an Implementation: dict-style reads keep
    # working (by wire name), with a DeprecationWarning pointing at the attribute to use.
    def get(self, key: str, default: Any = None) -> Any:
        """Deprecated dict-style read by wire name (``info.get("name")``): use the attribute."""
        _dict_style(key)
        from .converter import to_wire

        return to_wire(self).get(key, default)

    def __getitem__(self, key: str) -> Any:
        _dict_style(key)
        from .converter import to_wire

        return to_wire(self)[key]


def _dict_style(key: str) -> None:
    import warnings

    warnings.warn(f"client_info/server_info are Implementation objects: read .{key} (or the snake_case "
                  f"attribute) instead of ['{key}'] / .get('{key}')", DeprecationWarning, stacklevel=3)


# -- client capabilities -------------------------------------------------------


@wire
class RootsCapability(WireType):
    list_changed: bool | None = None  # legacy only; 2026-07-28 roots is {}


@wire
class SamplingCapability(WireType):
    context: dict[str, Any] | None = None  # includeContext other than "none"
    tools: dict[str, Any] | None = None  # tools / toolChoice (2025-11-25+)


@wire
class ElicitationCapability(WireType):
    """``{}`` alone means form mode only."""

    form: dict[str, Any] | None = None
    url: dict[str, Any] | None = None


@wire
class SamplingTaskRequests(WireType):
    create_message: dict[str, Any] | None = None


@wire
class ElicitationTaskRequests(WireType):
    create: dict[str, Any] | None = None


@wire
class ClientTaskRequests(WireType):
    sampling: SamplingTaskRequests | None = None
    elicitation: ElicitationTaskRequests | None = None


@wire
class ClientTasksCapability(WireType):
    """2025-11-25 tasks, as receiver of server requests."""

    cancel: dict[str, Any] | None = None
    requests: ClientTaskRequests | None = None
    list: dict[str, Any] | None = None


@wire
class ClientCapabilities(WireType):
    experimental: dict[str, dict[str, Any]] | None = None
    roots: RootsCapability | None = None
    sampling: SamplingCapability | None = None
    elicitation: ElicitationCapability | None = None
    tasks: ClientTasksCapability | None = None  # 2025-11-25 only
    extensions: dict[str, dict[str, Any]] | None = None  # 2026-07-28


# -- server capabilities -------------------------------------------------------


@wire
class PromptsCapability(WireType):
    list_changed: bool | None = None


@wire
class ResourcesCapability(WireType):
    subscribe: bool | None = None
    list_changed: bool | None = None


@wire
class ToolsCapability(WireType):
    list_changed: bool | None = None


@wire
class ToolsTaskRequests(WireType):
    call: dict[str, Any] | None = None


@wire
class ServerTaskRequests(WireType):
    tools: ToolsTaskRequests | None = None


@wire
class ServerTasksCapability(WireType):
    """2025-11-25 tasks, as receiver of client requests."""

    cancel: dict[str, Any] | None = None
    requests: ServerTaskRequests | None = None
    list: dict[str, Any] | None = None


@wire
class ServerCapabilities(WireType):
    experimental: dict[str, dict[str, Any]] | None = None
    logging: dict[str, Any] | None = None
    completions: dict[str, Any] | None = None  # 2025-03-26+
    prompts: PromptsCapability | None = None
    resources: ResourcesCapability | None = None
    tools: ToolsCapability | None = None
    tasks: ServerTasksCapability | None = None  # 2025-11-25 only
    extensions: dict[str, dict[str, Any]] | None = None  # 2026-07-28


# -- initialize / server/discover ----------------------------------------------


@wire
class InitializeRequestParams(WireType):
    protocol_version: str
    capabilities: ClientCapabilities
    client_info: Implementation
    meta: dict[str, Any] | None = None


@wire
class InitializeResult(WireType):
    protocol_version: str
    capabilities: ServerCapabilities
    server_info: Implementation
    instructions: str | None = None
    meta: dict[str, Any] | None = None


@wire
class DiscoverResult(WireType):
    """``server/discover`` (2026-07-28).

    ``ttl_ms``/``cache_scope`` are required of servers; a missing ``ttlMs`` means 0.
    """

    supported_versions: list[str]
    capabilities: ServerCapabilities
    instructions: str | None = None
    ttl_ms: int | None = None
    cache_scope: CacheScope | None = None
    result_type: str | None = None
    meta: dict[str, Any] | None = None
