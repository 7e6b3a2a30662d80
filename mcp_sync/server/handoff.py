"""Tools whose task work is handed to a system outside this server process (a Celery worker...).

A tool's function may carry a *hand-off* (the attribute named
:data:`HANDOFF_ATTRIBUTE`, a callable taking a :class:`TaskHandoff`). A
task-augmented call of such a tool (2025-11-25 ``task`` parameter, or a
2026-07-28 request declaring the tasks extension) then does not run the
function on the server's task executor: the server creates the task with
:meth:`~mcp_sync.tasks.TaskStore.create_detached` (not tied to this process, so
it outlives it on a shared store), and calls ``handoff(TaskHandoff)``, which
must start the work elsewhere and return. From then on whatever runs the work
records its status, status message and outcome in the task table
(:meth:`TaskHandoff.finish` or the store's own methods), from any process
sharing the table; ``tasks/cancel`` only changes the table, so the hand-off
watches it (``store.add_listener``) to stop the work. A hand-off that raises
deletes the task: an :class:`~mcp_sync.errors.McpError` is the call's error,
anything else a -32603.

:mod:`mcp_sync.integrations.celery` is the hand-off for Celery tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..session import progress_params
from ..tasks import legacy
from ..tasks.errors import InvalidTransition, TaskNotFound
from ..tasks.model import TaskRecord
from ..tasks.status import CANCELLED, EXTENSION_WIRE, outcome_status
from ..tasks.store import KEEP, TaskStore
from .results import error_result
from .tools import adapt

if TYPE_CHECKING:
    from .server import Server
    from .tools import ToolDef

__all__ = ["HANDOFF_ATTRIBUTE", "TaskHandoff", "finish_task", "handoff_of", "tool_outcome"]

#: The attribute of a tool function that holds its hand-off.
HANDOFF_ATTRIBUTE = "mcp_sync_task_handoff"


def handoff_of(fn: Any) -> Callable[["TaskHandoff"], None] | None:
    """The hand-off of a tool function, or None for an ordinary tool."""
    handoff = getattr(fn, HANDOFF_ATTRIBUTE, None)
    return handoff if callable(handoff) else None


def tool_outcome(server: "Server", tool: "ToolDef", value: Any, *, wire: str,
                 protocol_version: str | None) -> dict[str, Any]:
    """The task result object of ``tool`` for the function's return ``value``, on ``wire``.

    The same conversion as an in-process call (structured content, ``outputSchema``
    check, adapted to the request's protocol revision; ``resultType`` on the
    extension wire). A value that cannot be converted gives an ``isError`` result.
    """
    try:
        result = tool.result(value)
    except Exception as exc:
        result = server.error_result(exc, f"the result of tool {tool.name!r}")
    return _finalize(adapt(result, protocol_version), wire)


def _finalize(result: dict[str, Any], wire: str) -> dict[str, Any]:
    if wire == EXTENSION_WIRE:
        from ..protocol import modern as mp
        return mp.with_result_type(result)
    return result


class TaskHandoff:
    """One task-augmented call handed off: the task, the call, and where progress goes.

    ``arguments`` are the call's raw arguments (validate them with
    :meth:`check_arguments`); ``wire`` is :data:`~mcp_sync.tasks.LEGACY_WIRE`
    or :data:`~mcp_sync.tasks.EXTENSION_WIRE`; ``protocol_version`` the
    request's revision (results are adapted to it).
    """

    __slots__ = ("server", "tool", "arguments", "record", "store", "wire", "protocol_version",
                 "_progress_token", "_notify")

    def __init__(self, server: "Server", tool: "ToolDef", arguments: Mapping[str, Any], record: TaskRecord,
                 store: TaskStore, *, wire: str, protocol_version: str | None,
                 progress_token: str | int | None = None,
                 notify: Callable[[str, dict[str, Any]], bool] | None = None) -> None:
        self.server = server
        self.tool = tool
        self.arguments = dict(arguments)
        self.record = record
        self.store = store
        self.wire = wire
        self.protocol_version = protocol_version
        self._progress_token = progress_token
        self._notify = notify

    @property
    def task_id(self) -> str:
        return self.record.task_id

    def __repr__(self) -> str:
        return f"<TaskHandoff tool={self.tool.name!r} task={self.task_id!r}>"

    def check_arguments(self) -> dict[str, Any] | None:
        """The converted keyword arguments, or None after failing the task with the same
        ``isError`` result an in-process call gives for invalid arguments."""
        from .validation import problems

        tool = self.tool
        wrong = problems(tool.validator, self.arguments)
        if wrong:
            self.finish(self.adapt(error_result(f"Invalid arguments for tool '{tool.name}': "
                                                + "; ".join(wrong))))
            return None
        try:
            return tool.coerce(self.arguments)
        except ValueError as exc:
            self.finish(self.adapt(error_result(f"Invalid arguments for tool '{tool.name}': {exc}")))
            return None

    def adapt(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """A ``CallToolResult`` as this call's wire and revision carry it."""
        return _finalize(adapt(dict(result), self.protocol_version), self.wire)

    def outcome(self, value: Any) -> dict[str, Any]:
        """The task result for the tool function's return ``value`` (see :func:`tool_outcome`)."""
        return tool_outcome(self.server, self.tool, value, wire=self.wire, protocol_version=self.protocol_version)

    @property
    def reports_progress(self) -> bool:
        """Whether :meth:`report_progress` can reach the requestor (2025-11-25, with a progress token)."""
        return self._notify is not None and self._progress_token is not None

    def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> bool:
        """``notifications/progress`` with the call's token, tagged with the task; False when it cannot go."""
        if not self.reports_progress:
            return False
        params = progress_params(self._progress_token, progress, total, message)  # type: ignore[arg-type]
        params["_meta"] = legacy.related_task_meta(self.task_id)
        return self._notify("notifications/progress", params)  # type: ignore[misc]

    def finish(self, result: Mapping[str, Any] | None = None, *, error: Mapping[str, Any] | None = None,
               status_message: Any = KEEP) -> bool:
        """Record the task's outcome (a result object of the wire, or a JSON-RPC error); False if
        the task was already terminal or gone."""
        return finish_task(self.store, self.task_id, self.wire, result, error, status_message)


def finish_task(store: TaskStore, task_id: str, wire: str, result: Mapping[str, Any] | None,
                error: Mapping[str, Any] | None, status_message: Any = KEEP) -> bool:
    """``store.set_result`` with the wire's status rule (``result`` as the wire carries it: see
    :meth:`TaskHandoff.adapt`); False if the task was already terminal, cancelled or gone."""
    try:
        record = store.set_result(task_id, outcome_status(result, error, wire=wire), result=result, error=error,
                                  status_message=status_message)
    except (TaskNotFound, InvalidTransition):
        return False
    return record.status != CANCELLED
