"""The task record: one immutable snapshot of a task's state.

Records are copy-on-write: a store never mutates a record it has handed out;
every change makes a new one with :meth:`TaskRecord.replace` and ``version + 1``.
So a record returned by ``get`` is a consistent snapshot that can be read,
rendered and sent without any lock, and listeners can drop stale snapshots by
comparing ``version``.

Times: ``created_at``/``last_updated_at`` are wall-clock seconds
(``time.time()``), rendered as ISO-8601 UTC with a ``Z`` by :func:`iso_utc`.
``deadline`` is the store's own clock (``time.monotonic()`` for the in-memory
store): when the task expires, ``created_at + ttl_ms`` in that clock. TTL counts
from creation and is never reset by later updates.
"""

from __future__ import annotations

import time
from typing import Any, Hashable, Mapping

from .status import TERMINAL_STATUSES

__all__ = ["Owner", "TaskRecord", "iso_utc"]

#: Who a task belongs to: an authorization principal, a session id, or ``None``
#: when the server has no binding. Durable stores expect a ``str`` or ``None``.
Owner = Hashable


class TaskRecord:
    """A snapshot of one task. Treat as read-only.

    ``result`` is the original request's result object (completed, or failed by an
    ``isError`` tool result on the 2025-11-25 wire); ``error`` the JSON-RPC error
    object of a failed request. ``input_requests`` maps key -> input request
    (``{"method", "params"}``) still waiting for an answer; ``input_responses``
    maps key -> answer received but not yet taken by the work. ``seq`` orders an
    owner's tasks (store-private), ``version`` counts changes.
    """

    __slots__ = (
        "task_id", "owner", "method", "status", "status_message",
        "created_at", "last_updated_at", "ttl_ms", "poll_interval_ms", "deadline",
        "result", "error", "input_requests", "input_responses", "seq", "version",
    )

    def __init__(
        self,
        task_id: str,
        owner: Owner,
        method: str,
        status: str,
        created_at: float,
        last_updated_at: float,
        ttl_ms: int | None,
        *,
        poll_interval_ms: int | None = None,
        status_message: str | None = None,
        deadline: float | None = None,
        result: Mapping[str, Any] | None = None,
        error: Mapping[str, Any] | None = None,
        input_requests: Mapping[str, Any] | None = None,
        input_responses: Mapping[str, Any] | None = None,
        seq: int = 0,
        version: int = 1,
    ) -> None:
        self.task_id = task_id
        self.owner = owner
        self.method = method
        self.status = status
        self.status_message = status_message
        self.created_at = created_at
        self.last_updated_at = last_updated_at
        self.ttl_ms = ttl_ms
        self.poll_interval_ms = poll_interval_ms
        self.deadline = deadline
        self.result = result
        self.error = error
        self.input_requests = input_requests
        self.input_responses = input_responses
        self.seq = seq
        self.version = version

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def replace(self, **changes: Any) -> "TaskRecord":
        """A copy with ``changes`` applied (``version`` is not bumped here)."""
        new = object.__new__(TaskRecord)
        # Straight-line copies: a loop of getattr/setattr over the 16 slots costs three times as much.
        new.task_id = self.task_id
        new.owner = self.owner
        new.method = self.method
        new.status = self.status
        new.status_message = self.status_message
        new.created_at = self.created_at
        new.last_updated_at = self.last_updated_at
        new.ttl_ms = self.ttl_ms
        new.poll_interval_ms = self.poll_interval_ms
        new.deadline = self.deadline
        new.result = self.result
        new.error = self.error
        new.input_requests = self.input_requests
        new.input_responses = self.input_responses
        new.seq = self.seq
        new.version = self.version
        for name, value in changes.items():
            object.__setattr__(new, name, value)
        return new

    def __repr__(self) -> str:
        return (f"TaskRecord(task_id={self.task_id!r}, status={self.status!r}, "
                f"method={self.method!r}, version={self.version})")


# replace() copies the slots by name: it must name every one of them.
assert set(TaskRecord.replace.__code__.co_names) >= set(TaskRecord.__slots__), "TaskRecord.replace misses a slot"

_iso_cache: tuple[int, str] = (-1, "")


def iso_utc(timestamp: float) -> str:
    """``2025-11-25T10:30:00.123Z``: ISO-8601, UTC, millisecond precision."""
    global _iso_cache
    millis = int(timestamp * 1000)
    seconds, millis = divmod(millis, 1000)
    cached_seconds, prefix = _iso_cache  # one tuple read: safe without a lock
    if cached_seconds != seconds:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _iso_cache = (seconds, prefix)
    return f"{prefix}.{millis:03d}Z"
