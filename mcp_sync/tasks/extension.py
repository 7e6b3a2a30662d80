"""The 2026-07-28 tasks extension wire (``io.modelcontextprotocol/tasks``, SEP-2663).

Pure functions over a store and an owner, like :mod:`~mcp_sync.tasks.legacy`:

* a task handle is a flat ``CreateTaskResult``: ``{resultType: "task", taskId,
  status, createdAt, lastUpdatedAt, ttlMs, pollIntervalMs?, statusMessage?}``;
* ``tasks/get`` -> ``DetailedTask`` with ``resultType: "complete"``, inlining
  ``result`` (completed), ``error`` (failed) or ``inputRequests`` (input_required);
  there is no ``tasks/result`` and no blocking;
* ``tasks/update`` records ``inputResponses`` for outstanding keys (others are
  ignored) -> ``{resultType: "complete"}``;
* ``tasks/cancel`` -> ``{resultType: "complete"}``; cancelling a finished task is
  acknowledged too (cancellation is cooperative and eventually consistent);
* ``notifications/tasks`` params are a full ``DetailedTask``.

A tool result with ``isError: true`` completes the task (the runner's
``wire=EXTENSION_WIRE``). Unknown, expired and other owners' ids are -32602
"Task not found".
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, McpError
from .errors import InvalidTransition
from .legacy import MODEL_IMMEDIATE_RESPONSE_META
from .model import Owner, TaskRecord, iso_utc
from .status import COMPLETED, FAILED, INPUT_REQUIRED
from .store import TaskStore

__all__ = [
    "EXTENSION_ID",
    "LOGS_META",
    "PROGRESS_KEPT",
    "PROGRESS_META",
    "cancel_task",
    "create_task_result",
    "detailed_task",
    "get_task",
    "task_notification_params",
    "task_to_wire",
    "update_task",
]

EXTENSION_ID = "io.modelcontextprotocol/tasks"
#: ``_meta`` key under which an mcp_sync server carries a task's progress on ``tasks/get`` (the extension has
#: no progress notifications for tasks): ``{"count": n, "recent": [{"progress", "total"?, "message"?}, ...]}``,
#: ``count`` reports so far and ``recent`` the last of them (at most :data:`PROGRESS_KEPT`).
PROGRESS_META = "dev.mcp-sync/progress"
#: ``_meta`` key under which an mcp_sync server carries a task's log messages on ``tasks/get``, in the same
#: shape: ``{"count": n, "recent": [<notifications/message params>, ...]}``.
LOGS_META = "dev.mcp-sync/logs"
#: How many of a task's latest progress reports (and log messages) ``tasks/get`` carries.
PROGRESS_KEPT = 64

_COMPLETE = "complete"


def task_to_wire(record: TaskRecord) -> dict[str, Any]:
    """The extension's ``Task`` object."""
    task: dict[str, Any] = {
        "taskId": record.task_id,
        "status": record.status,
        "createdAt": iso_utc(record.created_at),
        "lastUpdatedAt": iso_utc(record.last_updated_at),
        "ttlMs": record.ttl_ms,
    }
    if record.status_message is not None:
        task["statusMessage"] = record.status_message
    if record.poll_interval_ms is not None:
        task["pollIntervalMs"] = record.poll_interval_ms
    return task


def detailed_task(record: TaskRecord) -> dict[str, Any]:
    """``DetailedTask``: the Task plus what its status carries."""
    task = task_to_wire(record)
    status = record.status
    if status == INPUT_REQUIRED:
        task["inputRequests"] = dict(record.input_requests or {})
    elif status == COMPLETED:
        task["result"] = dict(record.result or {})
    elif status == FAILED:
        if record.error is not None:
            task["error"] = dict(record.error)
        else:  # only a 2025-11-25 isError failure has no error object
            task["error"] = {"code": INTERNAL_ERROR,
                             "message": record.status_message or "The task failed"}
    return task


def create_task_result(record: TaskRecord, model_immediate_response: str | None = None) -> dict[str, Any]:
    """The task handle returned in place of the request's result.

    ``model_immediate_response`` goes in ``_meta["io.modelcontextprotocol/model-immediate-response"]``,
    as on the 2025-11-25 wire (a ``Result`` may carry any ``_meta``).
    """
    result = task_to_wire(record)
    result["resultType"] = "task"
    if model_immediate_response is not None:
        result["_meta"] = {MODEL_IMMEDIATE_RESPONSE_META: model_immediate_response}
    return result


def task_notification_params(record: TaskRecord) -> dict[str, Any]:
    """Params of ``notifications/tasks`` (a full DetailedTask)."""
    return detailed_task(record)


def _task_id(params: Mapping[str, Any] | None) -> str:
    task_id = params.get("taskId") if isinstance(params, Mapping) else None
    if not isinstance(task_id, str):
        raise McpError(INVALID_PARAMS, "Invalid params: 'taskId' must be a string")
    return task_id


def get_task(store: TaskStore, owner: Owner, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``tasks/get``."""
    result = detailed_task(store.get(_task_id(params), owner))
    result["resultType"] = _COMPLETE
    return result


def update_task(store: TaskStore, owner: Owner,
                params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``tasks/update``: deliver ``inputResponses``; unknown or answered keys are ignored.

    An answer to an outstanding key must fit its request (an ``ElicitResult``
    for ``elicitation/create``...): -32602 otherwise, and nothing is recorded.
    """
    task_id = _task_id(params)
    responses = params.get("inputResponses") if isinstance(params, Mapping) else None
    if not isinstance(responses, Mapping):
        raise McpError(INVALID_PARAMS, "Invalid params: 'inputResponses' must be an object")
    record = store.get(task_id, owner)  # "Task not found" first
    pending = record.input_requests or {}
    if record.status == INPUT_REQUIRED and pending:
        from ..protocol.modern import response_matches

        for key, answer in responses.items():
            request = pending.get(key)
            if request is not None and not response_matches(request, answer):
                raise McpError(INVALID_PARAMS, f"Invalid params: inputResponses[{key!r}] is not a valid answer to "
                                               f"{request.get('method')}", {"key": key})
    store.submit_input(task_id, owner, responses)
    return {"resultType": _COMPLETE}


def cancel_task(store: TaskStore, owner: Owner,
                params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``tasks/cancel``: acknowledge; a finished task stays as it is."""
    task_id = _task_id(params)
    try:
        store.cancel(task_id, owner, status_message="The task was cancelled by request")
    except InvalidTransition:
        pass  # already terminal: cancellation is cooperative, the ack is still correct
    return {"resultType": _COMPLETE}
