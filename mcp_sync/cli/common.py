"""What the subcommands share: exit codes, errors, targets, argument parsing, output."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from ..client import Client

# -- exit codes -------------------------------------------------------------------

EXIT_OK = 0
EXIT_TOOL_ERROR = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_TASK_CANCELLED = 4  # a task ended cancelled: it has no result
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a process killed by it
EXIT_INTERRUPTED = 130  # 128 + SIGINT

EXIT_CODES_HELP = """\
exit codes:
  0    success
  1    the tool reported an error (isError); its message is on stderr
  2    usage error: bad arguments, bad key=value, unknown tool, FILE without a Server;
       (task) unknown task id, a server without tasks, a tool that forbids tasks,
       cancelling a task that already finished
  3    connection or protocol error: the server cannot be started or reached, the
       connection closed, the server answered with an error (McpError), a timeout
  4    (task) the task was cancelled: it has no result
  130  interrupted (Ctrl-C); a pending call (or a task being waited for) is
       cancelled on the server
"""

#: Seconds for the handshake and for each listing, unless --timeout says otherwise.
DEFAULT_TIMEOUT = 30.0


class UsageError(Exception):
    """The command line asks for something impossible (exit code 2)."""


# -- targets ----------------------------------------------------------------------

_IDENTIFIER_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def split_spec(spec: str) -> tuple[str, str | None]:
    """``FILE[:OBJECT]`` -> ``(FILE, OBJECT or None)``.

    Only a suffix that is a (dotted) Python name counts as ``OBJECT``, so
    ``C:\\\\server.py`` keeps its drive letter.
    """
    head, sep, tail = spec.rpartition(":")
    if sep and head and _IDENTIFIER_PATH.fullmatch(tail) and not (len(head) == 1 and head.isalpha()):
        return head, tail
    return spec, None


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def package_root() -> str:
    """The directory holding the ``mcp_sync`` package (so a child interpreter imports this copy)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Target:
    """Where the server is: ``url`` (Streamable HTTP) or ``command`` (stdio)."""

    description: str
    url: str | None = None
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def resolve_target(text: str | None, command: Sequence[str] | None) -> Target:
    """A URL, a Python file served with ``mcp-sync run``, or the command given after ``--``."""
    if command:
        if text is not None:
            raise UsageError(f"give either a URL/FILE or a command after '--', not both (got {text!r} and "
                             f"{' '.join(command)!r})")
        return Target(description=" ".join(command), command=list(command))
    if not text:
        raise UsageError("no server given: pass a URL (http://...), a Python FILE[:OBJECT], "
                         "or a command after '--' (-- python server.py)")
    if is_url(text):
        return Target(description=text, url=text)
    path, _ = split_spec(text)
    if os.path.isfile(path) or path.endswith(".py"):
        if not os.path.isfile(path):
            raise UsageError(f"no such file: {path}")
        root = package_root()
        pythonpath = os.environ.get("PYTHONPATH")
        env = {"PYTHONPATH": root + (os.pathsep + pythonpath if pythonpath else "")}
        return Target(description=text, command=[sys.executable, "-m", "mcp_sync", "run", text], env=env)
    raise UsageError(f"{text!r} is not a URL (http://... or https://...) nor a Python file; "
                     f"to run a command, put it after '--': mcp-sync ... -- {text} ...")


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise UsageError(f"bad header {value!r}: expected 'Name: value'")
        headers[name.strip()] = rest.strip()
    return headers


