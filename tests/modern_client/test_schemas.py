"""Tool schemas: kept exactly as the server sent them, and network $refs never fetched (SEP-2106)."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from mcp_sync.client import OutputValidationError
from mcp_sync.http.builtin_server import HttpServerHandle
from tests.modern_client.fake_core import RICH_SCHEMA


class Canary:
    """An HTTP endpoint on 127.0.0.1 that counts requests: the URL a network $ref points to."""

    path = "/"

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.lock = threading.Lock()
        self.handle = HttpServerHandle(self, "127.0.0.1", 0, name="fake-canary")  # type: ignore[arg-type]
        self.url = f"http://127.0.0.1:{self.handle.port}/canary/profile-schema.json"

    def __call__(self, environ, start_response):
        with self.lock:
            self.hits.append(environ["PATH_INFO"])
        body = json.dumps({"type": "object", "properties": {"displayName": {"type": "string"}}}).encode()
        start_response("200 OK", [("Content-Type", "application/schema+json"), ("Content-Length", str(len(body)))])
        return [body]

    def close(self) -> None:
        pass


@pytest.fixture
def canary():
    running = Canary()
    yield running
    running.handle.stop()


@pytest.fixture(params=["stdio", "http"])
def modern_client(request, stdio_fake, http_fake, canary):
    if request.param == "stdio":
        # the subprocess fake lists network_ref_output only with a canary URL: use HTTP for that tool
        return stdio_fake.client("modern"), None
    fake = http_fake()
    fake.core.canary_url = canary.url
    return http_fake.connect(fake.url), fake


def test_2020_12_keywords_are_kept_exactly(modern_client):
    client, fake = modern_client
    tool = next(t for t in client.list_tools() if t.name == "rich_schema_tool")
    assert tool.input_schema == RICH_SCHEMA and tool.output_schema == RICH_SCHEMA
    assert list(tool.input_schema) == list(RICH_SCHEMA)  # key order too
    assert json.dumps(tool.input_schema, sort_keys=False) == json.dumps(RICH_SCHEMA, sort_keys=False)
    # sent back verbatim as an argument, it arrives unchanged
    client.call_tool("echo", {"text": json.dumps(tool.input_schema)})
    if fake is not None:
        (call,) = [m for m in fake.core.messages("tools/call") if m["params"]["name"] == "echo"]
        assert json.loads(call["params"]["arguments"]["text"]) == RICH_SCHEMA
    # and the output schema (with $anchor, $id, unevaluatedProperties...) validates offline
    assert client.call_tool("rich_schema_tool").structured_content == {"home": {"street": "Main"}}


def test_local_refs_in_output_schemas_still_validate(modern_client):
    client, _ = modern_client
    client.list_tools()
    assert client.call_tool("local_ref_output", {"n": 3}).structured_content == {"n": 3}
    with pytest.raises(OutputValidationError, match="not of type 'integer'"):
        client.call_tool("local_ref_output")


def test_network_refs_are_never_fetched(http_fake, canary, caplog):
    fake = http_fake()
    fake.core.canary_url = canary.url
    client = http_fake.connect(fake.url)
    with caplog.at_level(logging.WARNING, logger="mcp_sync.client"):
        tool = next(t for t in client.list_tools() if t.name == "network_ref_output")
        assert tool.input_schema["properties"]["profile"] == {"$ref": canary.url}
        # validating the result would need the remote schema: it is not fetched, the result is not checked
        result = client.call_tool("network_ref_output")
        assert result.structured_content == {"profile": {"displayName": 42}}
        client.call_tool("network_ref_output")
    assert canary.hits == []
    assert any("cannot be resolved offline" in r.getMessage() for r in caplog.records)
    # the canary really is reachable: had anything tried, it would have been counted
    import requests

    assert requests.get(canary.url, timeout=5).status_code == 200
    assert canary.hits == ["/canary/profile-schema.json"]
