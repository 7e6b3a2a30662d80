"""Skills end to end, in both eras, over stdio (a real subprocess) and Streamable HTTP (a real socket)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mcp_sync import Client
from mcp_sync.errors import CapabilityError, McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.skills import SkillVerificationError
from tests.extensions.skills_server import PDF_SKILL, build_server

ROOT = Path(__file__).resolve().parents[2]
ERAS = ["legacy", "modern"]
TRANSPORTS = ["stdio", "http"]


class Connected:
    def __init__(self, era: str, transport: str, tamper: str | None = None) -> None:
        self.stop = None
        if transport == "stdio":
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            if tamper:
                env["SKILLS_TAMPER"] = tamper
            self.client = Client.stdio([sys.executable, "-m", "tests.extensions.skills_server"], env=env, cwd=str(ROOT),
                                       protocol=era, era_cache=EraCache(), stderr=None)
        else:
            self.server, _ = build_server(tamper)
            handle = self.server.start_http(port=0)
            self.stop = handle.stop
            self.client = Client.http(handle.url, protocol=era, era_cache=EraCache())

    def __enter__(self) -> Client:
        return self.client.open()

    def __exit__(self, *exc: object) -> None:
        try:
            self.client.close()
        finally:
            if self.stop is not None:
                self.stop()
                self.server.close()


def reads(client: Client) -> list[str]:
    return client.call_tool("read_log").structured_content["result"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("era", ERAS)
def test_list_paginates_get_load_and_read(era, transport):
    with Connected(era, transport) as client:
        assert client.era == era
        assert client.skills.settings == {"directoryRead": True}
        page = client.skills.list_page()
        assert len(page.skills) == 1 and page.next_cursor  # page_size=1: one whole entry per page
        if era == "modern":
            assert (page.ttl_ms, page.cache_scope) == (0, "private")
        else:
            assert page.ttl_ms is None and page.cache_scope is None  # not in the 2025-11-25 schema
        entries = client.skills.list()
        uris = [e.uri for e in entries]
        assert uris == [PDF_SKILL, "skill://writing/commit-messages/SKILL.md", "skill://code/hello/SKILL.md",
                        "skill://generated/SKILL.md"]
        pdf = entries[0]
        assert [f.uri.rsplit("/", 2)[-2:] for f in pdf.resources] == [
            ["pdf-processing", "SKILL.md"], ["references", "FORMS.md"], ["scripts", "extract.py"]]
        assert entries[3].dynamic
        assert reads(client) == []  # listing read nothing

        got = client.skills.get(PDF_SKILL)
        assert got == pdf
        assert reads(client) == []  # nor did getting an entry: no prefetch
        with pytest.raises(McpError) as unknown:
            client.skills.get("skill://no-such-skill/SKILL.md")
        assert unknown.value.code == -32602

        skill = client.skills.load(pdf)
        assert skill.frontmatter["name"] == "pdf-processing" and skill.body.startswith("# PDF processing")
        assert "Check boxes" in skill.read_text("references/FORMS.md")
        hello = client.skills.load("skill://code/hello/SKILL.md")
        assert hello.read("data/blob.bin") == bytes(range(256))  # a blob, verified
        generated = client.skills.load(entries[3])
        assert generated.read_text("notes/today.md") == "generated content of notes/today.md\n"
        assert reads(client) == [PDF_SKILL, "skill://pdf-processing/references/FORMS.md",
                                 "skill://code/hello/SKILL.md", "skill://code/hello/data/blob.bin",
                                 "skill://generated/SKILL.md", "skill://generated/notes/today.md"]

        listed = {r.uri: r for r in client.list_resources()}
        assert listed[PDF_SKILL].mime_type == "text/markdown"
        assert listed[PDF_SKILL].name == "pdf-processing"
        assert listed[PDF_SKILL].description == pdf.description


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("era", ERAS)
def test_directory_read(era, transport):
    with Connected(era, transport) as client:
        root = client.skills.read_directory("skill://pdf-processing")
        assert [(r["uri"], r["mimeType"]) for r in root] == [
            ("skill://pdf-processing/references", "inode/directory"),
            ("skill://pdf-processing/scripts", "inode/directory"),
            ("skill://pdf-processing/SKILL.md", "text/markdown"),
        ]  # three children over three pages of one: the cursor round-trips
        sub = client.skills.read_directory("skill://pdf-processing/references")
        assert [r["uri"] for r in sub] == ["skill://pdf-processing/references/FORMS.md"]
        for not_a_directory in (PDF_SKILL, "skill://pdf-processing/nothing", "skill://nowhere"):
            with pytest.raises(McpError) as refused:
                client.request("resources/directory/read", {"uri": not_a_directory})
            assert refused.value.code == -32602
        assert reads(client) == []


@pytest.mark.parametrize("mode", ["digest", "size", "frontmatter"])
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("era", ERAS)
def test_tampered_skill_md_is_refused(era, transport, mode):
    with Connected(era, transport, tamper=mode) as client:
        entry = client.skills.get(PDF_SKILL)
        with pytest.raises(SkillVerificationError) as refused:
            client.skills.load(entry)
        expected = {"digest": "digest", "size": "size", "frontmatter": "frontmatter differs"}[mode]
        assert expected in refused.value.reason
        assert refused.value.uri == PDF_SKILL
        assert reads(client) == [PDF_SKILL]  # nothing else of the skill was read
        # The connection survives, and an untampered skill still loads.
        assert client.skills.load("skill://code/hello/SKILL.md").name == "hello"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("era", ERAS)
def test_unlisted_file_is_refused_without_a_read(era, transport):
    with Connected(era, transport) as client:
        skill = client.skills.load(PDF_SKILL)
        for path in ("secrets.txt", "../writing/commit-messages/SKILL.md", "skill://code/hello/SKILL.md"):
            with pytest.raises(SkillVerificationError):
                skill.read(path)
        assert reads(client) == [PDF_SKILL]


@pytest.mark.parametrize("era", ERAS)
def test_no_directory_read_unless_declared(era):
    from mcp_sync import Server
    from mcp_sync.skills import Skills

    server = Server("plain-skills")
    server.add_extension(Skills()).add_skill("---\nname: one\ndescription: The one skill\n---\nBody\n")
    with Client.connect(server, protocol=era, era_cache=EraCache()) as client:
        assert client.skills.settings == {}
        with pytest.raises(CapabilityError, match="directoryRead"):
            client.skills.read_directory("skill://one")
        with pytest.raises(McpError) as unknown:  # and the server does not serve it either
            client.request("resources/directory/read", {"uri": "skill://one"})
        assert unknown.value.code == -32601
    server.close()
