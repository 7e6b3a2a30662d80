"""A fixture for suites that test the legacy era (initialize, sessions, server-to-client requests).

Our servers serve both eras on one endpoint and clients detect the era by
default, so those suites pin their clients (and the CLI and example processes
they start, through the environment) to the legacy wire. The cross-era
behaviour is tested in tests/modern_client and tests/modern_server.
"""

import pytest


@pytest.fixture(autouse=True)
def legacy_era(monkeypatch):
    monkeypatch.setenv("MCP_SYNC_PROTOCOL", "legacy")
