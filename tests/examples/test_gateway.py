"""examples/gateway.py, run as a user runs it: the demo, and the gateway served over stdio to a client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_sync import Client
from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = str(ROOT / "examples" / "gateway.py")

EXPECTED_DEMO = """\
tools: desk_book_room, quick_add, quick_greet, quick_countdown
quick_add(2, 3) = 5
quick_countdown: Liftoff! ['1 to go', '0 to go']
desk_book_room: Ada booked
resources: ['desk://desk/rooms', 'quickstart://quick/about']
about: The mcp_sync quickstart server.
prompt: Draft an agenda for a meeting about MCP.
"""


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "MCP_SYNC_PROTOCOL"}
    out["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return out


def test_the_gateway_demo():
    done = subprocess.run([sys.executable, GATEWAY, "--demo"], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_DEMO


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_gateway_over_stdio(era):
    refuse = lambda params: {"action": "decline"}  # noqa: E731
    with Client.stdio([sys.executable, GATEWAY], env=env(), protocol=era, elicitation=refuse,
                      stderr=None) as client:
        assert client.server_info.name == "gateway"
        assert client.call_tool("quick_greet", {"name": "Ada", "excited": True}).content[0].text == "Hello, Ada!"
        assert client.call_tool("desk_book_room", {"room": "Grace"}).content[0].text == "Grace not booked"
        assert client.read_resource("desk://desk/rooms").contents[0].text == "Ada, Grace, Linus"
        assert "Please review" in client.get_prompt("quick_review", {"code": "x"}).messages[0].content.text
