"""``mcp-sync run FILE[:OBJECT]``: serve a Server found in a Python file (or module)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
import traceback
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .common import EXIT_CONNECTION, EXIT_OK, UsageError, say, split_spec

if TYPE_CHECKING:
    from ..server import Server

HELP = "serve a Server from a Python file over stdio (default) or Streamable HTTP"

DESCRIPTION = """\
Serve the mcp_sync Server defined in FILE (a path to a .py file, or a module
name such as package.module).

OBJECT names the server (dotted names allowed; a function returning a Server
is called). Without it: the variable `server` or `mcp` if it is a Server,
else the first Server instance in the module.

Over stdio, anything the module prints goes to stderr, so stdout carries only
the protocol. With --http the server listens until Ctrl-C and prints its URL
on stderr.

examples:
  mcp-sync run examples/quickstart_server.py
  mcp-sync run examples/quickstart_server.py:server --http 8000
  mcp-sync run examples/tasks_server.py:server --http 8002
"""


def add_parser(subparsers: Any, epilog: str) -> None:
    parser = subparsers.add_parser("run", help=HELP, description=DESCRIPTION, epilog=epilog,
                                   formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    parser.add_argument("spec", metavar="FILE[:OBJECT]", help="a .py file or module, optionally :OBJECT")
    parser.add_argument("--http", metavar="PORT", type=int, default=None,
                        help="serve Streamable HTTP on PORT (0: any free port) instead of stdio")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on with --http (default: 127.0.0.1)")
    parser.add_argument("--path", default="/mcp", help="the MCP endpoint path with --http (default: /mcp)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.http is None and (args.host != "127.0.0.1" or args.path != "/mcp"):
        raise UsageError("--host and --path only apply with --http PORT")
    if args.http is not None and not 0 <= args.http <= 65535:
        raise UsageError(f"--http: {args.http} is not a port number (0-65535)")
    stdio = args.http is None
    # Over stdio, stdout is the protocol stream: what the module prints while loading goes to stderr.
    redirect = contextlib.redirect_stdout(sys.stderr) if stdio else contextlib.nullcontext()
    with redirect:
        server = load_server(args.spec)
    if stdio:
        server.run()
        return EXIT_OK
    try:
        server.run("http", host=args.host, port=args.http, path=args.path)
    except OSError as exc:
        say(f"mcp-sync: error: cannot serve on {args.host}:{args.http}: {exc}", file=sys.stderr)
        return EXIT_CONNECTION
    return EXIT_OK


def load_server(spec: str) -> "Server":
    """The Server named by ``FILE[:OBJECT]`` or ``module[:OBJECT]`` (UsageError if there is none)."""
    path, object_name = split_spec(spec)
    module = _load_module(path)
    return find_server(module, object_name, path)


def _load_module(path: str) -> ModuleType:
    if os.path.isfile(path):
        return _load_file(path)
    if path.endswith(".py") or os.sep in path or (os.altsep and os.altsep in path):
        raise UsageError(f"no such file: {path}")
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (path == exc.name or path.startswith(exc.name + ".")):
            raise UsageError(f"no such file or module: {path}") from None
        raise UsageError(f"importing {path} failed:\n{_traceback()}") from None
    except Exception:
        raise UsageError(f"importing {path} failed:\n{_traceback()}") from None


def _load_file(path: str) -> ModuleType:
    full = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(full))[0]
    name = stem if stem.isidentifier() and stem not in sys.modules else "__mcp_sync_app__"
    spec = importlib.util.spec_from_file_location(name, full)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {path} as Python (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    directory = os.path.dirname(full)
    if directory not in sys.path:  # like `python FILE`: its siblings are importable
        sys.path.insert(0, directory)
    sys.modules[name] = module  # dataclasses, pickling and type-hint lookups need it registered
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:
        sys.modules.pop(name, None)
        raise UsageError(f"loading {path} exited (code {exc.code}); does it run something at import time "
                         f"instead of under `if __name__ == \"__main__\":`?") from None
    except Exception:
        sys.modules.pop(name, None)
        raise UsageError(f"loading {path} failed:\n{_traceback()}") from None
    return module


def _traceback() -> str:
    """The current exception's traceback without the frames of this loader and of importlib."""
    exc_type, exc, tb = sys.exc_info()
    ours = {__file__, importlib.__file__, importlib.util.__file__}
    while tb is not None and (tb.tb_frame.f_code.co_filename in ours
                              or tb.tb_frame.f_code.co_filename.startswith("<frozen ")):
        tb = tb.tb_next
    return "".join(traceback.format_exception(exc_type, exc, tb)).rstrip()


def find_server(module: ModuleType, object_name: str | None, origin: str) -> "Server":
    from ..server import Server

    if object_name:
        value: Any = module
        for part in object_name.split("."):
            try:
                value = getattr(value, part)
            except AttributeError:
                raise UsageError(f"{origin} has no {object_name!r}") from None
        if isinstance(value, Server):
            return value
        if callable(value) and not isinstance(value, type):
            try:
                made = value()
            except Exception:
                raise UsageError(f"{origin}:{object_name}() failed:\n{_traceback()}") from None
            if isinstance(made, Server):
                return made
            raise UsageError(f"{origin}:{object_name}() returned a {type(made).__name__}, not an mcp_sync Server")
        raise UsageError(f"{origin}:{object_name} is a {type(value).__name__}, not an mcp_sync Server")
    namespace = vars(module)
    for name in ("server", "mcp"):
        if isinstance(namespace.get(name), Server):
            found: Server = namespace[name]
            return found
    for value in list(namespace.values()):
        if isinstance(value, Server):
            return value
    raise UsageError(f"no mcp_sync Server instance found in {origin}; "
                     f"name it with {origin}:OBJECT (a Server, or a function returning one)")
