"""The extension API as a third party would use it: an extension defined here, outside the package,
adds a request method, a notification and a tools/call interceptor, in both eras, in memory and over HTTP."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mcp_sync import Client, Server
from mcp_sync.errors import McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.server import Call, CallNext
from mcp_sync.server.extensions import Extension, ExtensionSetup, client_extension

ERAS = ["legacy", "modern"]
AUDIT = "com.example/audit"


class Audit(Extension):
    """Counts tool calls, refuses tools marked secret, answers ``audit/report`` and hears ``audit/reset``."""

    id = AUDIT

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, dict | None]] = []
        self.resets = threading.Event()

    def settings(self) -> dict[str, Any]:
        return {"version": 2}

    def install(self, setup: ExtensionSetup) -> None:
        setup.method("audit/report", self.report)
        setup.notification("notifications/audit/reset", self.reset)
        setup.middleware(self.intercept, methods=["tools/call"])

    def intercept(self, call: Call, call_next: CallNext) -> Any:
        name = call.params.get("name")
        if str(name).startswith("secret"):
            raise McpError(-32001, f"audit: {name} is not allowed")
        with self.lock:
            self.calls.append((call.era, name, client_extension(call.connection, AUDIT)))
        result = call_next(call)
        return {**result, "_meta": {**(result.get("_meta") or {}), "com.example/audited": True}}

    def report(self, connection: Any, request: Any) -> dict[str, Any]:
        with self.lock:
            calls = [name for _, name, _ in self.calls]
        return {"calls": calls, "clientDeclared": self.client_declared(connection)}

    def reset(self, connection: Any, params: dict) -> None:
        self.resets.set()


def build() -> tuple[Server, Audit]:
    server = Server("third-party")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds."""
        return a + b

    @server.tool()
    def secret_sauce() -> str:
        """Refused by the extension's interceptor."""
        raise AssertionError("never called")

    audit = server.add_extension(Audit())
    return server, audit


@pytest.mark.parametrize("transport", ["memory", "http"])
@pytest.mark.parametrize("era", ERAS)
def test_third_party_extension_in_both_eras(era, transport):
    server, audit = build()
    stop = None
    options = dict(protocol=era, era_cache=EraCache(), extensions={AUDIT: {"mode": "strict"}})
    if transport == "memory":
        client = Client.connect(server, **options)
    else:
        handle = server.start_http(port=0)
        stop = handle.stop
        client = Client.http(handle.url, **options)
    try:
        with client:
            assert client.era == era
            assert client.server_extension(AUDIT) == {"version": 2}
            assert client.server_extension("com.example/other") is None
            result = client.call_tool("add", {"a": 1, "b": 2})
            assert result.structured_content == {"result": 3} and result.meta["com.example/audited"] is True
            with pytest.raises(McpError) as refused:
                client.call_tool("secret_sauce")
            assert refused.value.code == -32001
            report = client.request("audit/report")
            assert report["calls"] == ["add"]
            assert report["clientDeclared"] == {"mode": "strict"}  # initialize (legacy) or the request's _meta
            if era == "legacy":  # notifications from client to server ride a session
                client.notify("notifications/audit/reset")
                assert audit.resets.wait(10)
    finally:
        if stop is not None:
            stop()
        server.close()
    assert audit.calls == [(era, "add", {"mode": "strict"})]


def test_an_extension_for_one_era_only():
    class ModernOnly(Extension):
        id = "com.example/modern-only"
        eras = ("modern",)

        def install(self, setup: ExtensionSetup) -> None:
            setup.method("modern-only/ping", lambda connection, request: {"pong": True})

    server = Server("one-era")
    server.add_extension(ModernOnly())
    with Client.connect(server, protocol="modern", era_cache=EraCache()) as client:
        assert client.server_extension("com.example/modern-only") == {}
        assert client.request("modern-only/ping")["pong"] is True
    with Client.connect(server, protocol="legacy", era_cache=EraCache()) as client:
        assert client.server_extension("com.example/modern-only") is None
        with pytest.raises(McpError) as unknown:
            client.request("modern-only/ping")
        assert unknown.value.code == -32601
    server.close()


def test_bad_extensions_are_refused_clearly():
    server = Server("checks")
    with pytest.raises(TypeError, match="Extension instance"):
        server.add_extension(object())  # type: ignore[arg-type]

    class Nameless(Extension):
        pass

    with pytest.raises(ValueError, match="vendor-prefix/name"):
        server.add_extension(Nameless())
    server.add_extension(Audit())
    with pytest.raises(ValueError, match="already added"):
        server.add_extension(Audit())
    with pytest.raises(ValueError, match="vendor-prefix/name"):
        Client.connect(server, extensions={"no-slash": {}})
    with pytest.raises(TypeError, match="must be a dict"):
        Client.connect(server, extensions={AUDIT: True})  # type: ignore[dict-item]
    server.close()


def test_an_extension_request_from_server_to_client_on_a_legacy_session():
    class Ask(Extension):
        id = "com.example/ask"

        def install(self, setup: ExtensionSetup) -> None:
            setup.method("ask/relay", self.relay)

        def relay(self, connection: Any, request: Any) -> dict:
            if client_extension(connection, self.id) is None:
                raise McpError(-32602, "declare com.example/ask to be asked")
            answer = connection.session.request("ask/color", {"of": "sky"}).result(timeout=10)
            return {"client said": answer["color"]}

    server = Server("asks")
    server.add_extension(Ask())
    with Client.connect(server, protocol="legacy", era_cache=EraCache(), extensions={"com.example/ask": {}},
                        request_handlers={"ask/color": lambda params: {"color": "blue" if params["of"] == "sky"
                                                                       else "?"}}) as client:
        assert client.request("ask/relay") == {"client said": "blue"}
    with Client.connect(server, protocol="legacy", era_cache=EraCache()) as client:
        with pytest.raises(McpError) as refused:
            client.request("ask/relay")
        assert refused.value.code == -32602
    server.close()
    with pytest.raises(ValueError, match="answered by the client itself"):
        Client.connect(server, request_handlers={"roots/list": lambda params: {}})
