"""Errors raised by the task table, each mapped to the JSON-RPC error a peer should see.

The wire-facing ones subclass :class:`~mcp_sync.errors.McpError`, so a server
handler can let them propagate and the session answers with exactly that error.
The waiting helpers raise plain exceptions: they describe the local caller's
situation (it stopped waiting), not something to send to a peer.
"""

from __future__ import annotations

from typing import Any

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, McpError, TaskError

__all__ = [
    "InvalidCursor",
    "InvalidTransition",
    "TaskCancelled",
    "TaskLimitError",
    "TaskNotFound",
    "TaskStoreClosed",
    "TaskWaitCancelled",
    "TaskWaitTimeout",
]


class TaskNotFound(McpError):
    """-32602 "Task not found": unknown, expired, deleted, or owned by someone else.

    The message and data are the same in every case, so a caller cannot tell
    another owner's task from a task that does not exist.
    """

    def __init__(self) -> None:
        super().__init__(INVALID_PARAMS, "Task not found")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())


class InvalidCursor(McpError):
    """-32602: a ``tasks/list`` cursor this store did not issue."""

    def __init__(self) -> None:
        super().__init__(INVALID_PARAMS, "Invalid cursor")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())


class InvalidTransition(McpError):
    """A status change the state machine forbids (-32603 unless an adapter maps it).

    ``current`` is the task's status, ``requested`` the one asked for. The legacy
    ``tasks/cancel`` adapter turns a terminal ``current`` into the -32602 the
    specification requires.
    """

    def __init__(self, current: str, requested: str) -> None:
        super().__init__(INTERNAL_ERROR,
                         f"Invalid task status transition: {current!r} -> {requested!r}")
        self.current = current
        self.requested = requested

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.current, self.requested))


class TaskLimitError(McpError):
    """A configured limit refused a new task.

    ``limit`` names the :class:`~mcp_sync.tasks.limits.TaskLimits` field and
    ``maximum`` its value; both are also in ``data``. Codes: ``max_tasks`` (the
    server's table is full) is -32603; ``max_active_per_owner`` (the requestor has
    too many unfinished tasks) is -32600.
    """

    def __init__(self, limit: str, maximum: int, message: str, code: int) -> None:
        super().__init__(code, message, {"limit": limit, "max": maximum})
        self.limit = limit
        self.maximum = maximum

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit, self.maximum, self.message, self.code))

    @classmethod
    def table_full(cls, maximum: int) -> "TaskLimitError":
        return cls("max_tasks", maximum,
                   f"Task table full: the server retains at most {maximum} tasks; try again later",
                   INTERNAL_ERROR)

    @classmethod
    def too_many_active(cls, maximum: int) -> "TaskLimitError":
        return cls("max_active_per_owner", maximum,
                   f"Too many active tasks: at most {maximum} unfinished tasks per requestor",
                   INVALID_REQUEST)


class TaskStoreClosed(McpError):
    """-32603: the store was closed (server shutting down)."""

    def __init__(self) -> None:
        super().__init__(INTERNAL_ERROR, "Task store is closed")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())


class TaskWaitTimeout(TaskError, TimeoutError):
    """A wait for a task ended because its timeout elapsed (the task is unchanged)."""


class TaskWaitCancelled(TaskError):
    """A wait for a task ended because the caller's cancel signal was set."""


class TaskCancelled(TaskError):
    """Raised inside task work: the task was cancelled, expired or deleted.

    Work may let it propagate; the runner then records nothing (a cancelled task
    stays cancelled).
    """
