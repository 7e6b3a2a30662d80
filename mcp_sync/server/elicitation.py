"""Form- and URL-mode ``elicitation/create``: building the request, reading the answer.

A form is described by a JSON Schema dict (sent as written) or by a
dataclass / TypedDict / attrs class, whose restricted schema comes from
:func:`~mcp_sync.server.schema.elicitation_schema_for` and whose instance is
what an accepted answer's ``content`` becomes.
"""

from __future__ import annotations

import functools
from typing import Any, Generic, Mapping, Optional, TypeVar

import attrs

from .schema import coerce_value, elicitation_schema_for
from .validation import compile_schema, problems

T = TypeVar("T")

ACTIONS = ("accept", "decline", "cancel")


@attrs.frozen
class ElicitationResult(Generic[T]):
    """The client's answer: ``action`` is ``"accept"``, ``"decline"`` or ``"cancel"``.

    ``content`` is the submitted form (an instance of the requested type, or
    a dict for a schema dict) when accepted in form mode, else None. ``raw``
    is the ElicitResult as received.
    """

    action: str
    content: Optional[T] = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


@functools.lru_cache(maxsize=256)
def _form_for_type(tp: Any) -> tuple[dict[str, Any], Any]:
    schema = elicitation_schema_for(tp)
    return schema, compile_schema(schema, what=f"elicitation schema of {tp!r}")


def form(schema_or_type: Any) -> tuple[dict[str, Any], Any, Any]:
    """``(requestedSchema, validator, type or None)`` for a schema dict or a model type."""
    if isinstance(schema_or_type, Mapping):
        schema = dict(schema_or_type)
        return schema, compile_schema(schema, what="elicitation schema"), None
    schema, validator = _form_for_type(schema_or_type)
    return schema, validator, schema_or_type


def read_answer(raw: Any, validator: Any = None, tp: Any = None) -> ElicitationResult[Any]:
    """Check the client's ElicitResult and convert accepted form content."""
    if not isinstance(raw, dict) or raw.get("action") not in ACTIONS:
        raise ValueError(f"the client sent an invalid elicitation result: {raw!r}")
    action = raw["action"]
    content = raw.get("content")
    if action != "accept" or validator is None:
        return ElicitationResult(action, content if action == "accept" else None, raw)
    if not isinstance(content, dict):
        raise ValueError("the client accepted the elicitation but sent no form content")
    wrong = problems(validator, content)
    if wrong:
        raise ValueError("the client's elicitation answer does not match the requested schema: " + "; ".join(wrong))
    return ElicitationResult(action, coerce_value(tp, content) if tp is not None else content, raw)
