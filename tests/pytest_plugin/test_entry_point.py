"""The plugin is declared as a pytest11 entry point in the metadata setuptools builds from setup.cfg.

The metadata is built from a copy of the project (``egg_info``, what pip's build
writes into the wheel's ``entry_points.txt``), read back through
``importlib.metadata``, and the entry point loaded the way pytest loads it.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_metadata_declares_the_pytest11_entry_point(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.rst"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "mcp_sync", source / "mcp_sync", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "meta"
    out.mkdir()
    build = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info",
                            "--egg-base", str(out)], cwd=source, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (egg_info,) = out.glob("*.egg-info")
    dist = importlib.metadata.PathDistribution(egg_info)
    assert dist.metadata["Name"] == "mcp-sync"
    files = (egg_info / "SOURCES.txt").read_text().split()
    assert {"mcp_sync/pytest_plugin.py", "mcp_sync/testing.py", "mcp_sync/integrations/django.py"} <= set(files)
    assert "django" in dist.metadata.get_all("Provides-Extra")

    (entry,) = dist.entry_points.select(group="pytest11")
    assert (entry.name, entry.value) == ("mcp_sync.pytest_plugin", "mcp_sync.pytest_plugin")
    plugin = entry.load()  # what pytest does with it
    assert hasattr(plugin, "pytest_addoption") and hasattr(plugin, "mcp_client")
