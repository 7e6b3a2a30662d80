"""A pytest plugin for testing MCP servers in plain pytest: fixtures, no event loop, no pytest-asyncio.

Installed with the package (the ``pytest11`` entry point ``mcp_sync.pytest_plugin``;
``-p no:mcp_sync.pytest_plugin`` turns it off, ``-p mcp_sync.pytest_plugin`` loads it
where the package is not installed). Tell it which server to test, either in
``conftest.py``::

    @pytest.fixture
    def mcp_server():
        from myproject.mcp import server
        yield server
        server.close()      # stops the task threads; the server stays usable

or in the ini file: ``mcp_server = myproject.mcp:server`` (and
``mcp_server_script = path/to/server.py`` for the stdio fixture, relative to the
rootdir). Fixtures (each client is open and is closed when the test ends):

* ``mcp_client``: a :class:`~mcp_sync.Client` connected in memory to ``mcp_server``;
* ``mcp_http_url`` / ``mcp_http_client``: ``mcp_server`` served over Streamable
  HTTP on an ephemeral 127.0.0.1 port, and a client for it;
* ``mcp_stdio_client``: a client of ``mcp_server_script`` run as a subprocess
  (``python script``) over stdio;
* ``mcp_connect(target, transport=None, **client_options)``: any other client:
  ``target`` a ``Server`` (in memory, or ``transport="http"`` to serve it on a
  port first), a URL, or a script path / command list (stdio);
* ``mcp_answers``: an :class:`~mcp_sync.testing.Answers` answering the server's
  elicitation and sampling requests (every client above uses it); the test
  fails if the server asked something it had no answer for;
* ``mcp_logs``: a :class:`~mcp_sync.testing.LogRecorder` that every client above
  feeds; ``mcp_progress``: a :class:`~mcp_sync.testing.ProgressRecorder` to pass
  as ``progress=``;
* ``mcp_client_options``: override it to give every client more keywords
  (``{"protocol": "legacy"}``, ``{"roots": [...]}``...).

Assertion helpers are in :mod:`mcp_sync.testing` (``assert_tool_result``,
``assert_tool_error``, ``assert_task_completed``...).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import pytest

if TYPE_CHECKING:
    from .client import Client
    from .server import Server
    from .testing import Answers, LogRecorder, ProgressRecorder

__all__ = [
    "mcp_answers",
    "mcp_client",
    "mcp_client_options",
    "mcp_connect",
    "mcp_http_client",
    "mcp_http_url",
    "mcp_logs",
    "mcp_progress",
    "mcp_server",
    "mcp_server_script",
    "mcp_stdio_client",
]

_HOW_TO_NAME_A_SERVER = (
    "which MCP server should the mcp_* fixtures test? Define an `mcp_server` fixture returning your "
    "mcp_sync.Server in conftest.py, or set `mcp_server = package.module:server` in your pytest ini file")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("mcp_server", "import path ('package.module:attribute') of the mcp_sync.Server that the "
                                "mcp_* fixtures test", default="")
    parser.addini("mcp_server_script", "path (relative to the rootdir) of a script serving the server over "
                                       "stdio, for the mcp_stdio_client fixture", default="")


def load_server(spec: str) -> "Server":
    """The :class:`~mcp_sync.Server` named by ``"package.module:attribute"`` (or ``"package.module.attribute"``)."""
    from .server import Server

    module_name, sep, attribute = spec.partition(":")
    if not sep:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name or not attribute:
        raise pytest.UsageError(f"mcp_server = {spec!r}: expected 'package.module:attribute'")
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise pytest.UsageError(f"mcp_server = {spec!r} cannot be loaded: {exc}") from exc
    if not isinstance(value, Server):
        raise pytest.UsageError(f"mcp_server = {spec!r} is a {type(value).__name__}, not an mcp_sync.Server")
    return value


@pytest.fixture
def mcp_server(request: pytest.FixtureRequest) -> Iterator["Server"]:
    """The server under test: override this fixture, or set the ``mcp_server`` ini option."""
    spec = str(request.config.getini("mcp_server") or "").strip()
    if not spec:
        pytest.fail(_HOW_TO_NAME_A_SERVER, pytrace=False)
    server = load_server(spec)
    yield server
    server.close()


@pytest.fixture
def mcp_server_script(request: pytest.FixtureRequest) -> str:
    """The script ``mcp_stdio_client`` runs: override this fixture, or set ``mcp_server_script``."""
    value = str(request.config.getini("mcp_server_script") or "").strip()
    if not value:
        pytest.fail("which script should mcp_stdio_client run? Define an `mcp_server_script` fixture returning "
                    "its path, or set `mcp_server_script = path/to/server.py` in your pytest ini file",
                    pytrace=False)
    path = value if os.path.isabs(value) else os.path.join(str(request.config.rootpath), value)
    if not os.path.isfile(path):
        pytest.fail(f"mcp_server_script {value!r}: no such file ({path})", pytrace=False)
    return path


@pytest.fixture
def mcp_answers() -> Iterator["Answers"]:
    """Answers to the server's elicitation and sampling requests; checked when the test ends."""
    from .testing import Answers

    answers = Answers()
    yield answers
    answers.check()


