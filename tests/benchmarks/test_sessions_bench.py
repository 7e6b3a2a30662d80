"""The sessions benchmark (issue #21) on small counts: it runs, and what it reports holds.

Not timed: the figures checked are thread counts of the server process (read
from /proc), which do not depend on the machine's speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's threads from /proc")
def test_idle_sessions_cost_no_threads_and_each_get_stream_one():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sessions.py"), "--counts", "40",
                           "--connections", "2"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    [row] = summary["sessions"]
    assert row["sessions"] == 40 and row["sessions_per_s"] > 0
    # 40 idle sessions: the server keeps only its constant threads (accept loop, timer, reaper...).
    assert row["threads_idle"] <= row["threads_before"] + 4, row
    # An open GET stream costs its connection's thread (the WSGI floor) and nothing more.
    assert row["threads_idle"] + 40 <= row["threads_streams"] <= row["threads_idle"] + 40 + 4, row
    assert "opened/s" in proc.stdout
