"""Resources and templates: listing, reading, errors, subscriptions (in memory)."""

from __future__ import annotations

import base64

import pytest

from mcp_sync import Context, McpError, Server
from mcp_sync.server import ResourceNotFound
from mcp_sync.server.resources import not_found
from mcp_sync.types import TextResourceContents
from tests.server.support import Collector, connected


def make_server() -> Server:
    server = Server("res-test")
    server.add_resource("mem://text", "fixed text", description="Fixed text", mime_type="text/markdown")
    server.add_resource("mem://bytes", b"\x00\x01\x02", name="bytes")

    @server.resource("mem://json", title="JSON", icons=[{"src": "https://example.com/j.png"}],
                     annotations={"audience": ["user"], "priority": 0.5}, size=7)
    def as_json() -> dict:
        """Some JSON."""
        return {"k": [1, 2]}

    @server.resource("mem://several")
    def several():
        "Two contents."
        return [{"uri": "mem://several/a", "text": "A"},
                TextResourceContents(uri="mem://several/b", text="B", mime_type="text/x-b")]

    @server.resource("mem://ctx")
    def with_context(ctx: Context) -> str:
        "Knows the request."
        return f"{ctx.request.method} {ctx.protocol_version}"

    @server.resource("mem://broken")
    def broken() -> str:
        "Raises."
        raise OSError("disk on fire")

    @server.resource("items://{kind}/{id}", mime_type="application/json")
    def item(kind: str, id: int) -> dict:
        """An item by kind and numeric id."""
        if id > 100:
            raise ResourceNotFound(id)
        return {"kind": kind, "id": id, "type": type(id).__name__}

    @server.resource("files://{+path}")
    def file(path: str) -> bytes:
        """A file by path (may contain slashes)."""
        return path.encode()

    return server


@pytest.fixture
def client():
    with connected(make_server()) as client:
        yield client


def test_capabilities_and_listing(client):
    assert client.request("resources/list", {})["resources"] == [
        {"uri": "mem://text", "name": "mem://text", "description": "Fixed text", "mimeType": "text/markdown"},
        {"uri": "mem://bytes", "name": "bytes"},
        {"uri": "mem://json", "name": "as_json", "title": "JSON", "description": "Some JSON.", "size": 7,
         "annotations": {"audience": ["user"], "priority": 0.5}, "icons": [{"src": "https://example.com/j.png"}]},
        {"uri": "mem://several", "name": "several", "description": "Two contents."},
        {"uri": "mem://ctx", "name": "with_context", "description": "Knows the request."},
        {"uri": "mem://broken", "name": "broken", "description": "Raises."},
    ]
    assert client.request("resources/templates/list", {})["resourceTemplates"] == [
        {"uriTemplate": "items://{kind}/{id}", "name": "item", "description": "An item by kind and numeric id.",
         "mimeType": "application/json"},
        {"uriTemplate": "files://{+path}", "name": "file", "description": "A file by path (may contain slashes)."},
    ]
    assert client.server_capabilities.resources.subscribe is True


def test_reading_text_blob_json_and_several(client):
    assert client.request("resources/read", {"uri": "mem://text"}) == {
        "contents": [{"uri": "mem://text", "mimeType": "text/markdown", "text": "fixed text"}]}
    blob = client.request("resources/read", {"uri": "mem://bytes"})["contents"][0]
    assert blob == {"uri": "mem://bytes", "mimeType": "application/octet-stream",
                    "blob": base64.b64encode(b"\x00\x01\x02").decode()}
    assert client.request("resources/read", {"uri": "mem://json"})["contents"] == [
        {"uri": "mem://json", "mimeType": "application/json", "text": '{"k":[1,2]}'}]
    assert client.request("resources/read", {"uri": "mem://several"})["contents"] == [
        {"uri": "mem://several/a", "text": "A"}, {"uri": "mem://several/b", "mimeType": "text/x-b", "text": "B"}]
    assert client.read_resource("mem://ctx").contents[0].text == "resources/read 2025-11-25"


def test_templates_convert_their_variables(client):
    assert client.request("resources/read", {"uri": "items://book/7"})["contents"][0]["text"] == \
        '{"kind":"book","id":7,"type":"int"}'
    assert client.request("resources/read", {"uri": "files://a/b/c.txt"})["contents"][0]["blob"] == \
        base64.b64encode(b"a/b/c.txt").decode()


@pytest.mark.parametrize("uri", ["mem://nothing", "items://book/seven", "items://book/101"])
def test_unknown_uris_are_resource_not_found(client, uri):
    with pytest.raises(McpError) as info:
        client.request("resources/read", {"uri": uri})
    assert (info.value.code, info.value.message, info.value.data) == (-32002, f"Resource not found: {uri}",
                                                                      {"uri": uri})


def test_not_found_code_depends_on_the_version():
    assert not_found("x://y", "2025-11-25").code == -32002
    assert not_found("x://y", "2024-11-05").code == -32002
    modern = not_found("x://y", "2026-07-28")
    assert (modern.code, modern.data) == (-32602, {"uri": "x://y"})


def test_handler_failure_is_internal_error_and_bad_params_are_invalid(client):
    with pytest.raises(McpError) as info:
        client.request("resources/read", {"uri": "mem://broken"})
    assert info.value.code == -32603 and "OSError: disk on fire" in info.value.message
    with pytest.raises(McpError) as info:
        client.request("resources/read", {"uri": 5})
    assert info.value.code == -32602
    assert client.read_resource("mem://text").contents[0].text == "fixed text"


def test_subscriptions_are_per_connection():
    server = make_server()
    first_updates, second_updates = Collector(), Collector()
    with connected(server, on_resource_updated=first_updates) as first, \
            connected(server, on_resource_updated=second_updates) as second:
        first.subscribe_resource("mem://json")
        second.subscribe_resource("mem://text")
        assert server.notify_resource_updated("mem://json") == 1
        assert first_updates.wait(1) == ["mem://json"]
        first.unsubscribe_resource("mem://json")
        assert server.notify_resource_updated("mem://json") == 0
        assert server.notify_resource_updated("mem://text") == 1
        assert second_updates.wait(1) == ["mem://text"]
        first.ping()
        assert first_updates.items == ["mem://json"]


def test_template_registration_errors():
    server = Server("bad")
    with pytest.raises(TypeError, match="missing parameters: id"):
        server.add_resource("x://{id}", lambda: "x")
    with pytest.raises(TypeError, match="not variables: other"):
        server.add_resource("x://{id}", lambda id, other: "x")
    with pytest.raises(TypeError, match="takes no arguments"):
        server.add_resource("x://static", lambda id: "x")
    with pytest.raises(ValueError):
        server.add_resource("x://{unclosed", lambda unclosed: "x")
