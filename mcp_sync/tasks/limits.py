"""Limits a task table enforces, and how a requested TTL becomes the real one."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import INVALID_PARAMS, McpError
from .errors import TaskLimitError

__all__ = ["TaskLimits"]


@dataclass(frozen=True)
class TaskLimits:
    """Receiver-side limits (``None`` disables a limit).

    * ``max_tasks``: tasks retained in the table, any status. Exceeded:
      :class:`~mcp_sync.tasks.errors.TaskLimitError` -32603 "Task table full ...".
    * ``max_active_per_owner``: unfinished (working/input_required) tasks per
      owner. Exceeded: ``TaskLimitError`` -32600 "Too many active tasks ...".
    * ``default_ttl_ms``: retention when the requestor asked for none (``None`` =
      unlimited).
    * ``max_ttl_ms``: requested (and default) TTLs are capped to this; the capped
      value is what the task reports. ``min_ttl_ms`` raises tiny requests.
    * ``poll_interval_ms``: suggested polling interval reported on tasks.
    * ``page_size``: tasks per ``tasks/list`` page.
    * ``task_timeout_ms``: the default execution time limit of task work (a
      tool's ``task_timeout`` replaces it; ``None`` = no limit). Past it the
      work is cancelled and the task ends ``failed`` with a "Task timed out"
      error, kept until the TTL.
    """

    max_tasks: int | None = 100_000
    max_active_per_owner: int | None = 1_000
    default_ttl_ms: int | None = 300_000
    max_ttl_ms: int | None = 3_600_000
    min_ttl_ms: int = 1_000
    poll_interval_ms: int | None = 1_000
    page_size: int = 100
    task_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_tasks", "max_active_per_owner", "default_ttl_ms", "max_ttl_ms",
                     "poll_interval_ms", "task_timeout_ms"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 0):
                raise ValueError(f"TaskLimits.{name} must be a non-negative int or None")
        if not _is_int(self.min_ttl_ms) or self.min_ttl_ms < 0:
            raise ValueError("TaskLimits.min_ttl_ms must be a non-negative int")
        if not _is_int(self.page_size) or self.page_size < 1:
            raise ValueError("TaskLimits.page_size must be a positive int")
        if self.task_timeout_ms == 0:
            raise ValueError("TaskLimits.task_timeout_ms must be positive (or None for no limit)")

    def task_time_limit(self, tool_timeout: float | None = None) -> float | None:
        """The execution time limit (seconds) of task work: the tool's own, else ``task_timeout_ms``."""
        if tool_timeout is not None:
            return tool_timeout
        return None if self.task_timeout_ms is None else self.task_timeout_ms / 1000.0

    def resolve_ttl(self, requested: int | None) -> int | None:
        """The TTL a task gets: the request (or the default), raised to ``min_ttl_ms``
        and capped to ``max_ttl_ms``. ``None`` = unlimited.

        A requested TTL that is not a non-negative integer raises -32602.
        """
        if requested is None:
            ttl = self.default_ttl_ms
        elif not _is_int(requested) or requested < 0:
            raise McpError(INVALID_PARAMS,
                           "Invalid task ttl: expected a non-negative integer (milliseconds)")
        else:
            ttl = max(requested, self.min_ttl_ms)
        if self.max_ttl_ms is not None and (ttl is None or ttl > self.max_ttl_ms):
            ttl = self.max_ttl_ms
        return ttl

    def check_capacity(self, retained: int, owner_active: int) -> None:
        """Raise :class:`TaskLimitError` if one more task would exceed a limit."""
        if self.max_tasks is not None and retained >= self.max_tasks:
            raise TaskLimitError.table_full(self.max_tasks)
        if self.max_active_per_owner is not None and owner_active >= self.max_active_per_owner:
            raise TaskLimitError.too_many_active(self.max_active_per_owner)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
