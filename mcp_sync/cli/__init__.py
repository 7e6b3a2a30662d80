"""The ``mcp-sync`` command (also ``python -m mcp_sync``).

* ``mcp-sync run FILE[:OBJECT] [--http PORT] [--host HOST]``: serve a Server;
* ``mcp-sync inspect TARGET [--json]``: what a server offers;
* ``mcp-sync call TARGET TOOL [key=value ...] [--json]``: call a tool;
* ``mcp-sync task call|list|get|result|cancel ...``: call a tool as a task
  (status and progress while it runs), and manage tasks;
* ``mcp-sync skills list|show|fetch ...``: the skills a server offers (verified reads);
* ``mcp-sync proxy TARGET [--http PORT]``: serve TARGET over stdio or HTTP
  (a bridge between the two transports, either way).

TARGET is a URL, a Python ``FILE[:OBJECT]``, or a command after ``--``.
:func:`main` takes the arguments and returns the exit code (it never calls
``sys.exit`` itself), so it can be tested in process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from .common import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES_HELP,
    EXIT_CONNECTION,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TASK_CANCELLED,
    EXIT_TOOL_ERROR,
    EXIT_USAGE,
    UsageError,
)

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TASK_CANCELLED",
    "EXIT_TOOL_ERROR",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

PROG = "mcp-sync"

DESCRIPTION = """\
Serve, inspect and call Model Context Protocol servers (mcp_sync).

TARGET (for inspect, call, task and proxy) is one of:
  http://HOST:PORT/mcp      a Streamable HTTP server
  FILE.py[:OBJECT]          a Python file with an mcp_sync Server, started over stdio
  -- COMMAND [ARG ...]      any stdio server command, after `--` (at the end)

examples:
  mcp-sync run examples/quickstart_server.py --http 8000
  mcp-sync inspect http://127.0.0.1:8000/mcp
  mcp-sync call http://127.0.0.1:8000/mcp add a=2 b=3
  mcp-sync inspect -- python examples/everything_server.py --stdio
  mcp-sync task call examples/tasks_server.py build steps=4
  mcp-sync proxy http://127.0.0.1:8000/mcp -H 'Authorization: Bearer TOKEN'
  mcp-sync proxy --http 8001 -- python examples/quickstart_server.py
"""


def build_parser() -> argparse.ArgumentParser:
    from . import cmd_call, cmd_inspect, cmd_proxy, cmd_run, cmd_skills, cmd_task
    from ..version import __version__

    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EXIT_CODES_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    subparsers.required = True
    cmd_run.add_parser(subparsers, EXIT_CODES_HELP)
    cmd_inspect.add_parser(subparsers, EXIT_CODES_HELP)
    cmd_call.add_parser(subparsers, EXIT_CODES_HELP)
    cmd_task.add_parser(subparsers, EXIT_CODES_HELP)
    cmd_skills.add_parser(subparsers, EXIT_CODES_HELP)
    cmd_proxy.add_parser(subparsers, EXIT_CODES_HELP)
    return parser


def _split_command(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Everything before the first ``--``, and the command after it (None without ``--``)."""
    if "--" not in argv:
        return argv, None
    index = argv.index("--")
    return argv[:index], argv[index + 1:]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    before, command = _split_command(argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(before)
        if extra:
            dash_ok = getattr(args, "accepts_dash_positionals", False)  # task ids may start with "-"
            if getattr(args, "accepts_extra_positionals", False) and not any(
                    x.startswith("--") if dash_ok else x.startswith("-") for x in extra):
                args.items = list(args.items) + extra  # positionals given after an option (or "-abc" ids)
            else:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse: --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.command = command
    if command is not None and args.subcommand == "run":
        return _fail(f"run takes no command after '--' (got {' '.join(command)!r})", EXIT_USAGE)
    if command is not None and not command:
        return _fail("nothing after '--': give the command that starts the server", EXIT_USAGE)
    as_json = bool(getattr(args, "json", False))
    try:
        code: int = args.handler(args)
        return code
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        usage = _child_usage_error(exc)
        if usage is not None:  # FILE started as `mcp-sync run FILE`, which refused it (no Server...)
            return _fail(usage, EXIT_USAGE, as_json)
        message = _connection_error(exc)
        if message is None:
            raise
        return _fail(message, EXIT_CONNECTION, as_json)


def _child_usage_error(exc: Exception) -> str | None:
    """The usage error of a ``mcp-sync run FILE`` child that exited 2 before serving, else None."""
    from ..errors import ConnectionClosed

    if not isinstance(exc, ConnectionClosed) or exc.exit_code != EXIT_USAGE:
        return None
    prefix = f"{PROG}: error: "
    lines = [line for line in exc.stderr_tail.splitlines() if line.startswith(prefix)]
    return lines[-1][len(prefix):] if lines else None


def _fail(message: str, code: int, as_json: bool = False) -> int:
    """Report an error on stderr (and, with --json, as ``{"error": {...}}`` on stdout); return ``code``."""
    try:
        if as_json:
            sys.stdout.write(json.dumps({"error": {"message": message, "exitCode": code}}) + "\n")
            sys.stdout.flush()
        sys.stderr.write(f"{PROG}: error: {message}\n" if code != EXIT_INTERRUPTED else f"{PROG}: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return code


def _connection_error(exc: Exception) -> str | None:
    """The message for a connection or protocol failure (exit code 3); None for anything else."""
    from ..client.client import McpProtocolError, OutputValidationError
    from ..errors import (CapabilityError, ConnectionClosed, HttpStatusError, McpError, ProtocolVersionError,
                          RequestTimeout)

    if isinstance(exc, HttpStatusError):
        hint = ""
        if exc.status in (401, 403):
            hint = "; the server wants credentials: --header 'Authorization: Bearer TOKEN'"
        return f"connection failed: the server answered {exc}{hint}"
    if isinstance(exc, ConnectionClosed):
        return f"connection failed: {exc}"
    if isinstance(exc, McpError):
        return f"the server answered with an error: {exc.message} (code {exc.code})"
    if isinstance(exc, RequestTimeout):
        return f"timed out: {exc}" if str(exc) else "timed out"
    if isinstance(exc, (ProtocolVersionError, McpProtocolError, OutputValidationError, CapabilityError)):
        return f"protocol error: {exc}"
    if isinstance(exc, OSError):
        return f"connection failed: {exc}"
    return None


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
