"""The documentation site builds with Sphinx, warnings as errors.

Runs exactly what ``make docs`` runs (``sphinx-build -W --keep-going -b html
docs OUT``; nitpicky off) into a temporary directory, so a docstring autodoc
cannot parse, a broken cross-reference to a page, a page left out of every
toctree or a module that no longer imports fails the test run. The build is
offline: the alabaster theme ships with Sphinx and no extension downloads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

GUIDES = ["quickstart", "servers", "clients", "eras", "tasks", "deployment", "security", "cli", "integrations",
          "development"]
API_PAGES = ["mcp_sync", "server", "client", "errors", "types", "tasks", "http", "testing", "integrations"]


def sphinx_build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / ".doctrees"), str(source), str(out / "html")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs-site")
    proc = sphinx_build(DOCS, out)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and "WARNING" not in output and "ERROR" not in output, (
        f"sphinx-build -W failed (exit {proc.returncode}):\n{output}")
    return out / "html"


def test_the_site_builds_without_a_warning(site):
    for page in ["index", *GUIDES, *(f"api/{name}" for name in API_PAGES), "genindex", "py-modindex"]:
        assert (site / f"{page}.html").is_file(), f"{page}.html was not built"


def test_the_api_reference_is_generated_from_the_docstrings(site):
    def ids(page: str) -> str:
        return (site / "api" / f"{page}.html").read_text(encoding="utf-8")

    top = ids("mcp_sync")
    for anchor in ["mcp_sync.Server", "mcp_sync.Server.tool", "mcp_sync.Client", "mcp_sync.Client.call_tool",
                   "mcp_sync.Client.stdio", "mcp_sync.Context.elicit", "mcp_sync.Task.result", "mcp_sync.Field"]:
        assert f'id="{anchor}"' in top, anchor
    # The docstring's own words, not just a heading: autodoc read them.
    assert "An MCP client. Use it as a context manager" in top
    assert 'id="mcp_sync.errors.McpSyncError"' in ids("errors")
    assert 'id="mcp_sync.errors.ServerUnreachable"' in ids("errors")
    assert 'id="mcp_sync.types.CallToolResult"' in ids("types")
    assert 'id="mcp_sync.tasks.TaskStore"' in ids("tasks")
    assert 'id="mcp_sync.tasks.RedisTaskStore"' in ids("tasks")
    assert 'id="mcp_sync.http.McpWsgiApp"' in ids("http")
    assert 'id="mcp_sync.server.Middleware"' in ids("server") or 'id="mcp_sync.server.Call"' in ids("server")
    assert 'id="mcp_sync.integrations.django.mcp_view"' in ids("integrations")


def test_the_eras_page_has_the_difference_table(site):
    page = (site / "eras.html").read_text(encoding="utf-8")
    assert "<table" in page
    for row in ["Opening", "Server asks the client", "Streamable HTTP", "Tasks", "Error codes"]:
        assert row in page, row


def test_a_docstring_autodoc_cannot_parse_fails_the_build(tmp_path):
    """The same command on a tiny project whose module has a broken docstring exits non-zero."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "broken_module.py").write_text(
        '"""A module.\n\n    indented without a colon-colon\n  dedented again\n"""\n\n'
        'def f():\n    """See `unclosed."""\n', encoding="utf-8")
    (source / "conf.py").write_text(
        "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
        "extensions = ['sphinx.ext.autodoc']\nhtml_theme = 'alabaster'\n", encoding="utf-8")
    (source / "index.rst").write_text("Broken\n======\n\n.. automodule:: broken_module\n   :members:\n",
                                      encoding="utf-8")
    proc = sphinx_build(source, tmp_path / "out")
    assert proc.returncode != 0
    assert "broken_module" in proc.stderr
