"""The rules every task store applies to a change: which records a write turns ``old`` into.

Pure functions of the old :class:`~mcp_sync.tasks.model.TaskRecord` and the
request, so the in-memory, SQLite and Redis stores enforce the same transitions
(:func:`~mcp_sync.tasks.status.check_transition`), the same outcome checks and
the same input bookkeeping; each store only adds its own locking and storage.
"""

from __future__ import annotations

from collections import abc as _abc
from typing import Any, Mapping

from .model import TaskRecord
from .status import CANCELLED, COMPLETED, FAILED, INPUT_REQUIRED, WORKING, check_transition
from .store import KEEP

__all__ = ["check_outcome", "check_update_status", "is_mapping", "plan_cancel", "plan_input", "plan_result",
           "plan_status"]


def is_mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``, without typing's generic-alias detour for the usual dict."""
    return type(value) is dict or isinstance(value, _abc.Mapping)


def check_update_status(status: str) -> None:
    if status != WORKING and status != INPUT_REQUIRED:
        raise ValueError(f"update_status() moves tasks to 'working' or 'input_required', "
                         f"not {status!r}: use set_result() or cancel()")


def check_outcome(status: str, result: Mapping[str, Any] | None,
                   error: Mapping[str, Any] | None) -> None:
    if status == COMPLETED:
        if not is_mapping(result) or error is not None:
            raise ValueError("a completed task needs a result object and no error")
    elif status == FAILED:
        if error is not None:
            if (not is_mapping(error) or not isinstance(error.get("code"), int)
                    or isinstance(error.get("code"), bool)
                    or not isinstance(error.get("message"), str)):
                raise ValueError("error must be a JSON-RPC error object {code: int, message: str}")
        elif not is_mapping(result):
            raise ValueError("a failed task needs an error (or an isError result)")
    else:
        raise ValueError(f"set_result() finishes tasks as 'completed' or 'failed', not {status!r}")


def plan_status(old: TaskRecord, status: str, status_message: Any, input_requests: Any,
                 now: float) -> TaskRecord:
    """The record ``update_status`` makes of ``old`` (every store applies these rules)."""
    if old.status != status:
        check_transition(old.status, status)
    changes: dict[str, Any] = {"status": status, "last_updated_at": now,
                               "version": old.version + 1}
    if status_message is not KEEP:
        changes["status_message"] = status_message
    if status == INPUT_REQUIRED:
        if input_requests is not KEEP:
            changes["input_requests"] = dict(input_requests or {})
        elif old.input_requests is None:
            changes["input_requests"] = {}
    else:
        changes["input_requests"] = None
        changes["input_responses"] = None
    return old.replace(**changes)


def plan_result(old: TaskRecord, status: str, result: Mapping[str, Any] | None,
                 error: Mapping[str, Any] | None, status_message: Any,
                 now: float) -> TaskRecord | None:
    """The finished record, or ``None`` when ``old`` is cancelled (outcome dropped)."""
    if old.status == CANCELLED:
        return None
    check_transition(old.status, status)
    changes: dict[str, Any] = {
        "status": status, "result": result, "error": error, "last_updated_at": now,
        "version": old.version + 1, "input_requests": None, "input_responses": None,
    }
    if status_message is not KEEP:
        changes["status_message"] = status_message
    return old.replace(**changes)


def plan_cancel(old: TaskRecord, status_message: str | None, now: float) -> TaskRecord:
    check_transition(old.status, CANCELLED)
    return old.replace(status=CANCELLED, status_message=status_message, last_updated_at=now,
                       version=old.version + 1, input_requests=None, input_responses=None)


def plan_input(old: TaskRecord, responses: Mapping[str, Any],
                now: float) -> tuple[TaskRecord | None, list[str]]:
    """The record with ``responses`` recorded and the accepted keys (``None``, [] if none)."""
    pending = old.input_requests
    if old.status != INPUT_REQUIRED or not pending:
        return None, []
    accepted = [key for key in responses if isinstance(key, str) and key in pending]
    if not accepted:
        return None, []
    answered = dict(old.input_responses or {})
    for key in accepted:
        answered[key] = responses[key]
    new = old.replace(input_requests={k: v for k, v in pending.items() if k not in answered},
                      input_responses=answered, last_updated_at=now, version=old.version + 1)
    return new, accepted
