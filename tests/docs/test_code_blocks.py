"""Every Python code block of the documentation site runs, from the repository root.

Like tests/test_readme.py does for README.rst: each ``.. code-block:: python``
of docs/ runs in its own interpreter (``python -c``, stdin closed, the
checkout's mcp_sync first on the path) and must exit 0. A block that defines
``test_*`` functions is a test module and runs under pytest, with mcp_sync's
plugin. Blocks that name ``REDIS_URL``
get a real redis-server of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.docs.blocks import ROOT, all_blocks, blocks_of, pages

BLOCKS = all_blocks()


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def redis_url():
    from tests.stores.conftest import RedisServer, _redis_unavailable

    reason = _redis_unavailable()
    if reason is not None:
        if os.environ.get("MCP_SYNC_REQUIRE_REDIS"):
            pytest.fail(reason)
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="mcp-sync-docs-redis-"))
    server = RedisServer(shutil.which("redis-server"), directory).start()  # type: ignore[arg-type]
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_the_extractor_finds_blocks_at_every_indentation(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n"
        ".. code-block:: python\n\n   print(1)\n\n   print(2)\n\nText.\n\n"
        "Term\n    .. code-block:: python\n        :caption: nested\n\n        x = 3\n        print(x)\n\n"
        ".. code-block:: console\n\n   $ echo no\n", encoding="utf-8")
    found = blocks_of(page)
    assert [block.code for block in found] == ["print(1)\n\nprint(2)\n", "x = 3\nprint(x)\n"]


def test_every_guide_page_has_python_examples():
    without = [page.name for page in pages() if "api" not in page.parts and page.name not in ("index.rst", "development.rst", "cli.rst")
               and not blocks_of(page)]
    assert without == []
    assert len(BLOCKS) >= 15


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_docs_block_runs(block, request, tmp_path):
    extra = {}
    if "REDIS_URL" in block.code:
        extra["REDIS_URL"] = request.getfixturevalue("redis_url")
    if block.is_pytest_module:
        module = tmp_path / "test_docs_example.py"
        module.write_text(block.code, encoding="utf-8")
        # An installed mcp_sync loads its plugin through the pytest11 entry point; the checkout
        # under test may not be the installed one, so the plugin is named (the two never clash).
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mcp_sync.pytest_plugin",
                   str(module)]
        cwd = tmp_path
    else:
        command = [sys.executable, "-c", block.code]
        cwd = ROOT
    proc = subprocess.run(command, cwd=cwd, env=_env(**extra), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (f"docs/{block.name} failed (exit {proc.returncode}):\n{block.code}\n"
                                  f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
