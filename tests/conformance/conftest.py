"""Fixtures shared by the server legs: one examples/everything_server.py process per test module."""

from __future__ import annotations

import pytest

from tests.conformance.test_server_2025 import EVERYTHING_SERVER, EverythingServer


@pytest.fixture(scope="module")
def everything_server():
    assert EVERYTHING_SERVER.is_file(), f"{EVERYTHING_SERVER} is missing"
    server = EverythingServer()
    yield server
    code = server.stop()
    assert code == 0, f"the server did not shut down cleanly on SIGTERM (exit {code}):\n{server.output()}"
