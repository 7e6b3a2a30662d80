"""``mcp-sync task ...``: call a tool as a task, and list, get, wait for or cancel tasks.

* ``task call TARGET TOOL [key=value ...]``: start the task, show its status
  and progress, print its result (``--detach``: print its id and leave it
  running, over HTTP only);
* ``task list TARGET``, ``task get TARGET ID``, ``task result TARGET ID``,
  ``task cancel TARGET ID``.

Tasks are a 2025-11-25 feature (SEP-1686): these commands always open an
``initialize`` session (``protocol="legacy"``). A task belongs to its
requestor: the authenticated subject (an access token), else the session that
created it. Every ``mcp-sync`` command is a new session, so a task created by
one command can be seen by another only over HTTP, with credentials the server
binds tasks to; over stdio each command even starts its own server process.
The messages say so instead of a bare "Task not found".
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Mapping

from .cmd_call import _split_items, print_result
from .cmd_inspect import add_target_options
from .common import (
    DEFAULT_TIMEOUT,
    EXIT_OK,
    EXIT_TASK_CANCELLED,
    Target,
    UsageError,
    build_arguments,
    dumps,
    is_url,
    open_client,
    parse_argument_syntax,
    parse_env,
    parse_headers,
    resolve_target,
    say,
    split_spec,
)
from .progress import ProgressBar

HELP = "call a tool as a task; list, get, wait for and cancel tasks"

#: The client's ``protocol=`` for every task command: tasks exist on 2025-11-25 ``initialize`` sessions.
TASKS_PROTOCOL = "legacy"

_TERMINAL = ("completed", "failed", "cancelled")

DESCRIPTION = """\
Run a tool as a task (2025-11-25 tasks, SEP-1686) and manage tasks.

  task call   TARGET TOOL [key=value ...]  start a task, show its status and
                                           progress, print its result
  task list   TARGET                       the tasks the server shows you
  task get    TARGET ID                    one task's status
  task result TARGET ID                    wait for a task; print its result
  task cancel TARGET ID                    cancel a task

Who sees a task: a task belongs to whoever created it, the authenticated user
(an access token) or else the session. Every mcp-sync command opens a new
session, so `task list/get/result/cancel` can reach a task created by another
command only over HTTP, sending the same credentials
(--header 'Authorization: Bearer ...'). Over stdio each command starts its own
server process: there `task call` (which waits) is the way to run a task.

examples:
  mcp-sync task call examples/tasks_server.py build steps=4
  mcp-sync task call http://127.0.0.1:8000/mcp build steps=1 --detach -H 'Authorization: Bearer TOKEN'
  mcp-sync task get http://127.0.0.1:8000/mcp ID -H 'Authorization: Bearer TOKEN'
  mcp-sync task result http://127.0.0.1:8000/mcp ID -H 'Authorization: Bearer TOKEN'
"""

CALL_DESCRIPTION = """\
Call TOOL as a task and wait for it: its status (working, input_required...,
with the server's status message) and its progress are shown on stderr (a bar
on a terminal, plain lines otherwise; --no-progress hides them), then the
result is printed as `mcp-sync call` prints it (--json: the CallToolResult).
Ctrl-C or --timeout cancels the task on the server.

--detach prints the task id (--json: the task) and exits at once, leaving the
task running; follow it with `task get`, `task result`, `task cancel`. It only
makes sense over HTTP with credentials the server binds the task to: over stdio
the server process, and its tasks, end with this command (refused), and over
HTTP without credentials a server binds the task to this command's session and
may cancel it when the command exits (a warning says so).

TARGET and the arguments are as for `mcp-sync call`. The tool must declare
task support ("optional" or "required"); the server must support tasks.

examples:
  mcp-sync task call examples/tasks_server.py build steps=4
  mcp-sync task call build steps=4 -- python examples/tasks_server.py
  mcp-sync task call http://127.0.0.1:8000/mcp build steps=1 --detach -H 'Authorization: Bearer TOKEN'
