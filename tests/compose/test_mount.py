"""``server.mount(other, prefix=...)``: names, liveness, collisions, unmounting, and two hops with a proxy."""

from __future__ import annotations

import threading

import pytest

from mcp_sync import Client, Context, McpError, Server
from mcp_sync.proxy import ProxyServer
from mcp_sync.server.mount import prefixed_uri
from tests.compose.support import HANDLERS, UPSTREAM_COMMAND, child_env

ERAS = ["legacy", "modern"]


def weather() -> Server:
    server = Server("weather")

    @server.tool()
    def forecast(city: str) -> str:
        """Tomorrow's weather."""
        return f"sunny in {city}"

    @server.tool()
    def confirm_trip(ctx: Context, city: str) -> str:
        """Ask before booking."""
        answer = ctx.elicit(f"Book {city}?", {"type": "object", "properties": {"yes": {"type": "boolean"}}})
        return "booked" if answer.action == "accept" and answer.content["yes"] else "not booked"

    @server.resource("data://cities", mime_type="text/plain")
    def cities() -> str:
        return "Paris, Oslo"

    @server.resource("data://city/{name}")
    def city(name: str) -> str:
        return f"city {name}"

    @server.prompt()
    def plan(city: str) -> str:
        """Plan a trip."""
        return f"Plan a trip to {city}"

    @server.completion(prompt="plan", argument="city")
    def complete_city(value: str) -> list[str]:
        return [c for c in ("Paris", "Oslo", "Porto") if c.startswith(value)]

    return server


def yes(params):
    return {"action": "accept", "content": {"yes": True}}


@pytest.mark.parametrize("era", ERAS)
def test_mounted_definitions_are_served_under_the_prefix(era):
    parent = Server("parent")

    @parent.tool()
    def own() -> str:
        return "own"

    parent.mount(weather(), "wx")
    with Client.connect(parent, protocol=era, elicitation=yes) as client:
        assert [t.name for t in client.list_tools()] == ["own", "wx_forecast", "wx_confirm_trip"]
        forecast = client.list_tools()[1]
        assert forecast.description == "Tomorrow's weather." and forecast.input_schema["required"] == ["city"]
        assert client.call_tool("wx_forecast", {"city": "Oslo"}).content[0].text == "sunny in Oslo"
        assert client.call_tool("wx_confirm_trip", {"city": "Oslo"}).content[0].text == "booked"
        bad = client.call_tool("wx_forecast", {})
        assert bad.is_error and "Invalid arguments for tool 'wx_forecast'" in bad.content[0].text
        assert [r.uri for r in client.list_resources()] == ["data://wx/cities"]
        assert client.read_resource("data://wx/cities").contents[0].text == "Paris, Oslo"
        assert [t.uri_template for t in client.list_resource_templates()] == ["data://wx/city/{name}"]
        assert client.read_resource("data://wx/city/Oslo").contents[0].text == "city Oslo"
        with pytest.raises(McpError):
            client.read_resource("data://cities")  # the unprefixed URI is not served
        assert [p.name for p in client.list_prompts()] == ["wx_plan"]
        assert client.get_prompt("wx_plan", {"city": "Oslo"}).messages[0].content.text == "Plan a trip to Oslo"
        done = client.complete({"type": "ref/prompt", "name": "wx_plan"}, "city", "P")
        assert done.completion.values == ["Paris", "Porto"]


def test_a_mount_is_live_and_announces_changes():
    parent, child = Server("parent"), weather()
    parent.mount(child, "wx", separator=".")
    changed = threading.Event()
    with Client.connect(parent, protocol="legacy", on_tools_changed=changed.set) as client:
        assert "wx.forecast" in [t.name for t in client.list_tools()]

        @child.tool()
        def rain() -> str:
            return "wet"

        assert changed.wait(10)
        assert client.call_tool("wx.rain", {}).content[0].text == "wet"
        child.remove_tool("forecast")
        assert "wx.forecast" not in [t.name for t in client.list_tools()]
        with pytest.raises(McpError) as caught:
            client.call_tool("wx.forecast", {"city": "x"})
        assert caught.value.code == -32602


