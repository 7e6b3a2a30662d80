"""ClientCache: 2026-07-28 results kept for their ttlMs, per cacheScope; expiry with an injected clock."""

from __future__ import annotations

import threading

import pytest

from mcp_sync import Client, Server
from mcp_sync.client.cache import ClientCache
from tests.compose.support import UPSTREAM_COMMAND, child_env


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000.0


def counted(scope: str = "private", ttl_ms: int = 2000) -> tuple[Server, dict[str, int]]:
    """A server whose listings and reads count how often they really ran."""
    calls = {"read": 0}
    server = Server("counted", cache_ttl_ms=ttl_ms, cache_scope=scope)

    @server.tool()
    def echo(text: str) -> str:
        return text

    @server.resource("mem://clock", mime_type="text/plain")
    def clock() -> str:
        calls["read"] += 1
        return f"read {calls['read']}"

    return server, calls


def test_an_entry_is_served_until_ttl_ms_and_expires_then():
    server, calls = counted(ttl_ms=2000)
    clock = FakeClock()
    cache = ClientCache(clock=clock)
    with Client.connect(server, protocol="modern", cache=cache) as client:
        assert client.read_resource("mem://clock").contents[0].text == "read 1"
        clock.advance(1999)
        assert client.read_resource("mem://clock").contents[0].text == "read 1"  # fresh: from the cache
        assert calls["read"] == 1 and cache.hits == 1
        clock.advance(1)  # exactly ttlMs after it arrived: stale
        assert client.read_resource("mem://clock").contents[0].text == "read 2"
        assert calls["read"] == 2


def test_lists_are_cached_per_page_and_dropped_on_list_changed():
    server, _ = counted(ttl_ms=60_000)
    cache = ClientCache(clock=FakeClock())
    changed = threading.Event()
    with Client.connect(server, protocol="modern", cache=cache, on_tools_changed=changed.set) as client:
        with client.subscribe(tools=True):
            assert [t.name for t in client.list_tools()] == ["echo"]
            misses = cache.misses
            assert [t.name for t in client.list_tools()] == ["echo"]
            assert cache.misses == misses and cache.hits >= 1

            @server.tool()
            def later() -> str:
                return "later"

            assert changed.wait(10)
            assert [t.name for t in client.list_tools()] == ["echo", "later"]  # the entry was dropped


def test_private_entries_stay_with_their_client_and_public_ones_are_shared():
    for scope, shared in (("private", False), ("public", True)):
        server, calls = counted(scope=scope)
        cache = ClientCache(clock=FakeClock())
        with Client.connect(server, protocol="modern", cache=cache) as first, \
                Client.connect(server, protocol="modern", cache=cache) as second:
            cache_key = ("same server",)
            cache.server_key = lambda client: cache_key  # type: ignore[method-assign]  # both reach one server
            first.read_resource("mem://clock")
            assert second.read_resource("mem://clock").contents[0].text == ("read 1" if shared else "read 2")


def test_an_auth_context_shares_private_entries_between_clients_of_one_user():
    server, calls = counted(scope="private")
    cache = ClientCache(clock=FakeClock(), auth_context=lambda client: "user-1")
    cache.server_key = lambda client: "one server"  # type: ignore[method-assign]
    with Client.connect(server, protocol="modern", cache=cache) as first, \
            Client.connect(server, protocol="modern", cache=cache) as second:
        first.read_resource("mem://clock")
        assert second.read_resource("mem://clock").contents[0].text == "read 1"


def test_legacy_results_and_zero_ttl_are_never_cached():
    for protocol, ttl in (("legacy", 60_000), ("modern", 0)):
        server, calls = counted(ttl_ms=ttl)
        cache = ClientCache(clock=FakeClock())
        with Client.connect(server, protocol=protocol, cache=cache) as client:
            client.read_resource("mem://clock")
            assert client.read_resource("mem://clock").contents[0].text == "read 2"
            assert cache.hits == 0


def test_tool_calls_are_not_cached_and_the_cache_is_opt_in():
    server, _ = counted(ttl_ms=60_000)
    with Client.connect(server, protocol="modern") as client:
        assert client.cache is None
        client.read_resource("mem://clock")
        assert client.read_resource("mem://clock").contents[0].text == "read 2"
    cache = ClientCache(clock=FakeClock())
    with Client.connect(server, protocol="modern", cache=cache) as client:
        assert client.call_tool("echo", {"text": "a"}).content[0].text == "a"
        assert client.call_tool("echo", {"text": "a"}).content[0].text == "a"
        assert cache.hits == 0 and cache.misses == 0


def test_a_process_over_stdio_and_clear():
    clock = FakeClock()
    cache = ClientCache(clock=clock)
    with Client.stdio([*UPSTREAM_COMMAND, "--ttl", "500"], env=child_env(), protocol="modern", cache=cache,
                      stderr=None) as client:
        first = client.list_prompts()
        assert client.list_prompts() == first and cache.hits == 1
        clock.advance(500)
        assert client.list_prompts() == first and cache.hits == 1  # expired: asked again
    server, calls = counted(ttl_ms=60_000)
    with Client.connect(server, protocol="modern", cache=cache) as client:
        client.read_resource("mem://clock")
        cache.clear()
        assert client.read_resource("mem://clock").contents[0].text == "read 2"


def test_bad_options():
    with pytest.raises(ValueError, match="max_entries"):
        ClientCache(max_entries=0)