"""

ID_DESCRIPTION = """\
TARGET is a URL (or, after `--`, a command; or a FILE): a task created by
another mcp-sync command is only visible over HTTP, with the same credentials
(-H 'Authorization: Bearer ...'), when the server binds tasks to the
authenticated user. An unknown id exits with 2.
"""


def add_parser(subparsers: Any, epilog: str) -> None:
    parser = subparsers.add_parser(
        "task", help=HELP, description=DESCRIPTION, epilog=epilog, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="task_action", metavar="ACTION")
    actions.required = True

    call = actions.add_parser(
        "call", help="call a tool as a task and wait for its result (or --detach)", description=CALL_DESCRIPTION,
        epilog=epilog, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] (URL | FILE[:OBJECT]) TOOL [key=value ...]\n"
              "       %(prog)s [options] TOOL [key=value ...] -- COMMAND [ARG ...]")
    call.add_argument("items", nargs="*", metavar="TARGET TOOL [key=value ...]", help=argparse.SUPPRESS)
    call.add_argument("--args", dest="json_args", metavar="JSON", default=None,
                      help="the arguments as one JSON object")
    call.add_argument("--detach", action="store_true",
                      help="print the task id and exit, leaving the task running (HTTP only)")
    call.add_argument("--ttl", type=float, default=None, metavar="SECONDS",
                      help="ask the server to keep the task (and its result) this long after creation")
    _common_options(call, waits=True)
    call.set_defaults(handler=call_command, accepts_extra_positionals=True)

    listing = actions.add_parser(
        "list", help="list the tasks the server shows this requestor", description=ID_DESCRIPTION,
        epilog=epilog, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] (URL | FILE[:OBJECT] | -- COMMAND [ARG ...])")
    listing.add_argument("items", nargs="*", metavar="TARGET", help=argparse.SUPPRESS)
    _common_options(listing, waits=False)
    listing.set_defaults(handler=list_command)

    for name, handler, text, waits in (
            ("get", get_command, "show a task's status", False),
            ("result", result_command, "wait for a task and print its result", True),
            ("cancel", cancel_command, "cancel a task", False)):
        sub = actions.add_parser(
            name, help=text, description=f"{text[0].upper()}{text[1:]}.\n\n{ID_DESCRIPTION}", epilog=epilog,
            allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
            usage="%(prog)s [options] (URL | FILE[:OBJECT]) ID\n"
                  "       %(prog)s [options] ID -- COMMAND [ARG ...]")
        sub.add_argument("items", nargs="*", metavar="TARGET ID", help=argparse.SUPPRESS)
        sub.add_argument("--id", dest="task_id", default=None, metavar="ID",
                         help="the task id, for an id starting with '-' (write --id=ID)")
        _common_options(sub, waits=waits)
        sub.set_defaults(handler=handler, accepts_extra_positionals=True, accepts_dash_positionals=True)


def _common_options(parser: argparse.ArgumentParser, *, waits: bool) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    if waits:
        parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                            help=f"limit for the wait (default: none) and for connecting "
                                 f"(default: {DEFAULT_TIMEOUT:g})")
        parser.add_argument("--no-progress", action="store_true",
                            help="do not show the task's status and progress on stderr")
    else:
        parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                            help=f"for connecting and for each request (default: {DEFAULT_TIMEOUT:g})")
    add_target_options(parser)


# -- shared -------------------------------------------------------------------------------


def _connect_timeout(args: argparse.Namespace) -> float:
    return args.timeout if args.timeout is not None else DEFAULT_TIMEOUT


def _check_timeout(args: argparse.Namespace) -> None:
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")


def _open(args: argparse.Namespace, target: Target, bar: ProgressBar | None = None) -> Any:
    server_stderr = None
    if args.verbose:
        server_stderr = bar.write_line if bar is not None else sys.stderr
    return open_client(target, headers=parse_headers(args.header), env=parse_env(args.env),
                       timeout=_connect_timeout(args), server_stderr=server_stderr, protocol=TASKS_PROTOCOL)


def _has(capabilities: Any, *path: str) -> bool:
    node = capabilities
    for key in path:
        if not isinstance(node, Mapping) or key not in node or node[key] is None:
            return False
        node = node[key]
    return True


def _require_tasks(client: Any, target: Target, *path: str) -> None:
    """UsageError unless the server declared ``tasks`` (and ``tasks.<path>``)."""
    from ..types import to_wire

    capabilities = to_wire(client.server_capabilities)
    version = client.protocol_version
    if not _has(capabilities, "tasks"):
        why = "" if version == "2025-11-25" else f"; this session speaks {version}, and tasks need 2025-11-25"
        raise UsageError(f"the server ({target.description}) does not support tasks: it declared no 'tasks' "
                         f"capability{why}")
    if path and not _has(capabilities, "tasks", *path):
        what = {("list",): "listing tasks (tasks/list)", ("cancel",): "cancelling tasks (tasks/cancel)",
                ("requests", "tools", "call"): "calling tools as tasks"}.get(path, "tasks." + ".".join(path))
        raise UsageError(f"the server ({target.description}) supports tasks but not {what}: "
                         f"it did not declare 'tasks.{'.'.join(path)}'")


def _has_credentials(args: argparse.Namespace) -> bool:
    return any(name.lower() == "authorization" for name in parse_headers(args.header))


def _visibility_note(args: argparse.Namespace, target: Target) -> str | None:
    """Why a task of another mcp-sync command may be invisible here (None: nothing to add)."""
    if target.url is None:
        return ("over stdio every mcp-sync command starts its own server process and session, and a task "
                "belongs to the session that created it: a task from another command is never visible here "
                "(use `mcp-sync task call`, which waits for the result, or a server over HTTP)")
    if not _has_credentials(args):
        return ("without credentials a server binds each task to the session that created it, and every "
                "mcp-sync command is a new session: send the credentials the task was created with "
                "(-H 'Authorization: Bearer ...')")
    return None


def _is_not_found(exc: BaseException) -> bool:
    from ..errors import INVALID_PARAMS, McpError

    return isinstance(exc, McpError) and exc.code == INVALID_PARAMS and "not found" in exc.message.lower()


def _unknown_task(args: argparse.Namespace, target: Target, task_id: str) -> UsageError:
    message = (f"unknown task {task_id!r} on {target.description}: no such task for this requestor "
               f"(it never existed, it expired, or another user or session owns it)")
    note = _visibility_note(args, target)
    return UsageError(message + (f"; note: {note}" if note else ""))


def _split_target_and_id(args: argparse.Namespace, action: str) -> tuple[Target, str]:
    items = list(args.items)
    usage = f"mcp-sync task {action} (URL | FILE) ID, or mcp-sync task {action} ID -- COMMAND ..."
    if args.task_id is not None:
        items.append(args.task_id)
    if args.command:
        if len(items) != 1:
            raise UsageError(f"expected one task id before '--' (got {len(items)}): {usage}")
        target_text, task_id = None, items[0]
    else:
        if len(items) != 2:
            if len(items) == 1 and (is_url(items[0]) or split_spec(items[0])[0].endswith(".py")):
                raise UsageError(f"no task id given: {usage}")
            if len(items) == 1:
                raise UsageError(f"no server given for task {items[0]!r}: {usage}")
            raise UsageError(f"expected a server and one task id (got {len(items)} arguments): {usage}")
        target_text, task_id = items
    if not task_id.strip():
        raise UsageError("the task id is empty")
    return resolve_target(target_text, args.command), task_id


def id_argument(task_id: str) -> str:
    """How to write ``task_id`` on a command line: ``--id=ID`` when it starts with ``-``."""
    return f"--id={task_id}" if task_id.startswith("-") else task_id


def _ttl_ms(seconds: float | None) -> int | None:
    if seconds is None:
        return None
    if not seconds >= 0 or seconds == float("inf"):
        raise UsageError(f"--ttl must be a non-negative number of seconds, not {seconds:g}")
    return int(round(seconds * 1000))


def _task_wire(task: Any) -> dict[str, Any]:
    from ..types import to_wire

    wire = to_wire(task)
    wire.pop("_meta", None)
    return wire


def _describe(task: Any) -> str:
    """One task for people, a field per line."""
    status = task.status + (f" ({task.status_message})" if task.status_message else "")
    ttl = "unlimited" if task.ttl is None else f"{task.ttl / 1000:g} s"
    lines = [f"task     {task.task_id}", f"status   {status}", f"created  {task.created_at}",
             f"updated  {task.last_updated_at}", f"ttl      {ttl}"]
    if task.poll_interval is not None:
        lines.append(f"poll     every {task.poll_interval} ms")
    return "\n".join(lines)


def _cancelled(status: Any, as_json: bool) -> int:
    if as_json:
        say(dumps(_task_wire(status)))
    why = f": {status.status_message}" if status.status_message else ""
    say(f"mcp-sync: task {status.task_id} was cancelled{why}; it has no result", file=sys.stderr)
    return EXIT_TASK_CANCELLED


def _finish(task_id: str, fetch_result: Callable[[], Any], fetch_status: Callable[[], Any], as_json: bool) -> int:
    """Print a terminal task's result; a cancelled task (no result) exits with 4."""
    from ..errors import INVALID_PARAMS, McpError

    try:
        wire = fetch_result()
    except McpError as exc:
        if exc.code != INVALID_PARAMS:
            raise  # the tool's own JSON-RPC error: exit 3, like `call`
        try:
            status = fetch_status()
        except McpError:
            raise exc from None
        if status.status == "cancelled":
            return _cancelled(status, as_json)
        raise
    return print_result(wire, f"task {task_id}", as_json=as_json)


