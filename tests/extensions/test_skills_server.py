"""The Skills server's rules: naming, frontmatter, limits, bad requests, a changed skill, the wire shapes."""

from __future__ import annotations

import builtins
import warnings

import pytest

from mcp_sync import Client, Server
from mcp_sync.errors import McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.skills import SkillError, SkillLimitWarning, Skills, SkillVerificationError, digest_of
from mcp_sync.skills.model import parse_frontmatter
from tests.wire_schema import validate

ERAS = ["legacy", "modern"]


def md(name: str, description: str = "A test skill", extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\nBody of {name}.\n"


def test_entries_carry_exact_digests_sizes_and_frontmatter(tmp_path):
    skills = Skills()
    entry = skills.add_skill(md("alpha", extra="metadata:\n  when: 2026-01-02\n"),
                             files={"a/b.txt": "bee", "c.bin": b"\xff\x00"}, prefix="acme.example/tools")
    assert entry.uri == "skill://acme.example/tools/alpha/SKILL.md"
    assert entry.frontmatter == {"name": "alpha", "description": "A test skill", "metadata": {"when": "2026-01-02"}}
    by_uri = {f.uri: f for f in entry.resources}
    assert list(by_uri)[0] == entry.uri  # SKILL.md first
    assert by_uri["skill://acme.example/tools/alpha/a/b.txt"].digest == digest_of(b"bee")
    assert by_uri["skill://acme.example/tools/alpha/c.bin"].size == 2
    assert entry.fingerprint == {(f.uri, f.digest) for f in entry.resources}


@pytest.mark.parametrize("bad", ["Alpha", "-alpha", "alpha-", "al--pha", "a" * 65, "al_pha", "café"])
def test_naming_rules(bad):
    with pytest.raises(SkillError, match="invalid skill name"):
        Skills().add_skill(md(bad))


@pytest.mark.parametrize(("text", "message"), [
    ("no frontmatter\n", "must begin with YAML frontmatter"),
    ("---\nname: x\n---\n", "non-empty string 'description'"),
    ("---\n- a list\n---\n", "must be a YAML mapping"),
    ("---\nname: [unclosed\n---\n", "not valid YAML"),
])
def test_frontmatter_is_checked(text, message):
    with pytest.raises(SkillError, match=message):
        Skills().add_skill(text)


def test_bad_paths_and_duplicates(tmp_path):
    skills = Skills()
    with pytest.raises(SkillError, match="invalid file path"):
        skills.add_skill(md("one"), files={"../escape.txt": "x"})
    with pytest.raises(SkillError, match="invalid skill path segment"):
        skills.add_skill(md("one"), prefix="bad prefix")
    with pytest.raises(TypeError, match="str or bytes"):
        skills.add_skill(md("one"), files={"n.txt": 3})  # type: ignore[dict-item]
    skills.add_skill(md("one"))
    with pytest.raises(SkillError, match="already served"):
        skills.add_skill(md("one"))
    with pytest.raises(SkillError, match="has no SKILL.md"):
        skills.add_directory(tmp_path)


def test_limits_and_reserved_metadata_warn():
    files = {f"f{i}.txt": "x" for i in range(512)}  # + SKILL.md = 513 files
    with pytest.warns(SkillLimitWarning, match="513 files"):
        Skills().add_skill(md("many"), files=files)
    with pytest.warns(SkillLimitWarning, match="bytes"):
        Skills().add_skill(md("big"), files={"big.bin": bytes(16 * 1024 * 1024)})
    with pytest.warns(SkillLimitWarning, match="reserved prefix"):
        Skills().add_skill(md("meta", extra="metadata:\n  io.modelcontextprotocol/x: 1\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Skills().add_skill(md("fine"), files={f"f{i}.txt": "x" for i in range(511)})


def test_missing_yaml_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml":
            raise ImportError("No module named 'yaml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_yaml)
    with pytest.raises(ImportError, match=r"mcp-sync\[skills\]"):
        parse_frontmatter(md("x"))


@pytest.mark.parametrize("era", ERAS)
def test_bad_requests_get_invalid_params_and_the_connection_survives(era):
    server = Server("bad-requests")
    server.add_extension(Skills(directory_read=True)).add_skill(md("one"))
    with Client.connect(server, protocol=era, era_cache=EraCache()) as client:
        for method, params in (("skills/get", {}), ("skills/get", {"uri": 3}), ("skills/list", {"cursor": "bogus"}),
                               ("resources/directory/read", {}), ("resources/directory/read", {"uri": "skill://one",
                                                                                                "cursor": "x"})):
            with pytest.raises(McpError) as refused:
                client.request(method, params)
            assert refused.value.code == -32602, (method, params)
        assert [e.name for e in client.skills.list()] == ["one"]
    server.close()


@pytest.mark.parametrize("era", ERAS)
def test_a_changed_skill_is_refused_until_refreshed(era):
    server = Server("changing")
    skills = server.add_extension(Skills())
    old = skills.add_skill(md("doc", "Version one"))
    with Client.connect(server, protocol=era, era_cache=EraCache()) as client:
        stale = client.skills.get(old.uri)
        skills.remove(old.uri)
        skills.add_skill(md("doc", "Version two"))
        with pytest.raises(SkillVerificationError):
            client.skills.load(stale)
        fresh = client.skills.refresh(stale)
        assert fresh.fingerprint != stale.fingerprint  # an approval of the old set no longer holds
        assert client.skills.load(fresh).frontmatter["description"] == "Version two"
    server.close()


@pytest.mark.parametrize("era", ERAS)
def test_emitted_resources_fit_the_schema(era):
    server = Server("schema")
    skills = server.add_extension(Skills(directory_read=True))
    skills.add_skill(md("one"), files={"docs/a.md": "# A"})
    version = "2025-11-25" if era == "legacy" else "2026-07-28"
    with Client.connect(server, protocol=era, era_cache=EraCache()) as client:
        listed = client.request("resources/list")
        validate(version, "ListResourcesResult", listed)
        for child in client.skills.read_directory("skill://one") + client.skills.read_directory("skill://one/docs"):
            validate(version, "Resource", child)
        read = client.request("resources/read", {"uri": "skill://one/SKILL.md"})
        validate(version, "ReadResourceResult", read)
    server.close()


def test_importing_the_sdk_does_not_import_yaml_or_skills():
    import subprocess
    import sys

    code = ("import sys, mcp_sync; from mcp_sync import Server, Client; Server('x'); "
            "assert 'yaml' not in sys.modules and 'mcp_sync.skills' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("era", ERAS)
def test_declaring_skills_declares_resources_even_without_skills(era):
    server = Server("empty")
    server.add_extension(Skills())
    with Client.connect(server, protocol=era, era_cache=EraCache()) as client:
        assert client.server_extension("io.modelcontextprotocol/skills") == {}
        assert client.server_capabilities.resources is not None
        assert client.skills.list() == []
        assert client.list_resources() == []
    server.close()
