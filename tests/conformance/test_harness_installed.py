"""The pinned MCP conformance harness is installed and behaves as tests/conformance/harness.py expects.

These fail (never skip) when scripts/setup_conformance.sh has not been run.
"""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

SERVER_SCENARIOS_WE_RELY_ON = {"server-initialize", "tools-call-simple-text"}
CLIENT_SCENARIOS_WE_RELY_ON = {"initialize", "tools_call", "sse-retry", "elicitation-sep1034-client-defaults"}


def _closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pinned_node_and_harness_are_installed():
    node = harness.find_node()
    out = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == f"v{harness.NODE_VERSION}", out.stdout + out.stderr
    assert harness.find_harness().is_file()
    assert harness.harness_version() == harness.HARNESS_VERSION


def test_scenarios_we_rely_on_are_listed():
    server = harness.list_scenarios("server")
    client = harness.list_scenarios("client")
    assert SERVER_SCENARIOS_WE_RELY_ON <= server.keys(), sorted(server)
    assert CLIENT_SCENARIOS_WE_RELY_ON <= client.keys(), sorted(client)
    # The 2025-11-25 server leg our server is scored on: 33 scenarios, stateful wire.
    leg = harness.list_scenarios("server", spec_version="2025-11-25")
    assert len(leg) == 33, sorted(leg)
    assert "server-stateless" not in leg
    assert server["server-initialize"] == ["2025-06-18", "2025-11-25"]


def test_run_server_reports_failures_from_checks_json(tmp_path):
    url = f"http://127.0.0.1:{_closed_loopback_port()}/mcp"
    run = harness.run_server(url, scenario="server-initialize", output_dir=tmp_path, timeout_ms=10_000)
    assert run.exit_code == 1, run.summary()
    assert not run.ok
    result = run.scenarios["server-initialize"]
    assert result.status == "failed"
    assert "server-initialize" in result.failed_check_ids
    assert result.result_dir.name.startswith("server-server-initialize-")
    summary = run.summary()
    assert "server-initialize" in summary and "FAILURE" in summary


def test_expected_failures_baseline_is_honoured(tmp_path):
    url = f"http://127.0.0.1:{_closed_loopback_port()}/mcp"
    run = harness.run_server(
        url, scenario="server-initialize", expected_failures=["server-initialize"], output_dir=tmp_path
    )
    assert run.exit_code == 0, run.summary()
    assert run.ok


def test_run_client_collects_client_output_and_failures(tmp_path):
    # A "client" that never connects: tools_call records a FAILURE for the missing tool call.
    run = harness.run_client(
        ["python3", "-c", "import sys; print('url=' + sys.argv[-1], file=sys.stderr)"],
        "tools_call",
        output_dir=tmp_path,
        timeout_ms=10_000,
    )
    assert run.exit_code == 1
    assert not run.ok
    result = run.result
    assert result is not None and result.status == "failed", run.summary()
    assert result.client_stderr is not None and "url=http://localhost:" in result.client_stderr


def test_client_that_does_nothing_is_not_counted_as_passing(tmp_path):
    # The harness itself exits 0 here (initialize records no checks when nobody connects).
    run = harness.run_client(["true"], "initialize", output_dir=tmp_path, timeout_ms=10_000)
    assert run.exit_code == 0
    assert run.scenarios["initialize"].status == "empty"
    assert not run.ok
