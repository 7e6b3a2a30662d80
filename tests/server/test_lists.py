"""Pagination of every list, and list_changed notifications on run-time changes (in memory)."""

from __future__ import annotations

import pytest

from mcp_sync import McpError, Server
from mcp_sync.server.pagination import encode_cursor
from mcp_sync.transports.memory import MemoryTransport
from tests.server.support import Collector, connected


def populated(count: int = 7, page_size: int | None = 3) -> Server:
    server = Server("lists", page_size=page_size)
    for i in range(count):
        server.add_tool(lambda: "x", name=f"tool_{i}", description="d")
        server.add_prompt(lambda: "x", name=f"prompt_{i}", description="d")
        server.add_resource(f"mem://r/{i}", f"r{i}")
        server.add_resource(f"mem://t{i}/{{x}}", lambda x: x, name=f"t{i}")
    return server


LISTS = [("tools/list", "tools", "name", "tool_"),
         ("prompts/list", "prompts", "name", "prompt_"),
         ("resources/list", "resources", "uri", "mem://r/"),
         ("resources/templates/list", "resourceTemplates", "name", "t")]


@pytest.mark.parametrize("method, key, field, prefix", LISTS)
def test_every_list_pages_with_opaque_cursors(method, key, field, prefix):
    with connected(populated()) as client:
        seen, cursor, pages = [], None, 0
        while True:
            page = client.request(method, {} if cursor is None else {"cursor": cursor})
            pages += 1
            assert len(page[key]) <= 3
            seen += [item[field] for item in page[key]]
            cursor = page.get("nextCursor")
            if cursor is None:
                break
            assert isinstance(cursor, str) and cursor != str(len(seen))  # not a bare offset
        assert pages == 3
        assert seen == [f"{prefix}{i}" for i in range(7)] or seen == [f"t{i}" for i in range(7)]


def test_client_helpers_follow_all_pages():
    with connected(populated()) as client:
        assert [t.name for t in client.list_tools()] == [f"tool_{i}" for i in range(7)]
        assert len(client.list_resource_templates()) == 7


@pytest.mark.parametrize("cursor", ["bogus", "", 12, encode_cursor("prompts", 3), encode_cursor("tools", -1)])
def test_bad_cursors_are_invalid_params(cursor):
    with connected(populated()) as client:
        with pytest.raises(McpError) as info:
            client.request("tools/list", {"cursor": cursor})
        assert info.value.code == -32602
        assert len(client.request("tools/list", {})["tools"]) == 3


def test_no_page_size_means_one_page():
    with connected(populated(count=150, page_size=None)) as client:
        result = client.request("tools/list", {})
        assert len(result["tools"]) == 150 and "nextCursor" not in result


def test_default_page_size_is_100():
    with connected(Server("default")) as client:
        assert client.server_connection.server.page_size == 100


def test_run_time_changes_notify_initialized_clients():
    server = Server("dynamic", capabilities={"tools": {}, "prompts": {}, "resources": {}})
    tools, prompts, resources = Collector(), Collector(), Collector()
    with connected(server, on_tools_changed=lambda: tools("tools"), on_prompts_changed=lambda: prompts("p"),
                   on_resources_changed=lambda: resources("r")) as client:
        assert client.list_tools() == []
        server.add_tool(lambda: "new", name="fresh", description="new tool")
        tools.wait(1)
        assert [t.name for t in client.list_tools()] == ["fresh"]
        server.remove_tool("fresh")
        tools.wait(2)
        assert client.list_tools() == []
        server.add_prompt(lambda: "p", name="p")
        server.remove_prompt("p")
        prompts.wait(2)
        server.add_resource("mem://a", "a")
        server.add_resource("mem://{x}", lambda x: x)
        server.remove_resource("mem://{x}")
        server.remove_resource("mem://a")
        resources.wait(4)
        server.notify_list_changed("tools")
        tools.wait(3)


def test_list_changed_only_for_declared_capabilities_and_initialized_clients():
    server = Server("late")  # nothing registered: no capabilities declared at initialize
    changed = Collector()
    with connected(server) as client:
        server.add_tool(lambda: "x", name="late_tool")
        client.ping()
        # a connection that never initialized gets nothing either
        ours, theirs = MemoryTransport.pair()
        silent = server.serve(theirs)
        server.add_tool(lambda: "y", name="later_tool")
        ours.close()
        assert ours.receive() is None  # nothing was delivered before our own end-of-stream
        silent.close()
        with connected(server, on_tools_changed=lambda: changed("changed")) as second:
            server.remove_tool("later_tool")
            changed.wait(1)
            second.ping()
        client.ping()
        assert client.wire.from_server("notifications/tools/list_changed") == []
