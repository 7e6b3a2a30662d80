"""Natural user code type-checks under ``mypy --strict`` with no ignores, and the types are the useful ones.

``user_code.py`` is what a user writes (decorated tools, prompts and
resources, a client, futures, tasks, elicitation with a dataclass). mypy
checks it with ``--strict``; the package's own modules are followed
silently (their strictness is a separate matter), so every error reported
is one a user would see in their own code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the test extra installs mypy")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

REVEAL = '''
from dataclasses import dataclass
from mcp_sync import Client, Context, Server

server = Server("r")

@dataclass
class Answer:
    name: str

@server.tool()
def add(a: int, b: int) -> int:
    return a + b

def f(ctx: Context, client: Client) -> None:
    reveal_type(add)
    reveal_type(ctx.elicit("x", Answer))
    reveal_type(ctx.client_info)
    reveal_type(client.nowait.call_tool("a"))
    reveal_type(client.server_info)
    reveal_type(client.call_tool_as_task("x", {}).result())
'''

EXPECTED = [
    'def (a: int, b: int) -> int',
    'mcp_sync.server.elicitation.ElicitationResult[reveal_me.Answer]',
    'mcp_sync.types.lifecycle.Implementation | None',
    'mcp_sync.client.futures.McpFuture[mcp_sync.types.tools.CallToolResult]',
    'mcp_sync.types.lifecycle.Implementation"',
    'mcp_sync.types.tools.CallToolResult',
]


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                           "--cache-dir=/dev/null", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_user_code_is_clean_under_strict_mypy():
    source = (HERE / "user_code.py").read_text()
    assert "type: ignore" not in source
    done = mypy(str(HERE / "user_code.py"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_the_types_a_user_sees(tmp_path):
    module = tmp_path / "reveal_me.py"
    module.write_text(REVEAL)
    done = mypy(str(module))
    notes = [line for line in done.stdout.splitlines() if "Revealed type is" in line]
    assert len(notes) == len(EXPECTED), done.stdout
    for note, expected in zip(notes, EXPECTED):
        assert expected in note, (note, expected)


def test_user_code_runs():
    from werkzeug.test import Client as WsgiClient

    from tests.typing import user_code

    user_code.serve_over_http()
    site = WsgiClient(user_code.application)
    assert site.get("/").get_data(as_text=True) == "hello"
    answer = site.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        headers={"Accept": "application/json, text/event-stream", "Host": "localhost"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
