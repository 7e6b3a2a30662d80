"""ProxyServer: an upstream server process served as a local server, in every pair of eras.

The upstream is a real stdio process; the proxy serves it over real HTTP on 127.0.0.1; the
downstream client asks back through both hops (elicitation, sampling, roots).
"""

from __future__ import annotations

import threading

import pytest

from mcp_sync import Client, Context, McpError, Server
from mcp_sync.proxy import ProxyServer, upstream_result
from tests.compose.support import HANDLERS, ROOTS, UPSTREAM_COMMAND, child_env

ERAS = ["legacy", "modern"]


@pytest.fixture
def proxy_over_http():
    """``make(upstream_era, **options)`` -> (proxy, url): the upstream process behind a proxy on HTTP."""
    made = []

    def make(upstream_era: str = "auto", **options):
        proxy = ProxyServer(UPSTREAM_COMMAND, env=child_env(), protocol=upstream_era, name="gateway", **options)
        handle = proxy.start_http()
        made.append((proxy, handle))
        return proxy, handle.url

    yield make
    for proxy, handle in made:
        handle.stop()
        proxy.close()


@pytest.mark.parametrize("down", ERAS)
@pytest.mark.parametrize("up", ERAS)
def test_round_trip_through_two_hops(proxy_over_http, up, down):
    proxy, url = proxy_over_http(up)
    assert proxy.upstream.clients()[0].era == up
    with Client.http(url, protocol=down, **HANDLERS) as client:
        assert client.era == down
        assert client.server_info.name == "gateway"
        assert client.instructions == "The upstream of the composition tests."
        tools = {tool.name: tool for tool in client.list_tools()}
        assert set(tools) == {"add", "ask_name", "name_or_default", "summarize", "count_roots", "steps", "fail",
                              "add_tool"}
        assert tools["add"].title == "Add" and tools["add"].description == "Add two numbers."
        assert tools["add"].input_schema["required"] == ["a", "b"]
        assert tools["add"].output_schema is not None
        assert client.call_tool("add", {"a": 2, "b": 40}).structured_content == {"result": 42}
        # asked back by the upstream, answered by the client behind the proxy
        assert client.call_tool("ask_name", {"greeting": "Hi"}).content[0].text == "Hi, Ada!"
        assert client.call_tool("summarize", {"text": "abc"}).content[0].text == "summary: short(Summarize: abc)"
        assert client.call_tool("count_roots", {}).content[0].text == ",".join(ROOTS)
        failed = client.call_tool("fail", {"message": "boom"})
        assert failed.is_error and "RuntimeError: boom" in failed.content[0].text

        [readme] = client.read_resource("data://readme").contents
        assert (readme.uri, readme.text, readme.mime_type) == ("data://readme", "upstream readme", "text/plain")
        [template] = client.list_resource_templates()
        assert template.uri_template == "data://items/{item_id}"
        [item] = client.read_resource("data://items/7").contents
        assert item.uri == "data://items/7" and item.text == '{"id":"7"}'

        [prompt] = client.list_prompts()
        assert prompt.name == "review" and [(a.name, a.required, a.description) for a in prompt.arguments] == [
            ("code", True, "the code to review"), ("language", False, "its language")]
        got = client.get_prompt("review", {"code": "x = 1"})
        assert got.messages[0].content.text == "Please review this python: x = 1"
        completion = client.complete({"type": "ref/prompt", "name": "review"}, "language", "p")
        assert completion.completion.values == ["python", "perl"]


@pytest.mark.parametrize("down", ERAS)
def test_progress_and_logs_are_passed_back(proxy_over_http, down):
    _, url = proxy_over_http("legacy")
    logs = []
    with Client.http(url, protocol=down, on_log=lambda message: logs.append(message.data)) as client:
        client.set_log_level("info")
        seen = []
        result = client.call_tool("steps", {"n": 3}, progress=lambda p, total, message: seen.append((p, message)))
        assert result.structured_content == {"result": 3}
        assert seen == [(1, "step 1"), (2, "step 2"), (3, "step 3")]
        assert logs == ["did step 1", "did step 2", "did step 3"]


def test_upstream_list_changes_reach_the_downstream_client(proxy_over_http):
    proxy, url = proxy_over_http("legacy")
    changed = threading.Event()
    with Client.http(url, protocol="legacy", on_tools_changed=changed.set) as client:
        assert client.call_tool("add_tool", {"name": "late"}).content[0].text == "late"
        assert changed.wait(30), "the proxy did not announce the upstream's new tool"
        tools = {tool.name: tool for tool in client.list_tools()}
        assert tools["late"].description == "Made at run time: late"
        assert client.call_tool("late", {}).content[0].text == "I am late"


def test_a_client_without_the_capability_gets_a_clear_error(proxy_over_http):
    _, url = proxy_over_http("legacy")
    with Client.http(url, protocol="legacy") as client:  # no elicitation handler
        with pytest.raises(McpError) as caught:
            client.call_tool("ask_name", {})
        assert caught.value.code == -32021  # missing client capability, as in both eras of a plain server
        assert "the client behind this proxy cannot answer" in caught.value.message
        assert "elicitation" in caught.value.message
        assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"result": 2}  # still usable


