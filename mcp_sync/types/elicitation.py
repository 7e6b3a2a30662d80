"""Elicitation (``elicitation/create``): form and URL params, and the user's answer.

The restricted property schemas of ``requestedSchema`` are kept as plain dicts.
"""

from typing import Any, Literal, Union

from .base import WireType, by_key, register_union, wire
from .tasks import TaskMetadata

ElicitAction = Literal["accept", "decline", "cancel"]


@wire
class ElicitRequestFormParams(WireType):
    """Form mode; ``mode`` may be absent (absent means form)."""

    mode: Literal["form"] | None = None
    message: str
    requested_schema: dict[str, Any]
    task: TaskMetadata | None = None  # 2025-11-25 task augmentation
    meta: dict[str, Any] | None = None


@wire
class ElicitRequestURLParams(WireType):
    """URL mode (2025-11-25 and later)."""

    mode: Literal["url"] = "url"
    message: str
    url: str
    #: Required in 2025-11-25; removed in 2026-07-28.
    elicitation_id: str | None = None
    task: TaskMetadata | None = None  # 2025-11-25 task augmentation
    meta: dict[str, Any] | None = None


#: Elicitation params, told apart by ``mode`` (absent = form).
ElicitRequestParams = Union[ElicitRequestFormParams, ElicitRequestURLParams]

register_union("ElicitRequestParams", ElicitRequestParams,
    by_key(
        "mode",
        {"form": ElicitRequestFormParams, "url": ElicitRequestURLParams},
        what="elicitation",
        when_absent=ElicitRequestFormParams,
    ),
)


@wire
class ElicitResult(WireType):
    action: ElicitAction
    #: Submitted form values (string, number, boolean or list of strings).
    content: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
