"""A tool call as :class:`~mcp_sync.tasks.executors.RemoteWork`: task work for an out-of-process executor.

Used by :mod:`mcp_sync.server.tasks` when ``Server(task_executor=...)`` runs work
outside this process (a ``ProcessPoolExecutor``, dask's ``client.get_executor()``;
see :func:`~mcp_sync.tasks.executors.runs_in_process`). The call is split where
the process boundary is:

* here, before anything is sent: the arguments are validated against the
  tool's ``inputSchema`` and converted (invalid ones give the same ``isError``
  result as an in-process call, recorded without the executor);
* in the worker: only the tool's function, called with the converted keyword
  arguments (the function, the arguments and the value must pickle);
* here again, on the runner's results thread: the value becomes a
  ``CallToolResult`` (structured content, ``outputSchema`` check), a raised
  exception an ``isError`` result (``TypeName: message``, plus the worker's
  traceback when ``Server(debug=True)``), an ``McpError`` a JSON-RPC error.

A tool that takes a :class:`~mcp_sync.server.Context` cannot be sent: the
context holds the session, locks and the task's signals. Calling one as a task
on such a server is refused with -32603 before a task exists (called without a
task it runs normally, in the session's thread).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import INTERNAL_ERROR, McpError
from ..tasks.executors import RemoteError, RemoteWork
from .results import error_result
from .tools import adapt
from .validation import problems

if TYPE_CHECKING:
    from .server import Server
    from .tools import ToolDef

__all__ = ["remote_tool_work"]

log = logging.getLogger("mcp_sync.server")


def remote_tool_work(server: "Server", tool: "ToolDef", arguments: dict[str, Any], version: str | None, *,
                     executor: Any = None,
                     finalize: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> RemoteWork:
    """The task work of ``tools/call`` of ``tool`` with ``arguments``, for an out-of-process executor.

    ``version`` is the session's protocol revision (the result is adapted to
    it); ``finalize`` post-processes the adapted result (the tasks extension
    adds ``resultType``). Raises -32603 for a tool that takes a Context.
    """
    what = f"tool {tool.name!r}"

    def done(result: dict[str, Any]) -> dict[str, Any]:
        adapted = adapt(result, version)
        return finalize(adapted) if finalize is not None else adapted

    if tool.context_param is not None:
        where = f" ({type(executor).__name__})" if executor is not None else ""
        raise McpError(INTERNAL_ERROR, f"Internal error: tool {tool.name!r} takes a Context, which cannot cross to "
                                       f"this server's task executor{where}: it runs task work in another "
                                       "process. Call the tool without a task, drop its Context parameter, or "
                                       "use a thread-based task executor.")
    wrong = problems(tool.validator, arguments)
    if wrong:
        return RemoteWork.settled(done(error_result(f"Invalid arguments for tool '{tool.name}': "
                                                    + "; ".join(wrong))), what=what)
    try:
        kwargs = tool.coerce(arguments)
    except ValueError as exc:
        return RemoteWork.settled(done(error_result(f"Invalid arguments for tool '{tool.name}': {exc}")), what=what)

    def finish(value: Any) -> Mapping[str, Any]:
        try:
            result = tool.result(value)
        except Exception as exc:
            result = server.error_result(exc, f"the result of tool {tool.name!r}")
        return done(result)

    def on_error(exc: RemoteError) -> Mapping[str, Any]:
        log.info("%s raised %s in its worker:\n%s", what, exc.type_name, exc.remote_traceback)
        text = exc.describe()
        if server.debug and exc.remote_traceback:
            text += "\n" + exc.remote_traceback
        return done(error_result(text))

    return RemoteWork(tool.fn, (), kwargs, finish=finish, on_error=on_error, what=what)
