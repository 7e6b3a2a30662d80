"""Acceptance: ONE client, never told which era a server speaks, against our server in every era mode.

Legacy-only, modern-only and dual servers (``Server(eras=...)``), each over
stdio (a real subprocess) and Streamable HTTP (127.0.0.1, ephemeral port): the
same client construction lists tools, calls a tool, reads a resource, gets a
prompt and calls a tool that asks the user mid-call. The elicitation handler
answers a server->client ``elicitation/create`` request in the legacy era and
an MRTR ``inputRequests`` round in the modern one (the tool then runs a second
time, with the answer): the caller sees neither.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from mcp_sync.client import Client
from mcp_sync.protocol.era import EraCache
from mcp_sync.types import ElicitResult
from tests.eras.server_app import build

ROOT = Path(__file__).resolve().parents[2]
#: What a client that detects the era must end up speaking.
EXPECTED = {"legacy": ("legacy", "2025-11-25"), "modern": ("modern", "2026-07-28"), "dual": ("modern", "2026-07-28")}
COMBINATIONS = [(mode, kind) for mode in ("legacy", "modern", "dual") for kind in ("stdio", "http")]


class Asked:
    """The elicitation handler: records what it was asked, answers with a name."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[str] = []

    def __call__(self, params) -> ElicitResult:
        with self.lock:
            self.messages.append(params.message)
        return ElicitResult(action="accept", content={"name": "Grace"})


def make_client(mode: str, kind: str, handler: Asked, cleanup: list) -> Client:
    """The one client construction every case uses: no protocol=, no protocol_version= (a fresh era cache)."""
    options = dict(elicitation=handler, timeout=15.0, era_cache=EraCache())
    if kind == "stdio":
        return Client.stdio([sys.executable, "-m", "tests.eras.server_app", mode], cwd=ROOT, stderr=None, **options)
    handle = build(mode).start_http(port=0)
    cleanup.append(handle.stop)
    return Client.http(handle.url, **options)


@pytest.mark.parametrize(("mode", "kind"), COMBINATIONS, ids=[f"{m}-{k}" for m, k in COMBINATIONS])
def test_one_client_every_era_mode(mode, kind):
    handler = Asked()
    cleanup: list = []
    try:
        client = make_client(mode, kind, handler, cleanup)
        with client:
            era, version = EXPECTED[mode]
            assert (client.era, client.protocol_version) == (era, version)
            assert client.server_info.name == "eras-demo"
            if era == "legacy":
                assert client.initialize_result is not None and client.initialize_result.protocol_version == version
            else:
                assert client.initialize_result is None  # no handshake: server/discover
                assert "2026-07-28" in client._modern.discover_result.supported_versions

            assert sorted(tool.name for tool in client.list_tools()) == ["add", "interview"]
            result = client.call_tool("add", {"a": 2, "b": 40})
            assert not result.is_error and result.structured_content == {"result": 42}

            contents = client.read_resource("test://greeting").contents
            assert [c.text for c in contents] == ["hello from eras-demo"]

            prompt = client.get_prompt("brief", {"topic": "eras"})
            assert [m.content.text for m in prompt.messages] == ["Brief me on eras."]

            answer = client.call_tool("interview")
            assert not answer.is_error, answer
            name, seen_version, runs = answer.content[0].text.split("|")
            assert (name, seen_version) == ("Grace", version)
            # legacy: one run that waited for the elicitation/create answer; modern: input_required, and
            # the retry with the inputResponses resumes the same run, parked at its question (one process here)
            assert runs == "run 1"
            assert handler.messages == ["Your name?"]
    finally:
        for step in cleanup:
            step()
