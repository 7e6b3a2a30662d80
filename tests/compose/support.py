"""Helpers of the composition tests: the upstream server as a process, handlers of a downstream client."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = str(Path(__file__).with_name("upstream_server.py"))
#: The upstream server as a stdio command.
UPSTREAM_COMMAND = [sys.executable, UPSTREAM]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child interpreter: this checkout's mcp_sync, and no era pinned."""
    env = {k: v for k, v in os.environ.items() if k != "MCP_SYNC_PROTOCOL"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def elicit_ada(params: Any) -> dict:
    return {"action": "accept", "content": {"name": "Ada"}}


def sample_short(params: Any) -> dict:
    text = params.messages[0].content.text
    return {"role": "assistant", "model": "test-model", "content": {"type": "text", "text": f"short({text})"}}


ROOTS = ["file:///projects/one", "file:///projects/two"]

#: The handlers of a downstream client that answers everything.
HANDLERS = {"elicitation": elicit_ada, "sampling": sample_short, "roots": ROOTS}
