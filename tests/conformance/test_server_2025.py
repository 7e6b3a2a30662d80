"""The official conformance suite's 2025-11-25 server leg against examples/everything_server.py over HTTP.

The server runs as ``python examples/everything_server.py --port 0`` (the built-in
HTTP server on 127.0.0.1; it prints ``... listening on <url>`` on stderr when ready).
``expected-failures-server-2025.yml`` lists the scenarios or checks known to fail
(only real, open gaps); the harness fails the run on anything else, and on entries
that pass again.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING_SERVER = ROOT / "examples" / "everything_server.py"
EXPECTED_FAILURES = Path(__file__).with_name("expected-failures-server-2025.yml")
READY = re.compile(r"listening on (http://127\.0\.0\.1:\d+/mcp)")


class EverythingServer:
    """The example server as a child process; its output is kept for failure reports."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(EVERYTHING_SERVER), "--port", "0"], cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            encoding="utf-8", errors="replace")
        self.lines: list[str] = []
        self.url = self._wait_ready()
        self._drain = threading.Thread(target=self._keep_reading, name="test-everything-server-output", daemon=True)
        self._drain.start()

    def _wait_ready(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:  # blocks until the server prints, or exits
            self.lines.append(line)
            match = READY.search(line)
            if match:
                return match.group(1)
        self.process.wait()
        raise RuntimeError(f"{EVERYTHING_SERVER.name} exited with {self.process.returncode} before listening:\n"
                           + "".join(self.lines[-50:]))

    def _keep_reading(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self) -> int:
        self.process.terminate()  # SIGTERM: graceful shutdown
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._drain.join()
        return code

    def output(self, lines: int = 80) -> str:
        return "".join(self.lines[-lines:])


def test_server_leg_2025_11_25(everything_server, tmp_path):
    run = harness.run_server(everything_server.url, suite="all", spec_version="2025-11-25",
                             expected_failures=EXPECTED_FAILURES, output_dir=tmp_path)
    assert run.ok, run.summary() + "\n--- server output ---\n" + everything_server.output()
    ran = [s for s in run.scenarios.values() if s.status != "skipped"]
    assert len(ran) == 33, sorted(run.scenarios)


def test_server_keeps_serving_after_the_suite(everything_server):
    """The suite's abuse (bad Host/Origin, deleted sessions) leaves the server healthy."""
    import requests

    response = requests.post(everything_server.url, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        headers={"Accept": "application/json, text/event-stream"}, timeout=30)
    assert response.status_code == 200 and response.headers.get("Mcp-Session-Id")