# -- task call ------------------------------------------------------------------------------


def call_command(args: argparse.Namespace) -> int:
    from ..errors import RequestTimeout
    from ..types import to_wire

    target_text, tool_name, argument_items = _split_items(list(args.items), args.command, "task call")
    if "=" in tool_name or tool_name.lstrip().startswith("{"):
        raise UsageError(f"{tool_name!r} is not a tool name (the tool comes before its key=value arguments)")
    raw = parse_argument_syntax(argument_items, args.json_args)  # fail before starting anything
    ttl = _ttl_ms(args.ttl)
    _check_timeout(args)
    target = resolve_target(target_text, args.command)
    if args.detach and target.url is None:
        raise UsageError("--detach needs a server over HTTP: over stdio the server process, and its tasks, end "
                         "when this command exits (without --detach, `task call` waits for the result)")
    parse_headers(args.header)

    show = not (args.detach or args.no_progress)
    bar = ProgressBar(sys.stderr, label=tool_name) if show else None
    try:
        with _open(args, target, bar) as client:
            _require_tasks(client, target, "requests", "tools", "call")
            tools = {tool.name: tool for tool in client.list_tools()}
            tool = tools.get(tool_name)
            if tool is None:
                known = ", ".join(sorted(tools)) or "none"
                raise UsageError(f"unknown tool {tool_name!r}; the server's tools: {known}")
            support = tool.execution.task_support if tool.execution is not None else None
            if support not in ("optional", "required"):
                raise UsageError(f"tool {tool_name!r} does not support tasks (taskSupport: "
                                 f"{support or 'not declared, so forbidden'}); call it with `mcp-sync call`")
            arguments = build_arguments(raw, tool.input_schema)
            task = client.call_tool_as_task(tool_name, arguments, ttl_ms=ttl, timeout=_connect_timeout(args),
                                            progress=bar)
            if args.detach:
                say(dumps(_task_wire(task.last)) if args.json else task.task_id)
                follow = f"`mcp-sync task get|result|cancel {target.description} {id_argument(task.task_id)}`"
                if _has_credentials(args):
                    say(f"mcp-sync: task {task.task_id} is {task.last.status}; follow it with {follow} "
                        f"(with the same credentials)", file=sys.stderr)
                else:  # one message: what happens to a task nobody can name
                    say(f"mcp-sync: warning: task {task.task_id} is {task.last.status}, but was created without "
                        f"credentials (-H 'Authorization: Bearer ...'): the server binds it to this command's "
                        f"session, which ends now; an mcp_sync server then cancels it, and {follow} cannot "
                        f"see it", file=sys.stderr)
                return EXIT_OK
            say(f"mcp-sync: task {task.task_id} started (Ctrl-C cancels it)", file=sys.stderr)
            if task.immediate_response:
                say(f"mcp-sync: the server says: {task.immediate_response}", file=sys.stderr)
            try:
                if bar is not None:
                    bar.set_status(task.last.status, task.last.status_message)
                    for status in task.watch(timeout=args.timeout):
                        bar.set_status(status.status, status.status_message)
                else:
                    task.wait(timeout=args.timeout)
            except RequestTimeout:
                _cancel_quietly(task)
                raise RequestTimeout(f"task {task.task_id} did not finish within {args.timeout:g} s; "
                                     f"it was cancelled") from None
            except KeyboardInterrupt:
                if bar is not None:
                    bar.close()
                _cancel_quietly(task)
                say(f"mcp-sync: task {task.task_id} cancelled", file=sys.stderr)
                raise
            if bar is not None:
                bar.close()
            if task.last.status == "cancelled":
                return _cancelled(task.last, args.json)
            return _finish(task.task_id, lambda: to_wire(task.result(timeout=args.timeout)), task.status,
                           args.json)
    finally:
        if bar is not None:
            bar.close()


