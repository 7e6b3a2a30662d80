"""examples/everything_client.py outside the harness (the harness runs it in tests/conformance)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_sync.types import Tool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "everything_client.py"


def run_example(scenario: str | None, *args: str, version: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_CONFORMANCE_")}
    if scenario is not None:
        env["MCP_CONFORMANCE_SCENARIO"] = scenario
    if version is not None:
        env["MCP_CONFORMANCE_PROTOCOL_VERSION"] = version
    return subprocess.run([sys.executable, str(EXAMPLE), *args], env=env, cwd="/", capture_output=True,
                          text=True, timeout=60)


def load_example():
    spec = importlib.util.spec_from_file_location("everything_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("scenario", ["no-such-scenario", None])
def test_unknown_scenario_exits_non_zero_with_a_message(scenario):
    done = run_example(scenario, "http://127.0.0.1:9/mcp")
    assert done.returncode != 0
    assert "unknown scenario" in done.stderr
    assert "tools_call" in done.stderr  # lists the known ones


def test_missing_url_and_unsupported_version_exit_non_zero():
    assert "usage" in run_example("initialize").stderr
    done = run_example("initialize", "http://127.0.0.1:9/mcp", version="1999-01-01")
    assert done.returncode != 0 and "not supported" in done.stderr


def test_an_unreachable_server_fails_the_scenario_quickly():
    done = run_example("initialize", "http://127.0.0.1:9/mcp")  # port 9 (discard): nothing listens
    assert done.returncode == 1
    assert "scenario 'initialize' failed" in done.stderr


def test_example_arguments_follow_the_input_schema():
    example = load_example()
    tool = Tool(name="t", input_schema={
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}, "mode": {"enum": ["x", "y"]},
                       "flag": {"type": "boolean"}, "name": {"type": "string", "default": "n"},
                       "opt": {"type": "string"}},
        "required": ["a", "b", "mode", "flag", "name"],
    })
    assert example.example_arguments(tool) == {"a": 2, "b": 3, "mode": "x", "flag": True, "name": "n"}
    assert example.example_arguments(Tool(name="u", input_schema={"type": "object"})) == {}
