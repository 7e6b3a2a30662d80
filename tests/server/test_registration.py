"""Registration forms, derived capabilities, and the public names."""

from __future__ import annotations

import mcp_sync
from mcp_sync import Context, Server
from mcp_sync.server import Context as ServerContext
from tests.server.support import Collector, connected


def test_bare_and_called_decorators_and_plain_functions():
    server = Server("forms")

    @server.tool
    def bare(x: int) -> int:
        "Bare."
        return x

    @server.prompt
    def bare_prompt() -> str:
        "Bare prompt."
        return "p"

    def plain() -> str:
        return "plain"

    server.add_tool(plain, name="renamed", description="Given explicitly")
    server.add_prompt(plain, name="plain_prompt")
    assert bare(3) == 3 and bare_prompt() == "p"  # decorators return the function itself
    with connected(server) as client:
        assert [t.name for t in client.list_tools()] == ["bare", "renamed"]
        assert client.list_tools()[1].description == "Given explicitly"
        assert [p.name for p in client.list_prompts()] == ["bare_prompt", "plain_prompt"]
        assert client.get_prompt("plain_prompt").messages[0].content.text == "plain"


def test_capabilities_are_derived_from_registrations():
    server = Server("derived")
    assert server.capabilities() == {}
    server.add_tool(lambda: 1, name="t")
    assert server.capabilities() == {"tools": {"listChanged": True}}
    server.add_resource("mem://a", "a")
    assert server.capabilities()["resources"] == {"subscribe": True, "listChanged": True}
    server.add_tool(lambda ctx: 1, name="t2")  # unannotated ctx: an ordinary argument
    assert "logging" not in server.capabilities()

    def uses_context(ctx: Context) -> int:
        return 1

    server.add_tool(uses_context)
    assert server.capabilities()["logging"] == {}
    server.remove_tool("uses_context")
    assert "logging" not in server.capabilities()
    server.remove_resource("mem://a")
    assert "resources" not in server.capabilities()


def test_explicit_capabilities_and_logging_switch():
    server = Server("explicit", logging=False, capabilities={"experimental": {"x": {}}, "prompts": {}})
    logs = Collector()

    @server.tool()
    def talk(ctx: Context) -> bool:
        "Tries to log."
        return ctx.info("hello")

    assert server.capabilities() == {"experimental": {"x": {}}, "prompts": {"listChanged": True},
                                     "tools": {"listChanged": True}}
    with connected(server, on_log=logs) as client:
        assert client.call_tool("talk", {}).structured_content == {"result": False}
        assert client.wire.from_server("notifications/message") == []


def test_public_names():
    assert mcp_sync.Context is ServerContext is Context
    assert "Context" in dir(mcp_sync)
