"""The 2025-11-25 tasks wire (SEP-1686): pure functions over a store and an owner.

Each handler takes the :class:`~mcp_sync.tasks.store.TaskStore`, the caller's
owner (its authorization context; ``None`` when unbound) and the request's
``params``, and returns the wire ``result`` dict or raises
:class:`~mcp_sync.errors.McpError`:

* ``tasks/get`` -> flat ``Task`` (``Result & Task``).
* ``tasks/result`` -> blocks until the task is terminal, then returns the original
  result with ``_meta["io.modelcontextprotocol/related-task"]`` (also for a tool
  result with ``isError: true``, which made the task ``failed``), or raises the
  original JSON-RPC error. A cancelled task has no result: -32602.
* ``tasks/list`` -> ``{tasks, nextCursor?}``; a bad cursor is -32602.
* ``tasks/cancel`` -> the ``cancelled`` Task, committed before returning; a terminal
  task is -32602 "Cannot cancel task: already in terminal status '<status>'".

Unknown, expired and other owners' ids all give -32602 "Task not found".
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import INVALID_PARAMS, McpError
from .errors import InvalidTransition
from .model import Owner, TaskRecord, iso_utc
from .status import CANCELLED, FAILED, is_terminal
from .store import TaskStore

__all__ = [
    "MODEL_IMMEDIATE_RESPONSE_META",
    "RELATED_TASK_META",
    "cancel_task",
    "create_task_result",
    "get_task",
    "get_task_result",
    "input_request_messages",
    "is_task_augmented",
    "list_tasks",
    "related_task_meta",
    "requested_ttl",
    "status_notification_params",
    "task_to_wire",
]

RELATED_TASK_META = "io.modelcontextprotocol/related-task"
MODEL_IMMEDIATE_RESPONSE_META = "io.modelcontextprotocol/model-immediate-response"


# -- rendering ---------------------------------------------------------------

def task_to_wire(record: TaskRecord) -> dict[str, Any]:
    """The 2025-11-25 ``Task`` object."""
    task: dict[str, Any] = {
        "taskId": record.task_id,
        "status": record.status,
        "createdAt": iso_utc(record.created_at),
        "lastUpdatedAt": iso_utc(record.last_updated_at),
        "ttl": record.ttl_ms,
    }
    if record.status_message is not None:
        task["statusMessage"] = record.status_message
    if record.poll_interval_ms is not None:
        task["pollInterval"] = record.poll_interval_ms
    return task


def create_task_result(record: TaskRecord,
                       model_immediate_response: str | None = None) -> dict[str, Any]:
    """``CreateTaskResult``: the immediate answer to a task-augmented request."""
    result: dict[str, Any] = {"task": task_to_wire(record)}
    if model_immediate_response is not None:
        result["_meta"] = {MODEL_IMMEDIATE_RESPONSE_META: model_immediate_response}
    return result


def status_notification_params(record: TaskRecord) -> dict[str, Any]:
    """Params of ``notifications/tasks/status`` (all Task fields, flat)."""
    return task_to_wire(record)


def related_task_meta(task_id: str) -> dict[str, Any]:
    """``{"io.modelcontextprotocol/related-task": {"taskId": ...}}`` for a ``_meta``."""
    return {RELATED_TASK_META: {"taskId": task_id}}


def input_request_messages(record: TaskRecord) -> list[tuple[str, str, dict[str, Any]]]:
    """The outstanding input requests as ``(key, method, params)`` to send to the
    requestor, ``params._meta`` tagged with the related task. The server relays each
    answer with ``store.submit_input(task_id, owner, {key: result})``."""
    messages = []
    for key, request in (record.input_requests or {}).items():
        params = dict(request.get("params") or {})
        meta = dict(params.get("_meta") or {})
        meta[RELATED_TASK_META] = {"taskId": record.task_id}
        params["_meta"] = meta
        messages.append((key, request["method"], params))
    return messages


# -- request parsing -----------------------------------------------------------

def is_task_augmented(params: Mapping[str, Any] | None) -> bool:
    """True when a request carries a ``task`` field (then see :func:`requested_ttl`)."""
    return isinstance(params, Mapping) and params.get("task") is not None


def requested_ttl(params: Mapping[str, Any] | None) -> int | None:
    """The ``task.ttl`` a task-augmented request asked for (``None`` if none).

    Raises -32602 when ``task`` is not an object or ``ttl`` not an integer.
    """
    task = (params or {}).get("task")
    if not isinstance(task, Mapping):
        raise McpError(INVALID_PARAMS, "Invalid params: 'task' must be an object")
    ttl = task.get("ttl")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
        raise McpError(INVALID_PARAMS,
                       "Invalid params: 'task.ttl' must be a non-negative integer (milliseconds)")
    return ttl


def _task_id(params: Mapping[str, Any] | None) -> str:
    task_id = params.get("taskId") if isinstance(params, Mapping) else None
    if not isinstance(task_id, str):
        raise McpError(INVALID_PARAMS, "Invalid params: 'taskId' must be a string")
    return task_id


# -- handlers ----------------------------------------------------------------

def get_task(store: TaskStore, owner: Owner, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``tasks/get``."""
    return task_to_wire(store.get(_task_id(params), owner))


def get_task_result(store: TaskStore, owner: Owner, params: Mapping[str, Any] | None, *,
                    timeout: float | None = None, cancel: Any = None) -> dict[str, Any]:
    """``tasks/result``: block until terminal, then the original outcome.

    ``timeout``/``cancel`` bound the wait (see ``TaskStore.wait_for``); they raise
    ``TaskWaitTimeout``/``TaskWaitCancelled``, which are local, not wire errors.
    """
    task_id = _task_id(params)
    record = store.wait_terminal(task_id, owner, timeout=timeout, cancel=cancel)
    if record.status == CANCELLED:
        raise McpError(INVALID_PARAMS, "Task was cancelled: it has no result")
    if record.status == FAILED and record.error is not None:
        error = record.error
        raise McpError(error["code"], error["message"], error.get("data"))
    result = dict(record.result or {})
    meta = result.get("_meta")
    result["_meta"] = {**(meta if isinstance(meta, Mapping) else {}),
                       RELATED_TASK_META: {"taskId": task_id}}
    return result


def list_tasks(store: TaskStore, owner: Owner,
               params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``tasks/list``: one page of the caller's tasks, oldest first."""
    cursor = params.get("cursor") if isinstance(params, Mapping) else None
    page = store.list_page(owner, cursor)
    result: dict[str, Any] = {"tasks": [task_to_wire(r) for r in page.tasks]}
    if page.next_cursor is not None:
        result["nextCursor"] = page.next_cursor
    return result


def cancel_task(store: TaskStore, owner: Owner,
                params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``tasks/cancel``: the task is ``cancelled`` in the store before this returns."""
    task_id = _task_id(params)
    try:
        record = store.cancel(task_id, owner, status_message="The task was cancelled by request")
    except InvalidTransition as exc:
        if is_terminal(exc.current):
            raise McpError(INVALID_PARAMS, "Cannot cancel task: already in terminal status "
                                           f"'{exc.current}'") from None
        raise
    return task_to_wire(record)
