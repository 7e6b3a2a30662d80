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

GUIDES = ["quickstart", "servers", "clients", "middleware", "extensions", "composition", "eras", "tasks",
          "deployment", "security", "cli", "integrations", "development"]
API_PAGES = ["mcp_sync", "server", "client", "errors", "types", "tasks", "otel", "skills", "proxy", "http", "testing",
             "integrations"]


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


def test_the_features_merged_after_the_first_site_have_api_entries(site):
    """Middleware, tracing, extensions, Skills, Apps, composition, client group and cache, Celery."""
    expected = {
        "mcp_sync": ["mcp_sync.Server.add_middleware", "mcp_sync.Server.add_extension", "mcp_sync.Server.mount",
                     "mcp_sync.Client.add_middleware", "mcp_sync.Client.server_extension", "mcp_sync.Client.skills"],
        "server": ["mcp_sync.server.Call", "mcp_sync.server.middlewares.ErrorMasking",
                   "mcp_sync.server.middlewares.RateLimiting", "mcp_sync.server.middlewares.ResponseCaching",
                   "mcp_sync.server.extensions.Extension", "mcp_sync.server.extensions.ExtensionSetup.method",
                   "mcp_sync.server.extensions.client_extension", "mcp_sync.server.mount.Mount"],
        "client": ["mcp_sync.client.group.ClientGroup", "mcp_sync.client.group.NameCollision",
                   "mcp_sync.client.cache.ClientCache"],
        "otel": ["mcp_sync.otel.instrument"],
        "skills": ["mcp_sync.skills.Skills", "mcp_sync.skills.SkillsClient", "mcp_sync.skills.SkillVerificationError",
                   "mcp_sync.apps.Apps", "mcp_sync.apps.tool_ui", "mcp_sync.apps.read_app"],
        "proxy": ["mcp_sync.proxy.ProxyServer"],
        "integrations": ["mcp_sync.integrations.celery.CeleryTasks", "mcp_sync.integrations.celery.report_progress"],
    }
    pages = {page: (site / "api" / f"{page}.html").read_text(encoding="utf-8") for page in expected}
    for page, anchors in expected.items():
        for anchor in anchors:
            assert f'id="{anchor}"' in pages[page], f"{anchor} is not documented on api/{page}"
    # Each object once: the re-exported names are not documented a second time under their defining module.
    everything = "".join((site / "api" / f"{page}.html").read_text(encoding="utf-8") for page in API_PAGES)
    for anchor in ["mcp_sync.skills.Skills", "mcp_sync.proxy.ProxyServer", "mcp_sync.server.Call"]:
        assert everything.count(f'id="{anchor}"') == 1, anchor
    for duplicate in ["mcp_sync.skills.server.Skills", "mcp_sync.server.middleware.Call"]:
        assert f'id="{duplicate}"' not in everything, duplicate


def test_the_guides_link_the_new_pages(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    for page in ["middleware", "extensions", "composition"]:
        assert f'href="{page}.html"' in index, page
    cli = (site / "cli.html").read_text(encoding="utf-8")
    assert "mcp-sync skills list" in cli and "mcp-sync proxy --http 8000" in cli
    assert "answers no questions" not in cli and "asks each field of the form" in cli
    integrations = (site / "integrations.html").read_text(encoding="utf-8")
    assert "Tasks on Celery" in integrations


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
