"""Interoperability with another SDK implementing 2025-11-25 tasks (SEP-1686).

The peer is the official MCP Python SDK 1.x, installed by
``scripts/setup_interop.sh`` (``make test`` runs it) into
``.cache/interop/py-venv``; the tests skip, saying why, when it is missing.
Everything runs on stdio pipes or 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEER_PYTHON = ROOT / ".cache" / "interop" / "py-venv" / "bin" / "python"
PEERS = Path(__file__).resolve().parent / "peers"


def _peer_version() -> str | None:
    if not PEER_PYTHON.exists():
        return None
    done = subprocess.run([str(PEER_PYTHON), "-c", "import importlib.metadata as m; print(m.version('mcp'))"],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None


PEER_VERSION = _peer_version()


@pytest.fixture(scope="session")
def peer_python() -> str:
    if PEER_VERSION is None:
        if os.environ.get("MCP_SYNC_REQUIRE_INTEROP"):  # make test sets it: never skip in CI
            pytest.fail("the official MCP Python SDK is not installed in .cache/interop/py-venv: run "
                        "scripts/setup_interop.sh")
        pytest.skip("the official MCP Python SDK is not installed in .cache/interop/py-venv: run "
                    "scripts/setup_interop.sh (make test does)")
    return str(PEER_PYTHON)


from tests.thread_check import no_threads_left_behind  # noqa: E402,F401  (autouse)
