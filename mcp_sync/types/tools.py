"""Tools: definitions, ``tools/list`` and ``tools/call``."""

from typing import Any, Literal

import attrs

from .base import UNSET, WireType, wire
from .common import CacheScope
from .content import ContentBlock, Icon, TextContent
from .modern import InputResponses
from .sampling import CreateMessageRequestParams
from .tasks import TaskMetadata


@wire
class ToolAnnotations(WireType):
    """Hints about a tool's behaviour (2025-03-26 and later); untrusted unless the server is."""

    title: str | None = None
    read_only_hint: bool | None = None
    destructive_hint: bool | None = None
    idempotent_hint: bool | None = None
    open_world_hint: bool | None = None


@wire
class ToolExecution(WireType):
    """2025-11-25: whether ``tools/call`` may or must be task-augmented (absent = forbidden)."""

    task_support: Literal["forbidden", "optional", "required"] | None = None


@wire
class Tool(WireType):
    name: str
    title: str | None = None
    description: str | None = None
    icons: list[Icon] | None = None
    #: JSON Schema of the arguments, passed through untouched.
    input_schema: dict[str, Any]
    #: JSON Schema of ``structuredContent``, passed through untouched.
    output_schema: dict[str, Any] | None = None
    annotations: ToolAnnotations | None = None
    execution: ToolExecution | None = None  # 2025-11-25 only
    meta: dict[str, Any] | None = None


@wire
class ListToolsResult(WireType):
    tools: list[Tool]
    next_cursor: str | None = None
    ttl_ms: int | None = None  # 2026-07-28 caching
    cache_scope: CacheScope | None = None  # 2026-07-28 caching
    result_type: str | None = None
    meta: dict[str, Any] | None = None


@wire
class CallToolRequestParams(WireType):
    name: str
    arguments: dict[str, Any] | None = None
    task: TaskMetadata | None = None  # 2025-11-25 task augmentation
    input_responses: InputResponses | None = None  # 2026-07-28 MRTR retry
    request_state: str | None = None  # 2026-07-28 MRTR retry
    meta: dict[str, Any] | None = None


@wire
class CallToolResult(WireType):
    content: list[ContentBlock]
    #: Any JSON value in 2026-07-28 (an object up to 2025-11-25); UNSET = absent.
    structured_content: Any = UNSET
    #: None when ``isError`` is absent on the wire; results the Client returns always carry a bool.
    is_error: bool | None = None
    result_type: str | None = None
    meta: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The text of the result's text content blocks, joined with newlines ("" when there is none)."""
        return "\n".join(block.text for block in self.content if isinstance(block, TextContent))

    def raise_for_error(self, tool: str | None = None) -> "CallToolResult":
        """Raise :class:`~mcp_sync.errors.ToolError` if the tool answered ``isError``; else return ``self``.

        Like ``requests``' ``raise_for_status()``: ``client.call_tool("add", args).raise_for_error("add")``.
        """
        if self.is_error:
            from ..errors import ToolError

            raise ToolError(tool, self)
        return self


# sampling.py cannot import this module (this module imports modern, which
# imports sampling), so its forward reference to Tool is bound here.
attrs.resolve_types(CreateMessageRequestParams, localns={"Tool": Tool})  # type: ignore[type-var]