@pytest.mark.parametrize("down", ERAS)
def test_the_upstream_may_cope_with_a_client_that_cannot_be_asked(proxy_over_http, down):
    _, url = proxy_over_http("legacy")
    with Client.http(url, protocol=down) as client:  # no elicitation handler
        text = client.call_tool("name_or_default", {}).content[0].text
        assert text == "stranger (code -32021)"  # the same in both eras
    with Client.http(url, protocol=down, **HANDLERS) as client:
        assert client.call_tool("name_or_default", {}).content[0].text == "Ada"


def test_unknown_names_and_bad_arguments_are_answered_by_the_proxy(proxy_over_http):
    _, url = proxy_over_http("legacy")
    with Client.http(url, protocol="legacy") as client:
        with pytest.raises(McpError) as caught:
            client.call_tool("nope", {})
        assert caught.value.code == -32602 and "nope" in caught.value.message
        bad = client.call_tool("add", {"a": "two", "b": 1})
        assert bad.is_error and "Invalid arguments" in bad.content[0].text


def test_concurrent_calls_lease_separate_upstream_clients():
    upstream = Server("slow")
    entered = threading.Barrier(3, timeout=30)

    @upstream.tool()
    def meet() -> str:
        entered.wait()  # three calls are inside the upstream at once
        return "met"

    with ProxyServer(upstream, max_clients=3) as proxy:
        with Client.connect(proxy, protocol="legacy") as client:
            futures = [client.nowait.call_tool("meet", {}) for _ in range(3)]
            assert [f.result(30).content[0].text for f in futures] == ["met"] * 3
        assert len(proxy.upstream.clients()) == 3


def test_in_memory_upstream_and_mounting_a_proxy():
    upstream = Server("inner")

    @upstream.tool()
    def ping_back() -> str:
        return "pong"

    gateway = Server("gateway")
    with ProxyServer(upstream) as proxy:
        gateway.mount(proxy, "inner")
        with Client.connect(gateway, protocol="modern") as client:
            assert [t.name for t in client.list_tools()] == ["inner_ping_back"]
            assert client.call_tool("inner_ping_back", {}).content[0].text == "pong"


def test_upstream_results_lose_what_belongs_to_their_hop():
    raw = {"resultType": "complete", "ttlMs": 5, "cacheScope": "public", "content": [],
           "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "x"}, "app/key": 1}}
    assert upstream_result(raw) == {"content": [], "_meta": {"app/key": 1}}


@pytest.mark.parametrize("upstream, message", [
    ("ftp://example.com", r"must be an http\(s\):// URL"),
    ([], "non-empty list of strings"),
    (42, "not int"),
])
def test_bad_upstreams_are_refused(upstream, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ProxyServer(upstream)


def test_an_upstream_that_cannot_start_raises_and_leaves_nothing_behind():
    import sys

    with pytest.raises(Exception) as caught:
        ProxyServer([sys.executable, "-c", "import sys; sys.exit(3)"], timeout=10)
    assert "exit" in str(caught.value).lower() or "closed" in str(caught.value).lower()


@pytest.mark.parametrize("down", ERAS)
def test_cancelling_downstream_cancels_the_upstream_call(down):
    upstream = Server("waits")
    entered, cancelled = threading.Event(), threading.Event()

    @upstream.tool()
    def wait_forever(ctx: Context) -> str:
        entered.set()
        if ctx.cancelled.wait(30):
            cancelled.set()
        return "done"

    with ProxyServer(upstream, protocol="legacy") as proxy:
        with Client.connect(proxy, protocol=down) as client:
            future = client.nowait.call_tool("wait_forever", {})
            assert entered.wait(30)
            future.cancel("changed my mind")
            assert cancelled.wait(30), "the upstream call was not cancelled"


@pytest.mark.parametrize("down, up", [("legacy", "modern"), ("modern", "legacy")])
def test_what_the_proxy_sends_matches_the_official_schema(proxy_over_http, down, up):
    from tests.wire_schema import validate

    _, url = proxy_over_http(up)
    with Client.http(url, protocol=down, **HANDLERS) as client:
        version = client.protocol_version
        validate(version, "ListToolsResult", client.request("tools/list"))
        validate(version, "CallToolResult", client.request("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}))
        validate(version, "CallToolResult", client.request("tools/call", {"name": "ask_name", "arguments": {}}))
        validate(version, "ListResourcesResult", client.request("resources/list"))
        validate(version, "ListResourceTemplatesResult", client.request("resources/templates/list"))
        validate(version, "ReadResourceResult", client.request("resources/read", {"uri": "data://items/1"}))
        validate(version, "ListPromptsResult", client.request("prompts/list"))
        validate(version, "GetPromptResult", client.request("prompts/get", {"name": "review",
                                                                           "arguments": {"code": "x"}}))


def test_roots_changes_of_the_downstream_client_reach_the_upstream():
    upstream = Server("roots")
    told = threading.Event()
    upstream.on_notification("notifications/roots/list_changed")(lambda connection, params: told.set())

    @upstream.tool()
    def roots(ctx: Context) -> str:
        return ",".join(root["uri"] for root in ctx.list_roots())

    with ProxyServer(upstream, protocol="legacy") as proxy:
        with Client.connect(proxy, protocol="legacy", roots=["file:///a"]) as client:
            assert client.call_tool("roots", {}).content[0].text == "file:///a"
            client.set_roots(["file:///b"])
            assert told.wait(30)
            assert client.call_tool("roots", {}).content[0].text == "file:///b"
