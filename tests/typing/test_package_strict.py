"""The package itself passes ``mypy --strict`` (issue #17): every module, no error.

Reasoned ``# type: ignore[code]`` comments are allowed where mypy cannot see
that the code is right (untyped third-party modules, typeshed gaps); a bare
ignore is not, and neither is an unused one (``--strict`` warns about it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the test extra installs mypy")

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_passes_mypy_strict():
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null",
                           "mcp_sync"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_every_type_ignore_names_its_code_and_reason():
    bare = []
    for path in sorted((ROOT / "mcp_sync").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" in line and not re.search(r"type: ignore\[[a-z-, ]+\]", line):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == [], "bare type: ignore comments:\n" + "\n".join(bare)
