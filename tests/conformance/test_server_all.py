"""The official conformance suite's bare ``--suite all`` server leg against examples/everything_server.py.

Without ``--spec-version`` the harness runs every server scenario (65 in 0.2.0-alpha.12), each
at the wire it was written for: the 2025-11-25 and 2026-07-28 core scenarios and the extension
scenarios that no versioned leg reaches, above all the ten ``tasks-*`` scenarios of the
2026-07-28 tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663). One endpoint serves it
all. ``expected-failures-server-all.yml`` lists known failures (only real, open gaps); with a
baseline the harness also fails on any WARNING and on entries that pass again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

EXPECTED_FAILURES = Path(__file__).with_name("expected-failures-server-all.yml")

#: The tasks extension scenarios of harness 0.2.0-alpha.12 (SEP-2663).
TASKS_SCENARIOS = frozenset({
    "tasks-lifecycle", "tasks-capability-negotiation", "tasks-wire-fields", "tasks-request-state-removal",
    "tasks-mrtr-input", "tasks-request-headers", "tasks-dispatch-and-envelope", "tasks-status-notifications",
    "tasks-required-task-error", "tasks-mrtr-composition",
})
#: The Skills extension scenarios (SEP-2640).
SKILLS_SCENARIOS = frozenset({"sep-2640-skills-enumeration", "sep-2640-skills-manifest", "sep-2640-skills-directory"})
#: Scenarios the harness itself does not exercise yet (every check SKIPPED by the scenario's own code).
HARNESS_SKIPPED = frozenset({"tasks-status-notifications"})


def test_bare_suite_all(everything_server, tmp_path):
    run = harness.run_server(everything_server.url, suite="all", expected_failures=EXPECTED_FAILURES,
                             output_dir=tmp_path)
    report = run.summary() + "\n--- server output ---\n" + everything_server.output()
    assert run.ok, report
    ran = {name: s for name, s in run.scenarios.items() if s.status != "skipped"}
    assert len(ran) == 65, sorted(run.scenarios)
    assert all(s.passed for s in ran.values()), report
    assert TASKS_SCENARIOS <= set(ran), sorted(TASKS_SCENARIOS - set(ran))
    for name in sorted(TASKS_SCENARIOS - HARNESS_SKIPPED):  # really exercised, not skipped past
        checks = ran[name].checks
        assert any(c.status == "SUCCESS" and c.id != "wire-schema-valid" for c in checks), (name, checks)
        assert not [c for c in checks if c.status in ("FAILURE", "WARNING")], (name, checks)
    for name in SKILLS_SCENARIOS:  # declared by the example server: every check really runs
        checks = ran[name].checks
        assert any(c.status == "SUCCESS" and c.id != "wire-schema-valid" for c in checks), (name, checks)
        assert not [c for c in checks if c.status in ("FAILURE", "WARNING", "SKIPPED")], (name, checks)
    for name in HARNESS_SKIPPED:  # when a harness update starts checking it, this leg must be looked at again
        assert {c.status for c in ran[name].checks} == {"SKIPPED"}, (name, ran[name].checks)
