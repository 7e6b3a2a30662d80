"""Tasks: the task table and both task wires (2025-11-25 core and the 2026-07-28 extension).

* :class:`TaskRecord` (:mod:`.model`): an immutable snapshot of one task.
* :mod:`.status`: the five statuses and the legal transitions.
* :class:`TaskStore` (:mod:`.store`): the storage-agnostic table interface;
  :class:`InMemoryTaskStore` (:mod:`.memory`) is the default;
  :class:`SQLiteTaskStore` (:mod:`.sqlite`, durable on one host) and
  :class:`RedisTaskStore` (:mod:`.redis_store`, shared by several workers; needs
  the ``redis`` extra) are imported on first use.
* :class:`TaskLimits` (:mod:`.limits`): capacity, TTL and paging limits.
* :class:`TaskRunner` (:mod:`.runner`): runs task work on an executor.
* :mod:`.legacy` and :mod:`.extension`: the two wire adapters (plain dicts in and out).
"""

from __future__ import annotations

from typing import Any

from . import extension, legacy
from .errors import (
    InvalidCursor,
    InvalidTransition,
    TaskCancelled,
    TaskLimitError,
    TaskNotFound,
    TaskStoreClosed,
    TaskWaitCancelled,
    TaskWaitTimeout,
)
from .ids import new_task_id
from .limits import TaskLimits
from .memory import InMemoryTaskStore
from .model import TaskRecord, iso_utc
from .runner import TaskContext, TaskRunner
from ..signals import Signal
from .status import (
    CANCELLED,
    COMPLETED,
    EXTENSION_WIRE,
    FAILED,
    INPUT_REQUIRED,
    LEGACY_WIRE,
    TERMINAL_STATUSES,
    WORKING,
)
from .store import ANY_OWNER, TaskEvent, TaskPage, TaskStore

__all__ = [
    "ANY_OWNER",
    "CANCELLED",
    "COMPLETED",
    "EXTENSION_WIRE",
    "FAILED",
    "INPUT_REQUIRED",
    "InMemoryTaskStore",
    "InvalidCursor",
    "InvalidTransition",
    "LEGACY_WIRE",
    "RedisTaskStore",
    "SQLiteTaskStore",
    "Signal",
    "TERMINAL_STATUSES",
    "TaskCancelled",
    "TaskContext",
    "TaskEvent",
    "TaskLimitError",
    "TaskLimits",
    "TaskNotFound",
    "TaskPage",
    "TaskRecord",
    "TaskRunner",
    "TaskStore",
    "TaskStoreClosed",
    "TaskWaitCancelled",
    "TaskWaitTimeout",
    "WORKING",
    "extension",
    "iso_utc",
    "legacy",
    "new_task_id",
]

#: Stores imported on first use (the Redis one needs the optional ``redis`` package
#: only when constructed).
_LAZY = {"SQLiteTaskStore": ".sqlite", "RedisTaskStore": ".redis_store"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
