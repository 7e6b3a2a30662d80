"""``mcp-sync call TARGET TOOL [key=value ...]``: call one tool and print its result."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .cmd_inspect import add_target_options
from .common import (
    DEFAULT_TIMEOUT,
    EXIT_OK,
    EXIT_TOOL_ERROR,
    UsageError,
    build_arguments,
    dumps,
    error_text,
    is_url,
    open_client,
    parse_argument_syntax,
    parse_env,
    parse_headers,
    render_result,
    resolve_target,
    say,
    split_spec,
)
from .progress import ProgressBar

HELP = "call a tool and print its result"

DESCRIPTION = """\
Call TOOL on a server and print the result: text content as is, structured
content as JSON (--json: the whole result as JSON). A result with isError set
prints its message on stderr and exits with 1.

TARGET is a URL (Streamable HTTP) or a Python FILE[:OBJECT] (served with
`mcp-sync run` over stdio), given before TOOL; or a command after `--`, given
after the arguments.

Arguments: key=value, where the value is parsed as JSON when it is valid JSON
(42, 3.5, true, null, [1,2], {"a":1}) and is a string otherwise; a property
whose input schema only accepts strings always gets the string (name=42 sends
"42"). A whole JSON object works too, as --args '{...}' or as an argument;
key=value pairs win over it.

While the tool runs, its progress notifications draw a bar on stderr (plain
lines when stderr is not a terminal; --no-progress to hide them).

examples:
  mcp-sync call http://127.0.0.1:8000/mcp add a=2 b=3
  mcp-sync call examples/quickstart_server.py greet name=Ada
  mcp-sync call countdown --args '{"start": 5}' -- python examples/quickstart_server.py
"""


def add_parser(subparsers: Any, epilog: str) -> None:
    parser = subparsers.add_parser(
        "call", help=HELP, description=DESCRIPTION, epilog=epilog, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] (URL | FILE[:OBJECT]) TOOL [key=value ...]\n"
              "       %(prog)s [options] TOOL [key=value ...] -- COMMAND [ARG ...]")
    parser.add_argument("items", nargs="*", metavar="TARGET TOOL [key=value ...]", help=argparse.SUPPRESS)
    parser.add_argument("--args", dest="json_args", metavar="JSON", default=None,
                        help="the arguments as one JSON object")
    parser.add_argument("--json", action="store_true",
                        help="print the raw result (CallToolResult) as JSON")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help=f"limit for the call (default: none) and for connecting "
                             f"(default: {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--no-progress", action="store_true", help="do not show progress on stderr")
    add_target_options(parser)
    parser.set_defaults(handler=call_command, accepts_extra_positionals=True)


def _split_items(items: list[str], command: list[str] | None,
                 name: str = "call") -> tuple[str | None, str, list[str]]:
    """``(TARGET or None, TOOL, [key=value ...])`` from the positionals of ``mcp-sync NAME``."""
    if command:
        if not items:
            raise UsageError(f"no tool given: mcp-sync {name} TOOL [key=value ...] -- COMMAND ...")
        first = items[0]
        if is_url(first) or split_spec(first)[0].endswith(".py"):
            raise UsageError(f"give either a URL/FILE ({first!r}) or a command after '--', not both")
        return None, first, items[1:]
    if not items:
        raise UsageError(f"no server and no tool given: mcp-sync {name} (URL | FILE) TOOL [key=value ...]")
    if len(items) < 2:
        if "=" in items[0] or is_url(items[0]) or split_spec(items[0])[0].endswith(".py"):
            raise UsageError(f"no tool given: mcp-sync {name} (URL | FILE) TOOL [key=value ...]")
        raise UsageError(f"no server given for tool {items[0]!r}: pass a URL or FILE before it, "
                         f"or a command after '--'")
    return items[0], items[1], items[2:]


def call_command(args: argparse.Namespace) -> int:
    target_text, tool_name, argument_items = _split_items(list(args.items), args.command)
    if "=" in tool_name or tool_name.lstrip().startswith("{"):
        raise UsageError(f"{tool_name!r} is not a tool name (the tool comes before its key=value arguments)")
    raw = parse_argument_syntax(argument_items, args.json_args)  # fail before starting anything
    target = resolve_target(target_text, args.command)
    headers = parse_headers(args.header)
    env = parse_env(args.env)
    connect_timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT

    bar = None if args.no_progress else ProgressBar(sys.stderr, label=tool_name)
    server_stderr = None
    if args.verbose:
        server_stderr = bar.write_line if bar is not None else sys.stderr
    try:
        with open_client(target, headers=headers, env=env, timeout=connect_timeout,
                         server_stderr=server_stderr) as client:
            if client.server_capabilities.tools is None:
                raise UsageError(f"the server ({target.description}) offers no tools")
            tools = {tool.name: tool for tool in client.list_tools()}
            tool = tools.get(tool_name)
            if tool is None:
                known = ", ".join(sorted(tools)) or "none"
                raise UsageError(f"unknown tool {tool_name!r}; the server's tools: {known}")
            arguments = build_arguments(raw, tool.input_schema)
            result = client.call_tool(tool_name, arguments, timeout=args.timeout, progress=bar)
    finally:
        if bar is not None:
            bar.close()

    from ..types import to_wire

    return print_result(to_wire(result), f"tool {tool_name!r}", as_json=args.json)


def print_result(wire: Any, what: str, *, as_json: bool) -> int:
    """Print a CallToolResult (wire form) as ``call`` does; the exit code (1 for ``isError``)."""
    is_error = isinstance(wire, dict) and wire.get("isError") is True
    if as_json:
        say(dumps(wire))
        if is_error:
            say(f"mcp-sync: {what} reported an error", file=sys.stderr)
            return EXIT_TOOL_ERROR
        return EXIT_OK
    if is_error:
        say(f"mcp-sync: {what} reported an error: {error_text(wire)}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    text = render_result(wire)
    if text:
        say(text)
    return EXIT_OK
