"""Sampling (``sampling/createMessage``): messages, model preferences, tool choice.

In 2026-07-28 sampling is requested inside an ``InputRequiredResult`` instead
of a server-to-client request; the params and result types are the same.
"""

from typing import TYPE_CHECKING, Any, Literal

from .base import WireType, wire
from .common import Role
from .content import SamplingContent
from .tasks import TaskMetadata

if TYPE_CHECKING:
    from .tools import Tool

IncludeContext = Literal["none", "thisServer", "allServers"]


@wire
class ModelHint(WireType):
    name: str | None = None


@wire
class ModelPreferences(WireType):
    hints: list[ModelHint] | None = None
    cost_priority: float | None = None
    speed_priority: float | None = None
    intelligence_priority: float | None = None


@wire
class ToolChoice(WireType):
    mode: Literal["auto", "required", "none"] | None = None


@wire
class SamplingMessage(WireType):
    role: Role
    content: SamplingContent
    meta: dict[str, Any] | None = None


@wire
class CreateMessageRequestParams(WireType):
    messages: list[SamplingMessage]
    model_preferences: ModelPreferences | None = None
    system_prompt: str | None = None
    include_context: IncludeContext | None = None
    temperature: float | None = None
    max_tokens: int
    stop_sequences: list[str] | None = None
    metadata: dict[str, Any] | None = None
    # tools.py imports this module's dependants, so the name is bound there
    # (attrs.resolve_types at the end of tools.py).
    tools: "list[Tool] | None" = None
    tool_choice: ToolChoice | None = None
    task: TaskMetadata | None = None  # 2025-11-25 task augmentation
    meta: dict[str, Any] | None = None


@wire
class CreateMessageResult(WireType):
    role: Role
    content: SamplingContent
    model: str
    #: "endTurn", "stopSequence", "maxTokens", "toolUse" or any other string.
    stop_reason: str | None = None
    meta: dict[str, Any] | None = None