@pytest.fixture
def mcp_logs() -> "LogRecorder":
    """The log messages the server sent to the fixtures' clients."""
    from .testing import LogRecorder

    return LogRecorder()


@pytest.fixture
def mcp_progress() -> "ProgressRecorder":
    """A progress callback recording every update: ``client.call_tool(..., progress=mcp_progress)``."""
    from .testing import ProgressRecorder

    return ProgressRecorder()


@pytest.fixture
def mcp_client_options() -> dict[str, Any]:
    """Extra keyword arguments for every client the fixtures make (override it)."""
    return {}


def _is_server(value: Any) -> bool:
    from .server import Server

    return isinstance(value, Server)


@pytest.fixture
def mcp_connect(mcp_answers: "Answers", mcp_logs: "LogRecorder",
                mcp_client_options: dict[str, Any]) -> Iterator[Callable[..., "Client"]]:
    """A factory of open clients, all closed when the test ends; see the module docstring."""
    from .client import Client

    opened: list[Any] = []

    def connect(target: Any, *, transport: str | None = None, **options: Any) -> "Client":
        kwargs = {"elicitation": mcp_answers.elicitation, "sampling": mcp_answers.sampling, "on_log": mcp_logs,
                  **mcp_client_options, **options}
        kind = transport
        if kind is None:
            if _is_server(target):
                kind = "memory"
            elif isinstance(target, str) and target.startswith(("http://", "https://")):
                kind = "http"
            elif isinstance(target, (str, os.PathLike, list, tuple)):
                kind = "stdio"
            else:
                raise TypeError(f"mcp_connect() takes a Server, a URL or a script path/command, not "
                                f"{type(target).__name__}")
        if kind == "memory":
            client = Client.connect(target, **kwargs)
        elif kind == "http":
            url = target
            if _is_server(target):
                handle = target.start_http(port=0)
                opened.append(handle)
                url = handle.url
            client = Client.http(url, **kwargs)
        elif kind == "stdio":
            command: Sequence[str] = ([sys.executable, os.fspath(target)] if isinstance(target, (str, os.PathLike))
                                      else list(target))
            client = Client.stdio(command, **kwargs)
        else:
            raise ValueError(f"transport must be 'memory', 'http' or 'stdio', not {transport!r}")
        try:
            client.open()
        except BaseException:
            client.close()
            raise
        opened.append(client)
        return client

    yield connect
    for thing in reversed(opened):  # clients before the HTTP servers they talk to
        if hasattr(thing, "stop"):
            thing.stop()
        else:
            thing.close()


@pytest.fixture
def mcp_client(mcp_server: "Server", mcp_connect: Callable[..., "Client"]) -> "Client":
    """A client connected in memory to ``mcp_server``."""
    return mcp_connect(mcp_server)


@pytest.fixture
def mcp_http_url(mcp_server: "Server") -> Iterator[str]:
    """``mcp_server`` served over Streamable HTTP on an ephemeral 127.0.0.1 port: its endpoint URL."""
    handle = mcp_server.start_http(port=0)
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def mcp_http_client(mcp_http_url: str, mcp_connect: Callable[..., "Client"]) -> "Client":
    """A client of ``mcp_server`` over real HTTP."""
    return mcp_connect(mcp_http_url)


@pytest.fixture
def mcp_stdio_client(mcp_server_script: str, mcp_connect: Callable[..., "Client"]) -> "Client":
    """A client of ``mcp_server_script`` run by this Python over stdio."""
    return mcp_connect(mcp_server_script)
