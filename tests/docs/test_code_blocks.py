"""Every Python code block of the documentation site runs, from the repository root.

Like tests/test_readme.py does for README.rst: each ``.. code-block:: python``
of docs/ runs in its own interpreter (``python -c``, stdin closed, the
checkout's mcp_sync first on the path) and must exit 0. A block that defines
``test_*`` functions is a test module and runs under pytest, with mcp_sync's
plugin. Blocks that name ``REDIS_URL`` get a real redis-server of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.docs.blocks import ROOT, Block, all_blocks, blocks_of, pages

BLOCKS = all_blocks()

#: Blocks run this many at a time: most of a block's time is interpreter start-up and
#: waiting on its own threads, subprocesses and sockets, so some overlap cuts the wall time.
WORKERS = 3


@dataclass(frozen=True)
class Outcome:
    returncode: int | None      # None: not run (skipped)
    output: str                 # stdout and stderr, or why it was skipped


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_block(block: Block, workdir: Path, redis_url: str | None) -> Outcome:
    extra = {}
    if "REDIS_URL" in block.code:
        if redis_url is None:
            return Outcome(None, "needs redis-server and redis-py")
        extra["REDIS_URL"] = redis_url
    if block.is_pytest_module:
        workdir.mkdir(parents=True)
        module = workdir / "test_docs_example.py"
        module.write_text(block.code, encoding="utf-8")
        # An installed mcp_sync loads its plugin through the pytest11 entry point; the checkout
        # under test may not be the installed one, so the plugin is named (the two never clash).
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mcp_sync.pytest_plugin",
                   str(module)]
        cwd = workdir
    else:
        command = [sys.executable, "-c", block.code]
        cwd = ROOT
    proc = subprocess.run(command, cwd=cwd, env=_env(**extra), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    return Outcome(proc.returncode, f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")


@contextmanager
def redis_for_blocks() -> Iterator[str | None]:
    """A private redis-server for the blocks that name REDIS_URL (None when there is none to start)."""
    from tests.stores.conftest import RedisServer, _redis_unavailable

    reason = _redis_unavailable()
    if reason is not None:
        if os.environ.get("MCP_SYNC_REQUIRE_REDIS"):
            pytest.fail(reason)
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="mcp-sync-docs-redis-"))
    server = RedisServer(shutil.which("redis-server"), directory).start()  # type: ignore[arg-type]
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Every block's outcome: run WORKERS at a time, all finished (pool joined) before any test looks."""
    base = tmp_path_factory.mktemp("docs-blocks")
    needs_redis = any("REDIS_URL" in block.code for block in BLOCKS)
    with redis_for_blocks() if needs_redis else nullcontext(None) as redis_url:
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="docs-block") as pool:
            futures = {block.name: pool.submit(run_block, block, base / f"block{i}", redis_url)
                       for i, block in enumerate(BLOCKS)}
            return {name: future.result() for name, future in futures.items()}


def test_the_extractor_finds_blocks_at_every_indentation(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n"
        ".. code-block:: python\n\n   print(1)\n\n   print(2)\n\nText.\n\n"
        "Term\n    .. code-block:: python\n        :caption: nested\n\n        x = 3\n        print(x)\n\n"
        ".. code-block:: console\n\n   $ echo no\n", encoding="utf-8")
    found = blocks_of(page)
    assert [block.code for block in found] == ["print(1)\n\nprint(2)\n", "x = 3\nprint(x)\n"]
    assert [block.line for block in found] == [4, 13]


def test_a_failing_block_is_reported(tmp_path):
    outcome = run_block(Block("page.rst", 1, "raise SystemExit('broken example')\n"), tmp_path / "b", None)
    assert outcome.returncode == 1 and "broken example" in outcome.output
    test_module = Block("page.rst", 1, "def test_wrong():\n    assert 1 + 1 == 3\n")
    assert test_module.is_pytest_module
    outcome = run_block(test_module, tmp_path / "t", None)
    assert outcome.returncode == 1 and "1 failed" in outcome.output


def test_every_guide_page_has_python_examples():
    # The API reference is docstrings; the CLI page is shell; development.rst is how we work.
    without = [page.name for page in pages()
               if "api" not in page.parts and page.name not in ("cli.rst", "development.rst") and not blocks_of(page)]
    assert without == []
    assert len(BLOCKS) >= 20


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_docs_block_runs(block, outcomes):
    outcome = outcomes[block.name]
    if outcome.returncode is None:
        pytest.skip(outcome.output)
    assert outcome.returncode == 0, f"docs/{block.name} failed (exit {outcome.returncode}):\n{block.code}\n{outcome.output}"
