"""ClientGroup: several servers behind one object; the collision policies; routing; a config of processes."""

from __future__ import annotations

import sys

import pytest

from mcp_sync import Client, McpError, Server
from mcp_sync.client.group import ClientGroup, NameCollision, UnknownName
from tests.compose.support import ROOT, UPSTREAM, child_env


def server(name: str, *tools: str, resource: str | None = None, template: str | None = None) -> Server:
    made = Server(name)
    for tool in tools:
        made.add_tool(lambda tool=tool: f"{tool} of {name}", name=tool, description=f"{tool} ({name})")
    if resource is not None:
        made.add_resource(resource, f"{resource} from {name}")
    if template is not None:
        made.add_resource(template, lambda key: f"{key} from {name}")
    made.add_prompt(lambda: f"hello from {name}", name="hello")
    return made


def group_of(collisions: str, **more) -> ClientGroup:
    return ClientGroup({
        "alpha": Client.connect(server("alpha", "search", "only_a", resource="mem://shared"), protocol="legacy"),
        "beta": Client.connect(server("beta", "search", "only_b", resource="mem://shared",
                                      template="mem://beta/{key}"), protocol="modern"),
    }, collisions=collisions, **more)


def test_prefix_policy_namespaces_every_name_and_routes_calls():
    with group_of("prefix") as group:
        tools = group.list_tools()
        assert [t.name for t in tools] == ["alpha_search", "alpha_only_a", "beta_search", "beta_only_b"]
        assert tools[2].description == "search (beta)"
        assert group.call_tool("alpha_search").content[0].text == "search of alpha"
        assert group.call_tool("beta_search").content[0].text == "search of beta"
        assert group.collisions["tools"] == {}
        with pytest.raises(UnknownName, match="'search'"):
            group.call_tool("search")
        assert [p.name for p in group.list_prompts()] == ["alpha_hello", "beta_hello"]
        assert group.get_prompt("beta_hello").messages[0].content.text == "hello from beta"


def test_first_policy_keeps_names_and_the_first_server_wins():
    with group_of("first") as group:
        assert [t.name for t in group.list_tools()] == ["search", "only_a", "only_b"]
        assert group.collisions["tools"] == {"search": ["beta"]}
        assert group.call_tool("search").content[0].text == "search of alpha"
        assert group.call_tool("beta_search").content[0].text == "search of beta"  # the hidden one, qualified
        assert group.call_tool("only_b").content[0].text == "only_b of beta"
        assert group.server_of("tools", "only_b") == "beta"


def test_error_policy_raises_on_a_shared_name():
    with group_of("error") as group:
        with pytest.raises(NameCollision, match="servers 'alpha' and 'beta' both offer the tool 'search'"):
            group.list_tools()


def test_resources_keep_their_uris_and_unlisted_ones_are_searched():
    with group_of("prefix") as group:
        assert [r.uri for r in group.list_resources()] == ["mem://shared"]
        assert group.collisions["resources"] == {"mem://shared": ["beta"]}
        assert group.read_resource("mem://shared").contents[0].text == "mem://shared from alpha"
        assert group.read_resource("mem://shared", server="beta").contents[0].text == "mem://shared from beta"
        assert [t.uri_template for t in group.list_resource_templates()] == ["mem://beta/{key}"]
        assert group.read_resource("mem://beta/k1").contents[0].text == "k1 from beta"  # found by asking in turn
        with pytest.raises(UnknownName, match="mem://nowhere"):
            group.read_resource("mem://nowhere")


def test_a_call_to_a_new_name_lists_again_once():
    late = Server("late")
    late.add_tool(lambda: "first", name="first")
    with ClientGroup({"late": Client.connect(late, protocol="legacy")}) as group:
        group.list_tools()
        late.add_tool(lambda: "added", name="added")
        assert group.call_tool("late_added").content[0].text == "added"


@pytest.mark.parametrize("clients, options, message", [
    ({}, {}, "at least one client"),
    ({"a": "not a client"}, {}, "must be a Client"),
    ({"a_b": None}, {}, "contains the separator"),
    ({"a": None}, {"collisions": "last"}, "collisions must be one of"),
])
def test_bad_groups_are_refused(clients, options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ClientGroup(clients, **options)


def test_a_config_of_processes(tmp_path):
    config = {"mcpServers": {
        "one": {"command": sys.executable, "args": [UPSTREAM], "env": child_env(), "cwd": str(ROOT)},
        "two": {"command": [sys.executable, UPSTREAM, "--eras", "legacy"], "env": child_env()},
    }}
    with ClientGroup.from_config(config, collisions="first", protocol="auto") as group:
        assert group["two"].era == "legacy"  # "one" detects its era (modern, unless its probe times out)
        names = [t.name for t in group.list_tools()]
        assert names[:2] == ["add", "ask_name"] and len(names) == len(set(names))
        assert set(group.collisions["tools"]) == set(names)
        assert group.call_tool("two_add", {"a": 1, "b": 2}).structured_content == {"result": 3}
        bad = group.call_tool("add", {"a": "x"})  # the server's own answer passes through
        assert bad.is_error and "Invalid arguments" in bad.content[0].text
        with pytest.raises(McpError) as caught:
            group.get_prompt("review", {})  # a required argument is missing
        assert caught.value.code == -32602


def test_bad_configs():
    with pytest.raises(ValueError, match="has no servers"):
        ClientGroup.from_config({"mcpServers": {}})
    with pytest.raises(ValueError, match="give 'command'"):
        ClientGroup.from_config({"x": {"args": []}})
