"""The official harness's three Skills server scenarios (SEP-2640) against examples/everything_server.py.

The harness SKIPs every check when the extension is not declared, so a scenario counts only
when real checks ran: at least one SUCCESS besides ``wire-schema-valid``, no FAILURE and no
SKIPPED (warnings are tolerated, as the harness does in server mode).
"""

from __future__ import annotations

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

SKILLS_SCENARIOS = ["sep-2640-skills-enumeration", "sep-2640-skills-manifest", "sep-2640-skills-directory"]


@pytest.mark.parametrize("scenario", SKILLS_SCENARIOS)
def test_skills_scenario(everything_server, scenario, tmp_path):
    run = harness.run_server(everything_server.url, scenario=scenario, output_dir=tmp_path)
    report = run.summary() + "\n--- server output ---\n" + everything_server.output()
    assert run.exit_code == 0 and not run.timed_out, report
    result = run.scenarios.get(scenario)
    assert result is not None and result.has_checks, report
    checks = result.checks
    statuses = {c.id: c.status for c in checks}
    assert any(c.status == "SUCCESS" and c.id != "wire-schema-valid" for c in checks), (scenario, statuses)
    assert not [c for c in checks if c.status in ("FAILURE", "SKIPPED")], (scenario, [
        (c.id, c.status, c.error_message) for c in checks if c.status in ("FAILURE", "SKIPPED")])
