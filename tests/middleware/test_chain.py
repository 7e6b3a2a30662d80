"""The server's middleware chain (mcp_sync.server.middleware): one chain, both eras, memory and HTTP."""

from __future__ import annotations

import threading

import pytest

from mcp_sync import Server
from mcp_sync.client import Client
from mcp_sync.errors import McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.server import Call, CallNext

ERAS = ["legacy", "modern"]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, call: Call, call_next: CallNext):
        with self.lock:
            self.calls.append((call.kind, call.method, call.era))
        return call_next(call)

    def methods(self, kind: str = "request") -> list[str]:
        with self.lock:
            return [m for k, m, _ in self.calls if k == kind]


def build() -> tuple[Server, Recorder]:
    server = Server("mw-demo")
    recorder = Recorder()

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds."""
        return a + b

    @server.tool()
    def secret() -> str:
        """Never reached: a middleware refuses it."""
        raise AssertionError("the middleware should have refused this call")

    def double_a(call: Call, call_next: CallNext):
        arguments = dict(call.params.get("arguments") or {})
        arguments["a"] = arguments.get("a", 0) * 2
        return call_next(call.replace(params={**call.params, "arguments": arguments}))

    def refuse_secret(call: Call, call_next: CallNext):
        if call.params.get("name") == "secret":
            raise McpError(-32001, "secret is off limits")
        return call_next(call)

    def tag_result(call: Call, call_next: CallNext):
        result = call_next(call)
        if call.params.get("name") == "add":
            result = {**result, "_meta": {"example.com/seen": call.era}}
        return result

    server.add_middleware(recorder)
    server.add_middleware(refuse_secret, methods=["tools/call"])
    server.add_middleware(tag_result, methods=["tools/call"])
    server.add_middleware(double_a, methods=["tools/call"])
    return server, recorder


@pytest.fixture(params=["memory", "http"])
def transport(request):
    return request.param


@pytest.mark.parametrize("era", ERAS)
def test_chain_sees_transforms_and_refuses_in_both_eras(era, transport):
    server, recorder = build()
    stop = None
    if transport == "memory":
        client = Client.connect(server, protocol=era, era_cache=EraCache())
    else:
        handle = server.start_http(port=0)
        stop = handle.stop
        client = Client.http(handle.url, protocol=era, era_cache=EraCache())
    try:
        with client:
            assert client.era == era
            result = client.call_tool("add", {"a": 2, "b": 3})
            assert result.structured_content == {"result": 7}  # a doubled on the way in
            assert result.meta == {"example.com/seen": era}
            with pytest.raises(McpError) as refused:
                client.call_tool("secret", {})
            assert refused.value.code == -32001 and "off limits" in refused.value.message
            client.list_tools()
    finally:
        if stop is not None:
            stop()
    methods = recorder.methods()
    assert methods.count("tools/call") == 2 and "tools/list" in methods
    if era == "legacy":
        assert methods[0] == "initialize"
        assert "notifications/initialized" in recorder.methods("notification")
    else:
        assert "server/discover" in methods
    assert {e for _, _, e in recorder.calls} == {era}


def test_a_middleware_can_answer_any_method_itself():
    server = Server("short")

    def answer_ping(call: Call, call_next: CallNext):
        if call.method == "tools/list":
            return {"tools": []}
        return call_next(call)

    @server.tool()
    def hidden() -> str:
        """Not listed."""
        return "x"

    server.add_middleware(answer_ping)
    with Client.connect(server, protocol="legacy") as client:
        assert client.list_tools() == []
        assert client.call_tool("hidden").content[0].text == "x"


def test_add_and_remove_are_checked():
    server = Server("checks")
    with pytest.raises(TypeError, match="callable"):
        server.add_middleware("nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of method names"):
        server.add_middleware(lambda c, n: n(c), methods="tools/call")

    def mw(call, call_next):
        return call_next(call)

    assert server.add_middleware(mw) is mw
    server.remove_middleware(mw)
    with pytest.raises(ValueError, match="not in this server's middleware chain"):
        server.remove_middleware(mw)
