"""Older negotiated revisions get only the members they define; everything validates against their schema."""

from __future__ import annotations

import pytest

from mcp_sync import Server
from mcp_sync.protocol.versions import LEGACY_VERSIONS
from mcp_sync.server import content
from mcp_sync.session import Session
from mcp_sync.transports.memory import MemoryTransport
from tests.server.support import connected
from tests.wire_schema import validate


def make_server() -> Server:
    server = Server("versions", "2.0", title="Versioned", description="d", website_url="https://example.com",
                    icons=[{"src": "https://example.com/s.png"}])

    @server.tool(title="Count", annotations={"readOnlyHint": True}, icons=[{"src": "https://example.com/t.png"}],
                 task_support="optional", meta={"com.example/m": 1})
    def count(word: str) -> int:
        "Count letters."
        return len(word)

    @server.tool()
    def noisy():
        "Audio and a resource link."
        return [content.audio(b"RIFF", "audio/wav"), content.resource_link("mem://x", "x")]

    @server.resource("mem://x", title="X", icons=[{"src": "https://example.com/r.png"}])
    def x() -> str:
        "X."
        return "x"

    @server.resource("mem://{id}", title="By id")
    def by_id(id: str) -> str:
        "By id."
        return id

    @server.prompt(title="P", icons=[{"src": "https://example.com/p.png"}])
    def p(arg: str) -> str:
        "A prompt."
        return arg

    return server


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
def test_each_version_gets_its_own_view(version):
    with connected(make_server(), protocol_version=version) as client:
        assert client.protocol_version == version
        info = client.initialize_result.server_info
        tool = client.request("tools/list", {})["tools"][0]
        resource = client.request("resources/list", {})["resources"][0]
        template = client.request("resources/templates/list", {})["resourceTemplates"][0]
        prompt = client.request("prompts/list", {})["prompts"][0]
        result = client.request("tools/call", {"name": "count", "arguments": {"word": "four"}})
        noisy = client.request("tools/call", {"name": "noisy"})["content"]
        client.request("prompts/get", {"name": "p", "arguments": {"arg": "a"}})
        client.request("resources/read", {"uri": "mem://7"})
    modern_titles = version >= "2025-06-18"
    assert ("title" in tool) == ("title" in resource) == ("title" in template) == ("title" in prompt) \
        == (info.title is not None) == modern_titles
    assert ("outputSchema" in tool) == ("structuredContent" in result) == modern_titles
    assert ("_meta" in tool) == modern_titles
    assert ("annotations" in tool) == (version >= "2025-03-26")
    assert ("icons" in tool) == ("icons" in resource) == ("icons" in prompt) == (version >= "2025-11-25")
    assert ("execution" in tool) == (version == "2025-11-25")
    assert (info.website_url is not None) == (version >= "2025-11-25")
    assert result["content"] == [{"type": "text", "text": '{"result":4}'}]
    assert noisy[0]["type"] == ("audio" if version >= "2025-03-26" else "text")
    assert noisy[1]["type"] == ("resource_link" if version >= "2025-06-18" else "text")


def test_unknown_requested_version_gets_the_latest_and_server_info_follows_it():
    server = make_server()
    ours, theirs = MemoryTransport.pair()
    connection = server.serve(theirs)
    session = Session(ours, on_request=lambda r: {}, name="raw-client").start()
    try:
        result = session.call("initialize", {"protocolVersion": "1999-01-01", "capabilities": {},
                                             "clientInfo": {"name": "x", "version": "1"}}, timeout=10)
        assert result["protocolVersion"] == "2025-11-25"
        assert result["serverInfo"] == {"name": "versions", "version": "2.0", "title": "Versioned",
                                        "description": "d", "websiteUrl": "https://example.com",
                                        "icons": [{"src": "https://example.com/s.png"}]}
        validate("2025-11-25", "InitializeResult", result)
    finally:
        session.close()
        connection.close()
