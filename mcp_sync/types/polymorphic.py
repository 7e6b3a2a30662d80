"""Results of requests that can be answered in several shapes.

Pass these aliases to ``from_wire``; the shape is chosen by ``resultType``
(2026-07-28) or by the ``task`` wrapper (2025-11-25 task augmentation).  An
unknown ``resultType`` is invalid (the spec says so) and raises.
"""

from typing import Any, Callable, Union

from .base import json_type_name, register_union
from .common import RESULT_COMPLETE, RESULT_INPUT_REQUIRED, RESULT_TASK
from .elicitation import ElicitResult
from .modern import InputRequiredResult
from .prompts import GetPromptResult
from .resources import ReadResourceResult
from .sampling import CreateMessageResult
from .tasks import CreateTaskResult
from .tasks_ext import ExtCreateTaskResult
from .tools import CallToolResult

#: ``tools/call``: complete, input required (MRTR), or a task (2025-11-25 or extension).
AnyCallToolResult = Union[CallToolResult, InputRequiredResult, CreateTaskResult, ExtCreateTaskResult]
#: ``prompts/get``: complete or input required.
AnyGetPromptResult = Union[GetPromptResult, InputRequiredResult]
#: ``resources/read``: complete or input required.
AnyReadResourceResult = Union[ReadResourceResult, InputRequiredResult]
#: ``sampling/createMessage`` (2025-11-25): the message or a task.
AnyCreateMessageResult = Union[CreateMessageResult, CreateTaskResult]
#: ``elicitation/create`` (2025-11-25): the answer or a task.
AnyElicitResult = Union[ElicitResult, CreateTaskResult]


def _chooser(complete: type, *, mrtr: bool, legacy_task: str, ext_task: bool) -> Callable[[Any], type]:
    """``legacy_task``: a key the complete result always has ("" = no 2025-11-25 task answer)."""

    def choose(value: Any) -> type:
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object (result), got {json_type_name(value)}")
        result_type = value.get("resultType", RESULT_COMPLETE)
        if result_type == RESULT_COMPLETE:
            if legacy_task and "task" in value and legacy_task not in value:
                return CreateTaskResult
            return complete
        if result_type == RESULT_INPUT_REQUIRED and mrtr:
            return InputRequiredResult
        if result_type == RESULT_TASK and ext_task:
            return ExtCreateTaskResult
        raise ValueError(f"unexpected resultType {result_type!r} for {complete.__name__}")

    return choose


register_union("AnyCallToolResult", AnyCallToolResult, _chooser(CallToolResult, mrtr=True, legacy_task="content", ext_task=True))
register_union("AnyGetPromptResult", AnyGetPromptResult, _chooser(GetPromptResult, mrtr=True, legacy_task="", ext_task=False))
register_union("AnyReadResourceResult", AnyReadResourceResult, _chooser(ReadResourceResult, mrtr=True, legacy_task="", ext_task=False))
register_union("AnyCreateMessageResult", AnyCreateMessageResult, _chooser(CreateMessageResult, mrtr=False, legacy_task="model", ext_task=False))
register_union("AnyElicitResult", AnyElicitResult, _chooser(ElicitResult, mrtr=False, legacy_task="action", ext_task=False))
