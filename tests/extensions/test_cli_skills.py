"""``mcp-sync skills list|show|fetch`` against the test skills server, over HTTP and stdio."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from mcp_sync.cli import main
from tests.extensions.skills_server import EXAMPLE_SKILLS, build_server

ROOT = Path(__file__).resolve().parents[2]
STDIO = ["--", sys.executable, "-m", "tests.extensions.skills_server"]


@pytest.fixture
def cli(capsys, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.chdir(ROOT)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def url():
    server, _ = build_server()
    handle = server.start_http(port=0)
    try:
        yield handle.url
    finally:
        handle.stop()
        server.close()


def test_list_and_show_over_http(cli, url):
    code, out, err = cli("skills", "list", url)
    assert code == 0, err
    assert "pdf-processing  skill://pdf-processing/SKILL.md  (3 file(s))" in out
    assert "generated  skill://generated/SKILL.md  (dynamic)" in out
    code, out, err = cli("skills", "list", url, "--json")
    assert code == 0 and json.loads(out)["extension"] == {"directoryRead": True}
    assert len(json.loads(out)["skills"]) == 4
    code, out, err = cli("skills", "show", url, "pdf-processing")
    assert code == 0, err
    assert out.startswith("pdf-processing: Extract text") and "# PDF processing" in out
    code, out, err = cli("skills", "show", url, "no-such-skill")
    assert code == 2 and "no listed skill is named 'no-such-skill'" in err


def test_fetch_writes_a_verified_copy(cli, url, tmp_path):
    code, out, err = cli("skills", "fetch", url, "skill://pdf-processing/SKILL.md", "--dest", str(tmp_path))
    assert code == 0, err
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["pdf-processing/SKILL.md", "pdf-processing/references/FORMS.md",
                       "pdf-processing/scripts/extract.py"]
    for rel in written:
        original = EXAMPLE_SKILLS / rel
        assert hashlib.sha256((tmp_path / rel).read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()


def test_stdio_target_and_a_tampered_skill_is_refused(cli, tmp_path):
    code, out, err = cli("skills", "list", *STDIO)
    assert code == 0, err
    assert "commit-messages  skill://writing/commit-messages/SKILL.md" in out
    code, out, err = cli("skills", "fetch", "pdf-processing", "--dest", str(tmp_path), "-e", "SKILLS_TAMPER=digest",
                         *STDIO)
    assert code == 3 and "verification failed" in err and "digest" in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_usage_errors(cli, url):
    code, _, err = cli("skills", "show", url)
    assert code == 2 and "expected TARGET SKILL" in err
    code, _, err = cli("skills", "list")
    assert code == 2
