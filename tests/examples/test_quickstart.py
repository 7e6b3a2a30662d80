"""The quickstart examples, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcp_sync.testing import assert_tool_result

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


EXPECTED_CLIENT_OUTPUT = """\
connected to quickstart 1.0 (protocol 2026-07-28)
instructions: Arithmetic, greetings and a countdown with progress.
tools:
  add: Add two numbers.
  greet: Say hello to someone.
  countdown: Count down from `start`, reporting progress after every step.
add(2, 3) = 5
greet: Hello, Ada!
countdown(start=3):
  progress 1/3: 2 to go
  progress 2/3: 1 to go
  progress 3/3: 0 to go
  Liftoff!
countdown(start=-1) failed as expected: True: ValueError: start must not be negative
doubles: [0, 2, 4, 6, 8]
resource: The mcp_sync quickstart server.
prompt: Please review this code:
"""


def test_quickstart_client_as_make_example_runs_it():
    done = run_example("examples/quickstart_client.py")  # what `make example` runs, from the repository root
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_CLIENT_OUTPUT
    # the server's log (its stderr) shows the one tool that raised, at WARNING with its traceback, and nothing else
    assert done.stderr.startswith("tool 'countdown' raised ValueError\nTraceback"), done.stderr
    assert done.stderr.rstrip().endswith("ValueError: start must not be negative")
    assert done.stderr.count("Traceback") == 1


def test_quickstart_client_from_another_directory(tmp_path):
    done = run_example(str(EXAMPLES / "quickstart_client.py"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_CLIENT_OUTPUT


@pytest.fixture
def mcp_server_script() -> str:
    """What the plugin's mcp_stdio_client runs (mcp_sync.pytest_plugin)."""
    return str(EXAMPLES / "quickstart_server.py")


def test_quickstart_server_over_stdio(mcp_stdio_client, mcp_progress):
    client = mcp_stdio_client
    assert [tool.name for tool in client.list_tools()] == ["add", "greet", "countdown"]
    result = client.call_tool("countdown", {"start": 2, "delay": 0}, progress=mcp_progress)
    assert_tool_result(result, text="Liftoff!")
    mcp_progress.assert_progress([1, 2], total=2, messages=["1 to go", "0 to go"])
    assert_tool_result(client.call_tool("greet", {"name": "Bob"}), text="Hello, Bob.")


@pytest.mark.parametrize("args, expected", [
    (["call", "examples/quickstart_server.py", "add", "a=2", "b=40"], '{\n  "result": 42\n}\n'),
    (["call", "examples/quickstart_server.py", "greet", "name=Ada"], "Hello, Ada.\n"),
    (["call", "examples/quickstart_server.py", "countdown", "start=2", "delay=0"], "Liftoff!\n"),
])
def test_quickstart_server_with_the_cli(args, expected):
    done = subprocess.run([sys.executable, "-m", "mcp_sync", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_make_example_installs_only_the_package(tmp_path):
    """`make example` (README's first command) installs mcp_sync alone, not the test extra."""
    import shutil

    if shutil.which("make") is None:
        pytest.fail("make is needed to check the README's first command")
    # a dry run in a copy-free way: point VENV at an empty folder so every step is listed
    done = subprocess.run(["make", "-n", "example", f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    installs = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert installs and all("[test]" not in line for line in installs), installs
    assert "examples/quickstart_client.py" in done.stdout