def test_collisions_are_refused_at_mount_time_and_skipped_later(caplog):
    parent = Server("parent")

    @parent.tool(name="wx_forecast")
    def clash() -> str:
        return "parent's"

    child = weather()
    with pytest.raises(ValueError, match="already has wx_forecast; mount it with another prefix"):
        parent.mount(child, "wx")
    assert parent.capabilities().get("prompts") is None  # nothing was mounted
    mount = parent.mount(child, "weather")
    other = Server("other")

    @other.tool(name="forecast")
    def other_forecast() -> str:
        return "other's"

    second = parent.mount(other, "weather2")
    with Client.connect(parent, protocol="legacy") as client:
        names = [t.name for t in client.list_tools()]
        assert names == ["wx_forecast", "weather_forecast", "weather_confirm_trip", "weather2_forecast"]
        with pytest.raises(ValueError, match="already registered"):  # the parent cannot take a mounted name
            parent.add_tool(lambda: "x", name="weather_forecast")

        @child.tool(name="later")
        def later() -> str:
            return "mounted"

        parent.add_tool(lambda: "parent's own", name="weather2_late")

        @other.tool(name="late")
        def late() -> str:
            return "other's late"

        assert client.call_tool("weather2_late", {}).content[0].text == "parent's own"  # the parent wins
        assert "is not mounted: the parent has its own" in caplog.text
        mount.close()
        second.close()
        assert [t.name for t in client.list_tools()] == ["wx_forecast", "weather2_late"]


def test_mount_without_prefix_and_bad_arguments():
    parent = Server("parent")
    mount = parent.mount(weather())
    assert mount.name("forecast") == "forecast" and mount.resource_uri("data://x") == "data://x"
    with Client.connect(parent, protocol="modern") as client:
        assert client.call_tool("forecast", {"city": "Rome"}).content[0].text == "sunny in Rome"
    with pytest.raises(TypeError, match="mount\\(\\) takes a Server"):
        parent.mount("http://example.com/mcp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty string"):
        parent.mount(weather(), "")
    with pytest.raises(ValueError, match="on itself"):
        parent.mount(parent, "me")


def test_prefixed_uris():
    assert prefixed_uri("p", "file:///a/b") == "file://p//a/b"
    assert prefixed_uri("p", "data://x/{id}") == "data://p/x/{id}"
    assert prefixed_uri("p", "plain") == "p/plain"


@pytest.mark.parametrize("era", ERAS)
def test_mount_of_a_proxy_through_two_hops(era):
    """client --HTTP--> gateway (mount + proxy) --stdio--> upstream process, asking back the whole way."""
    gateway = Server("gateway")
    with ProxyServer(UPSTREAM_COMMAND, env=child_env()) as upstream:
        gateway.mount(upstream, "up")
        handle = gateway.start_http()
        try:
            with Client.http(handle.url, protocol=era, **HANDLERS) as client:
                assert "up_ask_name" in [t.name for t in client.list_tools()]
                assert client.call_tool("up_add", {"a": 1, "b": 2}).structured_content == {"result": 3}
                assert client.call_tool("up_ask_name", {}).content[0].text == "Hello, Ada!"
                assert client.read_resource("data://up/readme").contents[0].text == "upstream readme"
                assert client.read_resource("data://up/items/3").contents[0].text == '{"id":"3"}'
                prompt = client.get_prompt("up_review", {"code": "x", "language": "perl"})
                assert prompt.messages[0].content.text == "Please review this perl: x"
        finally:
            handle.stop()


def test_concurrent_changes_of_the_mounted_server_all_arrive():
    parent, child = Server("parent"), Server("child")
    parent.mount(child, "c")

    def register(start: int) -> None:
        for i in range(start, start + 25):
            child.add_tool(lambda i=i: i, name=f"t{i}")
        for i in range(start, start + 25, 5):
            child.remove_tool(f"t{i}")

    threads = [threading.Thread(target=register, args=(n * 25,), name=f"register-{n}") for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = sorted(f"c_t{i}" for i in range(100) if i % 5)
    with Client.connect(parent, protocol="legacy") as client:
        assert sorted(t.name for t in client.list_tools()) == expected
