"""The official conformance suite's 2026-07-28 server leg against examples/everything_server.py over HTTP.

One endpoint serves both eras, so this runs the stateless leg (``--spec-version
2026-07-28``: server/discover, per-request ``_meta``, MRTR, subscriptions/listen,
caching hints, header validation) and then, against the same server process, the
2025-11-25 leg (``initialize`` sessions) to prove the two wires coexist.
``expected-failures-server-2026.yml`` lists the scenarios or checks known to fail
(only real, open gaps); with a baseline the harness also fails on any WARNING and on
entries that pass again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import harness
from tests.conformance.test_server_2025 import EXPECTED_FAILURES as EXPECTED_FAILURES_2025

pytestmark = pytest.mark.conformance

EXPECTED_FAILURES = Path(__file__).with_name("expected-failures-server-2026.yml")


def test_server_leg_2026_07_28(everything_server, tmp_path):
    run = harness.run_server(everything_server.url, suite="all", spec_version="2026-07-28",
                             expected_failures=EXPECTED_FAILURES, output_dir=tmp_path)
    assert run.ok, run.summary() + "\n--- server output ---\n" + everything_server.output()
    ran = [s for s in run.scenarios.values() if s.status != "skipped"]
    assert len(ran) == 40, sorted(run.scenarios)
    assert all(s.passed for s in ran), run.summary()


def test_legacy_leg_on_the_same_endpoint(everything_server, tmp_path):
    """After the stateless leg, the same process still serves 2025-11-25 sessions in full."""
    run = harness.run_server(everything_server.url, suite="all", spec_version="2025-11-25",
                             expected_failures=EXPECTED_FAILURES_2025, output_dir=tmp_path)
    assert run.ok, run.summary() + "\n--- server output ---\n" + everything_server.output()
    ran = [s for s in run.scenarios.values() if s.status != "skipped"]
    assert len(ran) == 33, sorted(run.scenarios)
