"""The official harness's four Skills host scenarios (SEP-2640) for examples/everything_client.py.

Each runs alone in ``--scenario`` mode. A scenario counts as passed only when its checks
really ran: at least one SUCCESS (the harness SKIPs them when the client never lists
skills, and scores an all-SKIPPED run as a pass), no FAILURE, WARNING or SKIPPED.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING_CLIENT = ROOT / "examples" / "everything_client.py"
SCENARIOS = ["sep-2640-client-no-prefetch", "sep-2640-client-verify-digest", "sep-2640-client-verify-size",
             "sep-2640-client-verify-frontmatter"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_skills_client_scenario(scenario, tmp_path):
    run = harness.run_client(shlex.join([sys.executable, str(EVERYTHING_CLIENT)]), scenario,
                             output_dir=tmp_path, timeout_ms=30_000)
    assert run.ok, run.summary()
    result = run.result
    assert result is not None and result.status == "passed", run.summary()
    checks = result.checks
    assert any(c.status == "SUCCESS" and c.id != "wire-schema-valid" for c in checks), run.summary()
    bad = [(c.id, c.status, c.error_message) for c in checks if c.status in ("FAILURE", "WARNING", "SKIPPED")]
    assert not bad, (bad, result.client_stdout, result.client_stderr)
    if scenario != "sep-2640-client-no-prefetch":  # the tampered SKILL.md was read, then refused
        assert "refused skill" in (result.client_stdout or ""), result.client_stdout
