"""A short soak run of ``benchmarks/soak.py`` on each transport, and the checks it relies on.

Each run is about 10 s against ``examples/everything_server.py``: no lost or
duplicated results (also across an event-store outage: Redis killed mid-run), no leaked threads or file descriptors in the server, memory
growth under the stated bound. The long version is the same command with more
``--seconds`` and ``--clients``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "benchmarks" / "soak.py"
SECONDS = 10
CLIENTS = 4


def _load():
    spec = importlib.util.spec_from_file_location("mcp_sync_bench_soak", SOAK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_short_soak(transport, tmp_path):
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, str(SOAK), "--transport", transport, "--seconds", str(SECONDS),
                           "--clients", str(CLIENTS), "--json-out", str(out)],
                          capture_output=True, text=True, timeout=SECONDS + 150, cwd=ROOT)
    assert out.exists(), done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["failures"] == [] and report["ok"], json.dumps(report, indent=2)
    assert done.returncode == 0
    ops = report["ops"]
    expected = {"echo", "progress", "logging", "sampling", "resource", "prompt", "error", "cancel", "reconnect"}
    if transport == "http":
        expected.add("resume")
        assert report["server_exit_code"] == 0
    assert expected <= set(ops), ops  # every kind of operation ran
    assert report["requests"] > 50
    if "leak_checks" not in report:  # Linux: the /proc figures were read and checked
        assert report["rss_growth_mb"] < 32


def test_short_soak_with_an_event_store_outage(tmp_path):
    """Events in a real redis-server, killed for 5 s mid-run: nothing lost or duplicated, a short server log."""
    if shutil.which("redis-server") is None:
        if os.environ.get("MCP_SYNC_REQUIRE_REDIS"):
            pytest.fail("redis-server is not on PATH")
        pytest.skip("redis-server is not on PATH")
    seconds, outage = 16, 5
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, str(SOAK), "--transport", "http", "--seconds", str(seconds),
                           "--clients", str(CLIENTS), "--store-outage", str(outage), "--max-store-log-lines", "10",
                           "--json-out", str(out)],
                          capture_output=True, text=True, timeout=seconds + 150, cwd=ROOT)
    assert out.exists(), done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["failures"] == [] and report["ok"], json.dumps(report, indent=2)
    assert done.returncode == 0
    assert report["lost"] == 0 and report["duplicated"] == 0
    assert report["store_outage"] == {"began_at_s": 5.5, "seconds": 5.0, "cut_short": False}
    assert 2 <= report["store_log_lines"] <= 10  # "NOT being stored" once, "recovered" once, few summaries
    assert {"echo", "cancel", "reconnect", "resume", "task"} <= set(report["ops"]), report["ops"]
    last = done.stderr.strip().splitlines()[-2]  # the summary line, then PASS
    assert last.startswith("soak: ") and "lost 0, duplicated 0" in last and "threads" in last, last


def test_the_ledger_catches_lost_duplicated_and_wrong_results():
    soak = _load()
    ledger = soak.Ledger("t")
    echo = {"name": soak.ECHO_TOOL, "arguments": {"name": "a", "email": "b"}}
    expected_text = "Received: " + json.dumps(echo["arguments"], sort_keys=True)
    for rid in (1, 2, 3, 4):
        ledger.on_send({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": echo})
    ledger.on_send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 4}})

    def answer(rid, text):
        ledger.on_receive(json.dumps({"jsonrpc": "2.0", "id": rid, "result": {
            "content": [{"type": "text", "text": text}]}}))

    answer(1, expected_text)  # right
    answer(2, expected_text)
    answer(2, expected_text)  # duplicated
    # 3: lost;  4: cancelled, never answered: fine
    answer(9, expected_text)  # never sent
    ledger.on_send({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": echo})
    answer(5, "Received: {}")  # wrong value
    problems = ledger.verify()
    assert any("2" in p and "answered twice" in p for p in problems)
    assert any("request 3" in p and "never answered" in p for p in problems)
    assert any("id 9" in p and "never sent" in p for p in problems)
    assert any("request 5" in p and "wrong value" in p for p in problems)
    assert not any("request 1 " in p or "request 4" in p for p in problems)
    assert len(problems) == 4
    assert (ledger.lost, ledger.duplicated) == (1, 1)  # the figures the summary line prints


def test_the_run_is_bounded():
    soak = _load()
    with pytest.raises(ValueError):
        soak.Soak("http", seconds=soak.MAX_SECONDS + 1, clients=1)
    with pytest.raises(ValueError):
        soak.Soak("http", seconds=10, clients=soak.MAX_CLIENTS + 1)
    with pytest.raises(ValueError):
        soak.Soak("carrier-pigeon", seconds=10, clients=1)
    with pytest.raises(ValueError):
        soak.Soak("stdio", seconds=10, clients=1, store_outage=2)
    with pytest.raises(ValueError):
        soak.Soak("http", seconds=10, clients=1, store_outage=6)  # more than half the run
