"""Tasks of 2026-07-28: the ``io.modelcontextprotocol/tasks`` extension (SEP-2663).

Not wire-compatible with 2025-11-25 tasks (:mod:`.tasks`), hence the ``Ext``
prefix on names that exist in both.  The server may answer ``tools/call`` with
:class:`ExtCreateTaskResult` (flat, ``resultType: "task"``); the client polls
``tasks/get`` (:class:`ExtGetTaskResult`, the final result inlined), answers
input requests with ``tasks/update`` and cancels with ``tasks/cancel``.  Both
of the latter answer an empty ``EmptyResult`` (``resultType: "complete"``);
``tasks/get``/``tasks/cancel`` params are ``GetTaskRequestParams`` /
``CancelTaskRequestParams`` (same wire shape as in 2025-11-25).
"""

from typing import Any

from .base import WireType, wire
from .common import JsonRpcError
from .modern import InputRequests, InputResponses
from .tasks import TaskStatus

#: Extension id, for ``capabilities.extensions`` on both sides.
TASKS_EXTENSION_ID = "io.modelcontextprotocol/tasks"


@wire
class ExtTask(WireType):
    task_id: str
    status: TaskStatus
    status_message: str | None = None
    created_at: str  # ISO 8601
    last_updated_at: str  # ISO 8601
    #: Retention in ms from creation; required, ``None`` (``null``) = unlimited.
    ttl_ms: int | None
    poll_interval_ms: int | None = None


@wire
class ExtCreateTaskResult(ExtTask):
    """``tools/call`` answered with a task handle."""

    result_type: str = "task"
    meta: dict[str, Any] | None = None


_DETAIL_FOR_STATUS = {"input_required": "input_requests", "completed": "result", "failed": "error"}


@wire
class ExtDetailedTask(ExtTask):
    """A task with its status-specific member (schema ``DetailedTask`` variants).

    ``input_required`` carries ``input_requests``, ``completed`` the original
    request's ``result`` (a raw result object; read it with ``from_wire``),
    ``failed`` the JSON-RPC ``error``; the other statuses carry none.
    """

    input_requests: InputRequests | None = None
    result: dict[str, Any] | None = None
    error: JsonRpcError | None = None

    def __attrs_post_init__(self) -> None:
        needed = _DETAIL_FOR_STATUS.get(self.status)
        if needed is not None and getattr(self, needed) is None:
            wire_name = "inputRequests" if needed == "input_requests" else needed
            raise ValueError(f"a {self.status!r} task requires {wire_name!r}")


@wire
class ExtGetTaskResult(ExtDetailedTask):
    """``tasks/get`` result."""

    result_type: str = "complete"
    meta: dict[str, Any] | None = None


@wire
class ExtTaskNotificationParams(ExtDetailedTask):
    """``notifications/tasks`` params (only on a ``subscriptions/listen`` stream)."""

    meta: dict[str, Any] | None = None


@wire
class ExtUpdateTaskRequestParams(WireType):
    """``tasks/update``: answers to some or all outstanding ``inputRequests``."""

    task_id: str
    input_responses: InputResponses
    meta: dict[str, Any] | None = None
