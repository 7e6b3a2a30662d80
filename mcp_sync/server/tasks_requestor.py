"""The server as requestor: sampling and elicitation the client runs as tasks (2025-11-25).

``ctx.elicit_as_task(...)`` and ``ctx.sample_as_task(...)`` send the request
with ``task: {ttl}`` to a client that declared
``tasks.requests.elicitation.create`` / ``tasks.requests.sampling.createMessage``
(tagged with ``_meta["io.modelcontextprotocol/related-task"]`` when the
calling tool itself runs as a task) and return a :class:`ClientTask` at once: the same handle as the client's
:class:`~mcp_sync.client.tasks.Task` (``status()``, ``result()``, ``wait()``,
``watch()``, ``cancel()``), whose ``result()`` is an
:class:`~mcp_sync.server.ElicitationResult` or a
:class:`~mcp_sync.server.SamplingResult`. Its requests (``tasks/get``...) are
sent as part of the request being handled (over HTTP, on its stream while it
lasts, then on the GET stream).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

from ..client.futures import McpFuture
from ..client.tasks import RemoteTask, TaskPeer
from ..errors import CapabilityError
from ..protocol import capabilities as caps
from ..tasks.legacy import related_task_meta
from .elicitation import form, read_answer
from .sampling import SamplingResult

if TYPE_CHECKING:
    from .context import Context

__all__ = ["ClientTask", "elicit_as_task", "sample_as_task"]

R = TypeVar("R")


class _ServerPeer(TaskPeer):
    def __init__(self, ctx: "Context") -> None:
        self._session = ctx.connection.session
        self._related = ctx.request.id
        self.closed = self._session.closed

    def send(self, method: str, params: dict[str, Any], timeout: float | None,
             convert: Callable[[Any], Any]) -> Future[Any]:
        future: McpFuture[Any] = McpFuture(method)
        future.follow(self._session.request(method, params, timeout=timeout, related_id=self._related), convert)
        return future


class ClientTask(RemoteTask[R]):
    """A sampling or elicitation request the client runs as a task (see the module docstring)."""


def _task_param(ttl: int | None) -> dict[str, Any]:
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
        raise ValueError("ttl must be a non-negative number of milliseconds (or None)")
    return {} if ttl is None else {"ttl": ttl}


def _tagged(ctx: "Context", params: dict[str, Any]) -> dict[str, Any]:
    """``params`` tagged with ``_meta["io.modelcontextprotocol/related-task"]`` when ``ctx`` runs as a task.

    2025-11-25: every request associated with a task carries its id (a
    question the task's work depends on shares the task's id).
    """
    task_id = ctx.task_id
    if task_id is None:
        return params
    meta = params.get("_meta")
    return {**params, "_meta": {**(meta if isinstance(meta, Mapping) else {}), **related_task_meta(task_id)}}


def _require_task(ctx: "Context", kind: str, method: str) -> None:
    if not caps.has_capability(ctx.client_capabilities, "tasks", "requests", kind, method):
        raise CapabilityError(f"the client did not declare 'tasks.requests.{kind}.{method}', so this request "
                              f"cannot be sent as a task")


def elicit_as_task(ctx: "Context", message: str, schema: Any, *, ttl: int | None,
                   timeout: float | None) -> ClientTask[Any]:
    ctx._require_elicitation("form")
    _require_task(ctx, "elicitation", "create")
    requested, validator, tp = form(schema)
    params = _tagged(ctx, {"message": message, "requestedSchema": requested, "task": _task_param(ttl)})
    created = ctx.request.session.request("elicitation/create", params, timeout=timeout,
                                          related_id=ctx.request.id).result()
    return ClientTask(_ServerPeer(ctx), created, lambda raw: read_answer(raw, validator, tp),
                      method="elicitation/create")


def sample_as_task(ctx: "Context", params: Mapping[str, Any], *, ttl: int | None,
                   timeout: float | None) -> ClientTask[Any]:
    _require_task(ctx, "sampling", "createMessage")
    params = _tagged(ctx, {**params, "task": _task_param(ttl)})
    created = ctx.request.session.request("sampling/createMessage", params, timeout=timeout,
                                          related_id=ctx.request.id).result()
    return ClientTask(_ServerPeer(ctx), created, SamplingResult.from_wire, method="sampling/createMessage")
