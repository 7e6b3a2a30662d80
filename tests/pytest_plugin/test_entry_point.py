"""The plugin is declared as a pytest11 entry point in the metadata setuptools builds from setup.cfg.

The metadata is built from a copy of the project (``egg_info``, what pip's build
writes into the wheel's ``entry_points.txt``), read back through
``importlib.metadata``, and the entry point loaded the way pytest loads it.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_metadata(tmp_path: Path) -> Path:
    """The ``.egg-info`` setuptools writes for a copy of the project (what a wheel's metadata is made from)."""
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
    return egg_info


def test_the_package_metadata_declares_the_pytest11_entry_point(tmp_path):
    egg_info = build_metadata(tmp_path)
    dist = importlib.metadata.PathDistribution(egg_info)
    assert dist.metadata["Name"] == "mcp-sync"
    files = (egg_info / "SOURCES.txt").read_text().split()
    assert {"mcp_sync/pytest_plugin.py", "mcp_sync/testing.py", "mcp_sync/integrations/django.py"} <= set(files)
    assert "django" in dist.metadata.get_all("Provides-Extra")

    (entry,) = dist.entry_points.select(group="pytest11")
    assert (entry.name, entry.value) == ("mcp_sync.pytest_plugin", "mcp_sync.pytest_plugin")
    plugin = entry.load()  # what pytest does with it
    assert hasattr(plugin, "pytest_addoption") and hasattr(plugin, "mcp_client")


def test_pytest_loads_the_plugin_from_the_entry_point_alone_and_with_p(tmp_path):
    """With the metadata on the path, pytest autoloads the plugin; an explicit -p as well does not clash."""
    meta = build_metadata(tmp_path).parent
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\nmcp_server = myserver:server\n")
    (project / "myserver.py").write_text("from mcp_sync import Server\n\nserver = Server('ep-demo')\n")
    (project / "test_ep.py").write_text("def test_it(mcp_client):\n    assert mcp_client.server_info.name == 'ep-demo'\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    env["PYTHONPATH"] = os.pathsep.join([str(meta), str(ROOT), env.get("PYTHONPATH", "")])
    for extra in ([], ["-p", "mcp_sync.pytest_plugin"]):
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra], cwd=project,
                             env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"{extra}: {run.stdout}\n{run.stderr}"
        assert "1 passed" in run.stdout
    # -p no:mcp_sync.pytest_plugin turns it off (whatever is installed): the fixture is unknown.
    env["PYTHONPATH"] = str(ROOT)
    bare = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                           "no:mcp_sync.pytest_plugin"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)
    assert bare.returncode != 0 and "fixture 'mcp_client' not found" in bare.stdout
