"""Client middleware (Client.add_middleware): around every request a client sends, in both eras."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from mcp_sync import Context, Server
from mcp_sync.client import Client
from mcp_sync.errors import McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.server import Call

ERAS = ["legacy", "modern"]


def build() -> Server:
    server = Server("client-mw")

    @server.tool()
    def echo(text: str) -> dict:
        """Echoes the text."""
        return {"text": text}

    @server.tool()
    def interview(ctx: Context) -> str:
        """Asks for a name mid-call (a round trip per era)."""
        answer = ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
        return answer.content["name"]

    return server


@pytest.mark.parametrize("era", ERAS)
def test_client_middleware_sees_changes_watches_and_refuses(era):
    server = build()
    lock = threading.Lock()
    sent: list[tuple[str, str | None]] = []
    results: list[object] = []

    def record(call: Call, call_next):
        with lock:
            sent.append((call.method, call.era))
        future = call_next(call)

        def done(f: Future) -> None:
            with lock:
                results.append(f.exception() or f.result())

        future.add_done_callback(done)
        return future

    def shout(call: Call, call_next):
        if call.params.get("name") == "echo":
            arguments = dict(call.params["arguments"])
            arguments["text"] = arguments["text"].upper()
            return call_next(call.replace(params={**call.params, "arguments": arguments}))
        return call_next(call)

    def guard(call: Call, call_next):
        if call.params.get("name") == "forbidden":
            raise PermissionError("this client never calls 'forbidden'")
        return call_next(call)

    client = Client.connect(server, protocol=era, era_cache=EraCache(),
                            elicitation=lambda params: {"action": "accept", "content": {"name": "Ada"}})
    assert client.add_middleware(record) is record
    client.add_middleware(shout, methods=["tools/call"])
    client.add_middleware(guard, methods=["tools/call"])
    with client:
        assert client.call_tool("echo", {"text": "hi"}).structured_content["text"] == "HI"
        with pytest.raises(PermissionError, match="never calls 'forbidden'"):
            client.call_tool("forbidden")
        assert client.call_tool("interview").content[0].text == "Ada"  # one call, however many rounds
        client.list_tools()
    assert sent == [("tools/call", era)] * 3 + [("tools/list", era)]
    # the refused call raised through `record` (no future to watch); the others completed with raw results
    assert len(results) == 3
    assert results[0]["structuredContent"]["text"] == "HI"
    assert results[1]["content"][0]["text"] == "Ada" and "tools" in results[2]


def test_a_client_middleware_can_answer_without_sending():
    server = build()
    canned = Future()
    canned.set_result({"tools": [{"name": "fake", "inputSchema": {"type": "object"}}]})

    def offline(call: Call, call_next):
        return canned if call.method == "tools/list" else call_next(call)

    client = Client.connect(server, protocol="legacy", era_cache=EraCache())
    client.add_middleware(offline)
    with client:
        assert [t.name for t in client.list_tools()] == ["fake"]
        assert client.call_tool("echo", {"text": "x"}).structured_content["text"] == "x"


def test_client_middleware_errors_reach_the_caller_as_they_are():
    server = build()

    def broken(call: Call, call_next):
        raise McpError(-32001, "refused locally")

    client = Client.connect(server, protocol="modern", era_cache=EraCache())
    client.add_middleware(broken, methods=["tools/call"])
    with client:
        with pytest.raises(McpError, match="refused locally"):
            client.call_tool("echo", {"text": "x"})
        assert client.list_tools()  # the client is fine
    with pytest.raises(TypeError, match="callable"):
        client.add_middleware("nope")  # type: ignore[arg-type]
