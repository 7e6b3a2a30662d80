"""Helpers for the CLI tests: run ``mcp-sync`` in process or as ``python -m mcp_sync``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from mcp_sync.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = str(ROOT / "tests" / "cli" / "fixture_server.py")
#: The fixture server as a plain stdio command (for ``-- COMMAND`` targets).
FIXTURE_COMMAND = [sys.executable, FIXTURE]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a child interpreter: this checkout's mcp_sync and tests are importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """``python -m mcp_sync ARGS`` as a child process (stdout/stderr captured as text)."""
    return subprocess.run([sys.executable, "-m", "mcp_sync", *args], cwd=ROOT, env=cli_env(),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)



def cli_process(*args: str, **kwargs) -> subprocess.Popen:
    """``python -m mcp_sync ARGS`` as a running child process (streams as given in ``kwargs``)."""
    return subprocess.Popen([sys.executable, "-m", "mcp_sync", *args], cwd=ROOT, env=cli_env(),
                            stdin=subprocess.DEVNULL, **kwargs)


def read_until_closed(fd: int, deadline: float) -> bytes:
    """Everything written to a pty's master ``fd`` until its other side closes (or ``deadline``)."""
    chunks = []
    while time.monotonic() < deadline:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)

class Outcome(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli(*args)`` runs :func:`mcp_sync.cli.main` in this process -> ``Outcome(code, out, err)``."""
    # Children started from a FILE target import this checkout's mcp_sync (and tests.cli.*).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))

    def invoke(*args: str) -> Outcome:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def http_url():
    """The fixture server over Streamable HTTP on 127.0.0.1 (any free port), in this process."""
    from tests.cli.fixture_server import server

    handle = server.start_http(host="127.0.0.1", port=0)
    try:
        yield handle.url
    finally:
        handle.stop()


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)

from tests.legacy_era import legacy_era  # noqa: E402,F401  (pins the legacy wire)
