"""Official conformance client scenarios (2025-11-25 wire) for examples/everything_client.py, one by one.

In ``--scenario`` mode the harness fails a scenario on any FAILURE or WARNING, a
time-out, or a non-zero exit of the client. ``expected-failures-client-2025.yml``
lists known, open gaps (``scenario`` or ``scenario:check-id``); entries for the
scenario being run are passed to the harness as its baseline.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING_CLIENT = ROOT / "examples" / "everything_client.py"
EXPECTED_FAILURES = Path(__file__).with_name("expected-failures-client-2025.yml")
SCENARIOS = ["initialize", "tools_call", "elicitation-sep1034-client-defaults", "sse-retry"]


def expected_failures(scenario: str) -> list[str]:
    entries = re.findall(r"^\s*-\s*['\"]?([^'\"\s#]+)", EXPECTED_FAILURES.read_text(), flags=re.MULTILINE)
    return [e for e in entries if e == scenario or e.startswith(scenario + ":")]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_client_scenario(scenario, tmp_path):
    assert EVERYTHING_CLIENT.is_file(), f"{EVERYTHING_CLIENT} is missing"
    baseline = expected_failures(scenario)
    run = harness.run_client(shlex.join([sys.executable, str(EVERYTHING_CLIENT)]), scenario,
                             output_dir=tmp_path, timeout_ms=30_000,
                             expected_failures=baseline or None)
    assert run.ok, run.summary()
    if not baseline:
        result = run.result
        assert result is not None and result.status == "passed", run.summary()
