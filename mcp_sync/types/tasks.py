"""Tasks of 2025-11-25 (experimental core feature, SEP-1686).

Not wire-compatible with the 2026 extension (see :mod:`.tasks_ext`).  Requests
are task-augmented with ``task: TaskMetadata``; the receiver answers
:class:`CreateTaskResult` (a ``task`` wrapper) and the requestor polls
``tasks/get``, fetches the payload with ``tasks/result`` (which answers the
original request's result type, so it has no class here), lists with
``tasks/list`` and cancels with ``tasks/cancel``.
"""

from typing import Any, Literal

from .base import WireType, wire

TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]
TERMINAL_TASK_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


@wire
class TaskMetadata(WireType):
    """``task`` param of a task-augmented request: requested retention in ms."""

    ttl: int | None = None


@wire
class Task(WireType):
    task_id: str
    status: TaskStatus
    status_message: str | None = None
    created_at: str  # ISO 8601
    last_updated_at: str  # ISO 8601
    #: Actual retention in ms from creation; required, ``None`` (``null``) = unlimited.
    ttl: int | None
    poll_interval: int | None = None


@wire
class CreateTaskResult(WireType):
    """Immediate answer to a task-augmented request."""

    task: Task
    meta: dict[str, Any] | None = None


@wire
class RelatedTaskMetadata(WireType):
    """Value of ``_meta["io.modelcontextprotocol/related-task"]``."""

    task_id: str


@wire
class GetTaskRequestParams(WireType):
    """``tasks/get`` params (also used by the 2026 tasks extension)."""

    task_id: str
    meta: dict[str, Any] | None = None


@wire
class GetTaskPayloadRequestParams(WireType):
    """``tasks/result`` params."""

    task_id: str
    meta: dict[str, Any] | None = None


@wire
class CancelTaskRequestParams(WireType):
    """``tasks/cancel`` params (also used by the 2026 tasks extension)."""

    task_id: str
    meta: dict[str, Any] | None = None


@wire
class GetTaskResult(Task):
    """``tasks/get`` result: the task's fields, flat."""

    meta: dict[str, Any] | None = None


@wire
class CancelTaskResult(Task):
    """``tasks/cancel`` result: the task's fields, flat."""

    meta: dict[str, Any] | None = None


@wire
class ListTasksResult(WireType):
    tasks: list[Task]
    next_cursor: str | None = None
    meta: dict[str, Any] | None = None


@wire
class TaskStatusNotificationParams(Task):
    """``notifications/tasks/status`` params: the task's fields, flat."""

    meta: dict[str, Any] | None = None