def _cancel_quietly(task: Any) -> None:
    """Cancel a task we stop waiting for (best effort: it may just have finished, or the connection be gone)."""
    try:
        task.cancel(timeout=5)
    except Exception:
        pass


# -- task list / get / result / cancel -------------------------------------------------------


def list_command(args: argparse.Namespace) -> int:
    items = list(args.items)
    if args.command and items:
        raise UsageError(f"give either a URL/FILE or a command after '--', not both (got {' '.join(items)!r})")
    if len(items) > 1:
        raise UsageError(f"task list takes one server, not {len(items)} arguments: "
                         f"mcp-sync task list (URL | FILE | -- COMMAND ...)")
    _check_timeout(args)
    target = resolve_target(items[0] if items else None, args.command)
    with _open(args, target) as client:
        _require_tasks(client, target, "list")
        tasks = client.list_tasks()
    if args.json:
        say(dumps([_task_wire(t) for t in tasks]))
    elif tasks:
        rows = [(t.task_id, t.status, t.created_at, t.status_message or "") for t in tasks]
        header = ("ID", "STATUS", "CREATED", "MESSAGE")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            say("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    if not tasks:
        note = _visibility_note(args, target)
        say(f"mcp-sync: no tasks{f'; note: {note}' if note else ''}", file=sys.stderr)
    return EXIT_OK


def get_command(args: argparse.Namespace) -> int:
    _check_timeout(args)
    target, task_id = _split_target_and_id(args, "get")
    with _open(args, target) as client:
        _require_tasks(client, target)
        try:
            task = client.get_task(task_id)
        except Exception as exc:
            if _is_not_found(exc):
                raise _unknown_task(args, target, task_id) from None
            raise
    say(dumps(_task_wire(task)) if args.json else _describe(task))
    return EXIT_OK


def result_command(args: argparse.Namespace) -> int:
    from ..errors import RequestTimeout

    _check_timeout(args)
    target, task_id = _split_target_and_id(args, "result")
    bar = None if args.no_progress else ProgressBar(sys.stderr, label=f"task {task_id}")
    try:
        with _open(args, target, bar) as client:
            _require_tasks(client, target)
            try:
                status = client.get_task(task_id)
            except Exception as exc:
                if _is_not_found(exc):
                    raise _unknown_task(args, target, task_id) from None
                raise
            if status.status == "cancelled":
                if bar is not None:
                    bar.close()
                return _cancelled(status, args.json)
            if bar is not None and status.status not in _TERMINAL:
                bar.set_status(status.status, status.status_message)  # then block in tasks/result

            def fetch() -> Any:
                try:
                    from ..types import to_wire

                    return to_wire(client.get_task_result(task_id, timeout=args.timeout))
                except RequestTimeout:
                    raise RequestTimeout(f"task {task_id} did not finish within {args.timeout:g} s "
                                         f"(it keeps running)") from None
                finally:
                    if bar is not None:
                        bar.close()

            return _finish(task_id, fetch, lambda: client.get_task(task_id), args.json)
    finally:
        if bar is not None:
            bar.close()


def cancel_command(args: argparse.Namespace) -> int:
    from ..errors import INVALID_PARAMS, McpError

    _check_timeout(args)
    target, task_id = _split_target_and_id(args, "cancel")
    with _open(args, target) as client:
        _require_tasks(client, target, "cancel")
        try:
            task = client.cancel_task(task_id)
        except McpError as exc:
            if exc.code != INVALID_PARAMS:
                raise
            try:
                status = client.get_task(task_id)
            except McpError as again:
                if _is_not_found(again) or _is_not_found(exc):
                    raise _unknown_task(args, target, task_id) from None
                raise exc from None
            if status.status in _TERMINAL:
                raise UsageError(f"task {task_id} already finished ({status.status}): nothing to cancel") from None
            raise
    if args.json:
        say(dumps(_task_wire(task)))
    else:
        say(f"task {task.task_id} {task.status}" + (f" ({task.status_message})" if task.status_message else ""))
    return EXIT_OK