def parse_env(values: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise UsageError(f"bad environment variable {value!r}: expected NAME=VALUE")
        env[name] = rest
    return env


def open_client(target: Target, *, headers: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None,
                timeout: float | None = DEFAULT_TIMEOUT, server_stderr: Any = None,
                protocol: str | None = None) -> "Client":
    """An open client for ``target`` (raises ConnectionClosed & co. when it cannot connect).

    ``server_stderr``: where a stdio server's stderr lines go (None: kept only
    for the error message if the server dies). ``protocol``: the client's
    ``protocol=`` (None: its default, ``MCP_SYNC_PROTOCOL`` or auto-detection).
    """
    from ..client import Client
    from .answers import terminal_answers

    extra: dict[str, Any] = {} if protocol is None else {"protocol": protocol}
    answers = terminal_answers()
    if answers is not None:  # on a terminal: a tool that asks the user mid-call gets asked here
        extra["elicitation"] = answers
    if target.url is not None:
        if env:
            raise UsageError("--env applies to a server started as a command, not to a URL")
        client = Client.http(target.url, headers=headers or {}, timeout=timeout, name="mcp-sync-cli", **extra)
    else:
        if headers:
            raise UsageError("--header applies to a URL, not to a server started as a command")
        client = Client.stdio(target.command, env={**target.env, **(env or {})} or None, stderr=server_stderr,
                              timeout=timeout, name="mcp-sync-cli", **extra)
    return client.open()


# -- tool arguments ---------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not JSON


def json_value(text: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``text`` is JSON, else ``(False, None)``."""
    try:
        return True, json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return False, None


@dataclass
class RawArguments:
    """Tool arguments as typed: ``key=value`` pairs (values still text) and a JSON object."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    base: dict[str, Any] = field(default_factory=dict)


def parse_argument_syntax(items: Sequence[str], json_args: str | None) -> RawArguments:
    """Check the form of the arguments (before connecting): ``key=value`` items, JSON objects."""
    raw = RawArguments()
    if json_args is not None:
        raw.base.update(_json_object(json_args, "--args"))
    seen: set[str] = set()
    for item in items:
        if item.lstrip().startswith("{"):
            raw.base.update(_json_object(item, "an argument"))
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"bad argument {item!r}: expected key=value (or a JSON object)")
        if key in seen:
            raise UsageError(f"argument {key!r} given twice")
        seen.add(key)
        raw.pairs.append((key, value))
    return raw


def _json_object(text: str, what: str) -> dict[str, Any]:
    ok, value = json_value(text)
    if not ok:
        raise UsageError(f"{what} is not valid JSON: {text!r}")
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object, not {type(value).__name__}: {text!r}")
    return value


def _wants_string(schema: Any) -> bool:
    """True when a property schema only accepts strings (so ``key=123`` stays ``"123"``)."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "string":
        return True
    if isinstance(kind, list) and kind and all(k == "string" for k in kind):
        return True
    if kind is None and "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        return all(isinstance(v, str) for v in schema["enum"])
    return False


def build_arguments(raw: RawArguments, input_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The arguments object: each value is JSON when it parses as JSON, else the text itself.

    A property whose input schema only accepts strings keeps the text as is
    (``name=42`` sends ``"42"`` when ``name`` is a string).
    """
    properties = (input_schema or {}).get("properties") if isinstance(input_schema, Mapping) else None
    properties = properties if isinstance(properties, dict) else {}
    arguments = dict(raw.base)
    for key, text in raw.pairs:
        if _wants_string(properties.get(key)):
            arguments[key] = text
            continue
        ok, value = json_value(text)
        arguments[key] = value if ok else text
    return arguments


# -- output -----------------------------------------------------------------------


def dumps(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def pretty(value: Any, *, width: int = 88, indent: int = 2, _level: int = 0) -> str:
    """JSON for people: a value stays on one line when it fits in ``width``, else it is broken up."""
    flat = json.dumps(value, ensure_ascii=False, default=str)
    if len(flat) + indent * _level <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent * (_level + 1))
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(str(k), ensure_ascii=False)}: "
                 f"{pretty(v, width=width, indent=indent, _level=_level + 1)}" for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [f"{pad}{pretty(v, width=width, indent=indent, _level=_level + 1)}" for v in value]
        opening, closing = "[", "]"
    return opening + "\n" + ",\n".join(items) + "\n" + " " * (indent * _level) + closing


def _size(data: Any) -> str:
    if not isinstance(data, str):
        return "?"
    try:
        return f"{len(base64.b64decode(data, validate=False))} bytes"
    except (binascii.Error, ValueError):
        return f"{len(data)} base64 characters"


def render_block(block: Mapping[str, Any]) -> str:
    """One content block (wire form) as text: text as is, other kinds as a one-line summary."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        return f"[{kind}: {block.get('mimeType', '?')}, {_size(block.get('data'))}]"
    if kind == "resource_link":
        name = block.get("name")
        mime = block.get("mimeType")
        extra = ", ".join(x for x in (name, mime) if isinstance(x, str))
        return f"[resource link: {block.get('uri')}{f' ({extra})' if extra else ''}]"
    if kind == "resource":
        resource = block.get("resource") or {}
        if isinstance(resource, Mapping) and "text" in resource:
            return str(resource.get("text", ""))
        if isinstance(resource, Mapping):
            return (f"[resource: {resource.get('uri')}, {resource.get('mimeType', '?')}, "
                    f"{_size(resource.get('blob'))}]")
    return f"[{kind} content]: {dumps(dict(block), indent=None)}"


def render_result(result: Mapping[str, Any]) -> str:
    """A ``CallToolResult`` (wire form) for people.

    Every content block (text plainly); then ``structuredContent`` as JSON,
    unless a text block already is exactly that JSON, in which case only the
    JSON is printed (once, indented). A wrapped text result
    (``{"result": "<the text block>"}``, what a ``-> str`` tool sends) prints
    as its text alone.
    """
    blocks = [b for b in result.get("content") or [] if isinstance(b, Mapping)]
    has_structured = "structuredContent" in result
    structured = result.get("structuredContent")
    if (has_structured and len(blocks) == 1 and blocks[0].get("type") == "text"
            and structured == {"result": blocks[0].get("text")}):
        has_structured = False
    parts: list[str] = []
    for block in blocks:
        if has_structured and block.get("type") == "text":
            ok, value = json_value(str(block.get("text", "")))
            if ok and value == structured:
                continue  # the text is the structured content serialized (the usual back-compat copy)
        parts.append(render_block(block))
    if has_structured:
        parts.append(dumps(structured))
    return "\n".join(parts)


def error_text(result: Mapping[str, Any]) -> str:
    """The message of an ``isError`` result."""
    texts = [render_block(b) for b in result.get("content") or [] if isinstance(b, Mapping)]
    text = "\n".join(t for t in texts if t)
    if not text and "structuredContent" in result:
        text = dumps(result["structuredContent"], indent=None)
    return text or "(no message)"


def say(text: str = "", *, file: Any = None, end: str = "\n") -> None:
    stream = sys.stdout if file is None else file
    stream.write(text + end)
    stream.flush()

