"""examples/tasks_process_pool.py, run as a user runs it (its --stdio mode is in test_process_pool.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tasks_process_pool.py"


def test_process_pool_example_demo(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "connected to process-pool-demo (protocol 2025-11-25)",
        "four tasks at once: [1229, 2262, 3245, 4203]",
        "all counted in worker processes: yes",
        "a tool error: task failed: ValueError: below must be at least 2",
        "a Context tool as a task: refused (-32603)",
        "the same tool without a task: 'hello' has 5 characters",
    ]
