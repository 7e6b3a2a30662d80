"""Task work on executors that run it somewhere else: another process, another host.

A :class:`~mcp_sync.tasks.TaskRunner` (and so ``Server(task_executor=...)``)
accepts any ``concurrent.futures.Executor``. There are two kinds:

* **In-process** executors run work on a thread of this process: any
  ``ThreadPoolExecutor`` (and subclasses), or any executor carrying the
  attribute ``mcp_sync_in_process = True``. Task work is a closure
  (:data:`~mcp_sync.tasks.runner.TaskWork`) called with a live
  :class:`~mcp_sync.tasks.TaskContext`: cancellation signal, status messages,
  input requests; a server tool gets its full :class:`~mcp_sync.server.Context`.
* **Out-of-process** executors: everything else, for example
  ``ProcessPoolExecutor`` or ``dask.distributed``'s ``client.get_executor()``
  (mark one ``mcp_sync_in_process = False`` to be explicit). What crosses to them
  must be picklable, so the work is a :class:`RemoteWork`: a function (a
  module-level function; dask's cloudpickle also takes closures), its
  arguments, and two hooks that run back in this process to turn what came back
  into the task's result. Nothing with a lock, a socket or a session crosses:
  the function gets no context, cannot report progress, ask for input or see
  the cancel signal.

What the runner guarantees for out-of-process work: the task always ends. The
function's value is converted by ``finish`` (``completed``, or ``failed`` for
an ``isError`` tool result on the 2025-11-25 wire); an
:class:`~mcp_sync.errors.McpError` raised by the function fails the task with
that error; any other exception goes to ``on_error`` (a tool: an ``isError``
result, as in-process); and a failure of the executor itself (the function or
its arguments cannot be pickled, the value cannot be sent back, the worker
process died: ``BrokenProcessPool``, dask's ``KilledWorker``, the executor
cancelled the work) fails the task with a -32603 error whose message, also
the task's ``statusMessage``, names the exception. Cancelling a task cancels
its future: work that has not started never runs; work already running keeps
running in its worker (a process cannot be interrupted safely) and its
outcome is discarded, the task stays ``cancelled``.

Outcomes are recorded by one named thread per runner
(``mcp-sync-task-results``), fed by ``Future.add_done_callback``: the
executor's own threads (a process pool's manager thread, dask's event loop)
only hand the finished future over and never wait on the task table.

:func:`call_remote` is what actually runs in the worker; ``mcp_sync`` must be
importable there (a process pool's workers always can; install it on dask
workers).
"""

from __future__ import annotations

import pickle
import traceback
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Callable, Mapping, Sequence

from ..errors import McpError

__all__ = ["RemoteError", "RemoteWork", "call_remote", "executor_failure_message", "runs_in_process"]

#: Tags of :func:`call_remote`'s outcome tuples.
OK = "ok"
MCP_ERROR = "mcp-error"
RAISED = "raised"


def runs_in_process(executor: Executor) -> bool:
    """Whether ``executor`` runs work on a thread of this process (closures and live contexts allowed).

    An explicit boolean ``executor.mcp_sync_in_process`` wins; otherwise only a
    ``ThreadPoolExecutor`` counts as in-process, and anything else is treated as
    running work elsewhere (the safe choice: that path works on threads too,
    just without a context).
    """
    flag = getattr(executor, "mcp_sync_in_process", None)
    if isinstance(flag, bool):
        return flag
    return isinstance(executor, ThreadPoolExecutor)


class RemoteError(Exception):
    """An exception the work raised in its worker, described back in this process.

    The original exception object never crosses back (it may not be
    picklable): ``type_name``, ``message`` and the worker's ``remote_traceback``
    text do. ``str()`` is the original message.
    """

    def __init__(self, type_name: str, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.remote_traceback = remote_traceback

    def describe(self) -> str:
        """``TypeName: message`` (just ``TypeName`` when the message is empty), as in-process errors read."""
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def call_remote(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Run ``fn(*args, **kwargs)`` in the worker; a picklable tagged outcome.

    ``("ok", value)``; ``("mcp-error", error_object)`` for an
    :class:`~mcp_sync.errors.McpError`; ``("raised", type_name, message,
    traceback_text)`` for any other exception. Anything this function itself
    lets escape (``SystemExit``...) or a failure to move the call or the value
    between processes reaches the future as the executor's failure instead.
    """
    try:
        return (OK, fn(*args, **kwargs))
    except McpError as exc:
        return (MCP_ERROR, exc.to_error())
    except Exception as exc:
        return (RAISED, type(exc).__name__, str(exc), traceback.format_exc())


class RemoteWork:
    """Task work for an executor that runs it in another process or host.

    ``fn(*args, **kwargs)`` runs in the worker (all three must be picklable by
    the executor). Back in this process, on the runner's results thread:
    ``finish(value)`` turns the value into the task's result object (default:
    the value itself, which must then be a mapping); ``on_error(RemoteError)``
    turns an exception the function raised (not an ``McpError``) into a result
    object (default: none, the task fails with -32603). ``what`` names the work
    in messages and logs (e.g. ``"tool 'render'"``).

    :meth:`settled` makes work whose outcome is already known (invalid tool
    arguments): nothing is sent to the executor.
    """

    __slots__ = ("fn", "args", "kwargs", "finish", "on_error", "what", "outcome")

    def __init__(self, fn: Callable[..., Any], args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
                 *, finish: Callable[[Any], Mapping[str, Any]] | None = None,
                 on_error: Callable[[RemoteError], Mapping[str, Any]] | None = None,
                 what: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"remote work needs a callable, not {type(fn).__name__}")
        self.fn = fn
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.finish = finish
        self.on_error = on_error
        self.what = what or getattr(fn, "__qualname__", None) or repr(fn)
        #: A result object known before anything runs (:meth:`settled`), else None.
        self.outcome: Mapping[str, Any] | None = None

    @classmethod
    def settled(cls, result: Mapping[str, Any], *, what: str = "task work") -> "RemoteWork":
        """Work whose result object is already known; the runner records it without the executor."""
        work = cls(_never, what=what)
        work.outcome = result
        return work

    def __repr__(self) -> str:
        return f"<RemoteWork {self.what}>"


def _never(*_args: Any, **_kwargs: Any) -> Any:  # pragma: no cover - settled work never runs
    raise RuntimeError("settled remote work is never run")


def executor_failure_message(what: str, exc: BaseException | None) -> str:
    """The -32603 message (and ``statusMessage``) of a task whose executor failed to run it.

    ``exc`` None: the executor cancelled the work on its own (for example a
    dask client that closed).
    """
    if exc is None:
        return f"Internal error: the task executor dropped {what} before it finished (its future was cancelled)"
    text = str(exc)
    named = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    message = f"Internal error: the task executor failed to run {what}: {named}"
    if _is_pickling_failure(exc):
        message += (" (work sent to another process must be picklable: a module-level function, "
                    "and arguments and a return value that pickle)")
    return message


def _is_pickling_failure(exc: BaseException) -> bool:
    return isinstance(exc, pickle.PicklingError) or "pickle" in str(exc).lower()
