"""Prompts: ``prompts/list`` and ``prompts/get``."""

from typing import Any

from .base import WireType, wire
from .common import CacheScope, Role
from .content import ContentBlock, Icon
from .modern import InputResponses


@wire
class PromptArgument(WireType):
    name: str
    title: str | None = None
    description: str | None = None
    required: bool | None = None


@wire
class Prompt(WireType):
    name: str
    title: str | None = None
    description: str | None = None
    arguments: list[PromptArgument] | None = None
    icons: list[Icon] | None = None
    meta: dict[str, Any] | None = None


@wire
class PromptMessage(WireType):
    role: Role
    content: ContentBlock


@wire
class ListPromptsResult(WireType):
    prompts: list[Prompt]
    next_cursor: str | None = None
    ttl_ms: int | None = None  # 2026-07-28 caching
    cache_scope: CacheScope | None = None  # 2026-07-28 caching
    result_type: str | None = None
    meta: dict[str, Any] | None = None


@wire
class GetPromptRequestParams(WireType):
    name: str
    arguments: dict[str, str] | None = None
    input_responses: InputResponses | None = None  # 2026-07-28 MRTR retry
    request_state: str | None = None  # 2026-07-28 MRTR retry
    meta: dict[str, Any] | None = None


@wire
class GetPromptResult(WireType):
    description: str | None = None
    messages: list[PromptMessage]
    result_type: str | None = None
    meta: dict[str, Any] | None = None
