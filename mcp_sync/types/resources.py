"""Resources: listing, templates, reading, (legacy) subscribing."""

from typing import Any

from .base import WireType, wire
from .common import CacheScope
from .content import Annotations, Icon, ResourceContents
from .modern import InputResponses


@wire
class Resource(WireType):
    uri: str
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    size: int | None = None
    icons: list[Icon] | None = None
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class ResourceTemplate(WireType):
    uri_template: str  # RFC 6570
    name: str
    title: str | None = None
    description: str | None = None
    mime_type: str | None = None
    icons: list[Icon] | None = None
    annotations: Annotations | None = None
    meta: dict[str, Any] | None = None


@wire
class ListResourcesResult(WireType):
    resources: list[Resource]
    next_cursor: str | None = None
    ttl_ms: int | None = None  # 2026-07-28 caching
    cache_scope: CacheScope | None = None  # 2026-07-28 caching
    result_type: str | None = None
    meta: dict[str, Any] | None = None


@wire
class ListResourceTemplatesResult(WireType):
    resource_templates: list[ResourceTemplate]
    next_cursor: str | None = None
    ttl_ms: int | None = None  # 2026-07-28 caching
    cache_scope: CacheScope | None = None  # 2026-07-28 caching
    result_type: str | None = None
    meta: dict[str, Any] | None = None


@wire
class ReadResourceRequestParams(WireType):
    uri: str
    input_responses: InputResponses | None = None  # 2026-07-28 MRTR retry
    request_state: str | None = None  # 2026-07-28 MRTR retry
    meta: dict[str, Any] | None = None


@wire
class ReadResourceResult(WireType):
    contents: list[ResourceContents]
    ttl_ms: int | None = None  # 2026-07-28 caching
    cache_scope: CacheScope | None = None  # 2026-07-28 caching
    result_type: str | None = None
    meta: dict[str, Any] | None = None


@wire
class SubscribeRequestParams(WireType):
    """``resources/subscribe`` (legacy revisions)."""

    uri: str
    meta: dict[str, Any] | None = None


@wire
class UnsubscribeRequestParams(WireType):
    """``resources/unsubscribe`` (legacy revisions)."""

    uri: str
    meta: dict[str, Any] | None = None
