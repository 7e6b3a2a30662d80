"""examples/tasks_client.py and examples/tasks_server.py, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
import threading

from mcp_sync import Client
from tests.tasks_wire.conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_tasks_client_example(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / "tasks_client.py")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "connected to tasks-demo (protocol 2025-11-25)"
    assert lines[1].startswith("task ") and lines[1].endswith("created: ttl 120000 ms, poll every 100 ms")
    assert lines[2] == "  immediate response: The build has started; its result will follow when it is done."
    assert "  server asks: Half-way (3/6). Go on?" in lines
    statuses = next(line for line in lines if line.startswith("statuses seen: "))
    assert statuses.startswith("statuses seen: working") and statuses.endswith("-> completed")
    assert "result: built 'release-1.0' in 6 steps" in lines
    assert "progress reports: 6 (last: step 6 of 6)" in lines
    assert lines[-2:] == ["cancelling a second build: cancelled", "its final status: cancelled"]


def test_tasks_server_example_over_stdio_declined_and_cancelled():
    asked = threading.Event()

    def decline(params):
        asked.set()
        return {"action": "decline"}

    command = [sys.executable, str(EXAMPLES / "tasks_server.py")]
    with Client.stdio(command, protocol_version="2025-11-25", elicitation=decline, stderr=None) as client:
        assert [t.name for t in client.list_tools()] == ["build"]
        task = client.call_tool_as_task("build", {"steps": 2})
        assert task.result(timeout=60).content[0].text == "stopped after step 1 (decline)"
        assert asked.is_set() and task.status().status == "completed"
        long = client.call_tool_as_task("build", {"steps": 10_000})
        assert long.cancel().status == "cancelled"
        assert long.wait(timeout=60).status == "cancelled"
