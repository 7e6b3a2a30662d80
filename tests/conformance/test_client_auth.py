"""Official conformance ``auth/*`` client scenarios for examples/auth_client_scenarios.py, one by one.

In ``--scenario`` mode the harness fails a scenario on any FAILURE or WARNING, a
time-out, or a non-zero exit of the client (except scenarios where refusing is
the expected outcome). Every scenario must pass; ``status == "passed"`` also
rules out runs that recorded no checks at all.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parents[2]
AUTH_CLIENT = ROOT / "examples" / "auth_client_scenarios.py"

AUTH_SCENARIOS = [
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/authorization-server-migration",
    "auth/iss-supported",
    "auth/iss-not-advertised",
    "auth/iss-supported-missing",
    "auth/iss-wrong-issuer",
    "auth/iss-unexpected",
    "auth/iss-normalized",
    "auth/metadata-issuer-mismatch",
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/enterprise-managed-authorization",
    "auth/dpop",
    "auth/dpop-nonce",
    "auth/wif-jwt-bearer",
]


def test_every_auth_scenario_of_the_harness_is_covered():
    listed = {name for name in harness.list_scenarios("client") if name.startswith("auth/")}
    assert listed == set(AUTH_SCENARIOS)


@pytest.mark.parametrize("scenario", AUTH_SCENARIOS)
def test_auth_client_scenario(scenario, tmp_path):
    assert AUTH_CLIENT.is_file(), f"{AUTH_CLIENT} is missing"
    run = harness.run_client(shlex.join([sys.executable, str(AUTH_CLIENT)]), scenario,
                             output_dir=tmp_path, timeout_ms=30_000)
    assert run.ok, run.summary()
    result = run.result
    assert result is not None and result.status == "passed", run.summary()


#: Scenarios the harness also runs at 2026-07-28: there the same client speaks the stateless wire
#: (server/discover, per-request _meta) through mcp_sync.Client.http, with the same OAuth object.
MODERN_AUTH_SCENARIOS = ["auth/metadata-default", "auth/scope-step-up", "auth/pre-registration", "auth/iss-supported"]


@pytest.mark.parametrize("scenario", MODERN_AUTH_SCENARIOS)
def test_auth_client_scenario_on_the_2026_wire(scenario, tmp_path):
    run = harness.run_client(shlex.join([sys.executable, str(AUTH_CLIENT)]), scenario, output_dir=tmp_path,
                             timeout_ms=30_000, spec_version="2026-07-28")
    assert run.ok, run.summary()
    result = run.result
    assert result is not None and result.status == "passed", run.summary()
