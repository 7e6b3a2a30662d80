"""Caching hints ttlMs / cacheScope (mcp_sync.protocol.caching)."""

from __future__ import annotations

import pytest

from mcp_sync.protocol import caching as c
from tests.wire_schema import validate

V = "2026-07-28"

RESULTS = {
    "server/discover": ("DiscoverResult", {"resultType": "complete", "supportedVersions": [V], "capabilities": {}}),
    "tools/list": ("ListToolsResult", {"resultType": "complete", "tools": []}),
    "prompts/list": ("ListPromptsResult", {"resultType": "complete", "prompts": []}),
    "resources/list": ("ListResourcesResult", {"resultType": "complete", "resources": []}),
    "resources/templates/list": ("ListResourceTemplatesResult", {"resultType": "complete", "resourceTemplates": []}),
    "resources/read": ("ReadResourceResult", {"resultType": "complete", "contents": [
        {"uri": "test://static-text", "mimeType": "text/plain", "text": "hi"}]}),
}


def test_cacheable_methods():
    assert c.CACHEABLE_METHODS == set(RESULTS)


@pytest.mark.parametrize("method", sorted(RESULTS))
def test_defaults_are_stamped_and_schema_valid(method):
    def_name, result = RESULTS[method]
    with pytest.raises(AssertionError):
        validate(V, def_name, result)  # the schema requires the hints...
    stamped = c.apply_cache_hints(method, result)
    assert (stamped["ttlMs"], stamped["cacheScope"]) == (0, "private")
    validate(V, def_name, stamped)  # ...and these satisfy it
    assert "ttlMs" not in result  # not mutated


def test_policy_defaults_and_per_method():
    policy = c.CachePolicy(ttl_ms=60_000, scope="public", per_method={"resources/read": (5_000, "private")})
    assert c.apply_cache_hints("tools/list", {"tools": []}, policy=policy) == {
        "tools": [], "ttlMs": 60_000, "cacheScope": "public"}
    out = c.apply_cache_hints("resources/read", {"contents": []}, {"uri": "x"}, policy)
    assert (out["ttlMs"], out["cacheScope"]) == (5_000, "private")


def test_policy_validation():
    with pytest.raises(ValueError):
        c.CachePolicy(scope="shared")
    with pytest.raises(ValueError):
        c.CachePolicy(per_method={"tools/call": (1, "public")})
    with pytest.raises(ValueError):
        c.CachePolicy(per_method={"tools/list": (1, "everyone")})
    assert c.CachePolicy(ttl_ms=-5).ttl_ms == 0
    assert c.CachePolicy(per_method={"tools/list": (-1, "public")}).hints("tools/list") == (0, "public")


@pytest.mark.parametrize("given, expected", [
    (-1, 0), (-1000, 0), (0, 0), (1500, 1500), (2.0, 2), (2.5, 0), ("100", 0), (None, 0), (True, 0),
])
def test_handler_ttl_is_kept_but_clamped(given, expected):
    out = c.apply_cache_hints("tools/list", {"tools": [], "ttlMs": given})
    assert out["ttlMs"] == expected
    validate(V, "ListToolsResult", {**out, "resultType": "complete"})


def test_handler_scope_kept_when_valid_replaced_when_not():
    assert c.apply_cache_hints("tools/list", {"cacheScope": "public"})["cacheScope"] == "public"
    assert c.apply_cache_hints("tools/list", {"cacheScope": "world"})["cacheScope"] == "private"


def test_non_cacheable_methods_untouched():
    result = {"resultType": "complete", "content": []}
    assert c.apply_cache_hints("tools/call", result) == result
    assert c.apply_cache_hints("prompts/get", {"messages": []}) == {"messages": []}


def test_input_required_result_never_gets_hints():
    irr = {"resultType": "input_required", "requestState": "s"}
    assert c.apply_cache_hints("resources/read", irr) == irr
    validate(V, "InputRequiredResult", irr)


def test_task_results_untouched():
    assert "ttlMs" not in c.apply_cache_hints("resources/read", {"resultType": "task"})


@pytest.mark.parametrize("params", [{"uri": "x", "inputResponses": {}}, {"uri": "x", "requestState": "s"}])
def test_retried_results_are_marked_uncacheable(params):
    policy = c.CachePolicy(ttl_ms=60_000, scope="public")
    out = c.apply_cache_hints("resources/read", {"resultType": "complete", "contents": [], "ttlMs": 9999,
                                                 "cacheScope": "public"}, params, policy)
    assert (out["ttlMs"], out["cacheScope"]) == (0, "private")


@pytest.mark.parametrize("result, hints", [
    ({"ttlMs": 5000, "cacheScope": "public"}, (5000, "public")),
    ({"resultType": "complete", "ttlMs": 5000, "cacheScope": "private"}, (5000, "private")),
    ({}, (0, "private")),                                 # an older server
    ({"ttlMs": -3, "cacheScope": "public"}, (0, "public")),
    ({"ttlMs": "9", "cacheScope": "PUBLIC"}, (0, "private")),
    ({"resultType": "input_required", "ttlMs": 5000}, (0, "private")),
    (None, (0, "private")),
])
def test_read_cache_hints(result, hints):
    assert c.read_cache_hints(result) == hints


def test_cache_key():
    assert c.cache_key("resources/read", {"uri": "a", "_meta": {"x": 1}}) == ("resources/read", "a")
    assert c.cache_key("tools/list", {"cursor": "p2"}) == ("tools/list", "p2")
    assert c.cache_key("tools/list") == ("tools/list", None)
    assert c.cache_key("server/discover", {"_meta": {}}) == ("server/discover",)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_result_cache_freshness():
    clock = Clock()
    cache = c.ResultCache(clock)
    result = {"resultType": "complete", "tools": [{"name": "a"}], "ttlMs": 2000, "cacheScope": "public"}
    assert cache.put("tools/list", {}, result)
    assert cache.get("tools/list", {}) == result
    clock.now += 1.999
    assert cache.get("tools/list", {"_meta": {"ignored": 1}}) == result
    clock.now += 0.001
    assert cache.get("tools/list", {}) is None


def test_result_cache_refuses_uncacheable():
    cache = c.ResultCache(Clock())
    assert not cache.put("tools/list", {}, {"tools": [], "ttlMs": 0, "cacheScope": "public"})
    assert not cache.put("tools/list", {}, {"tools": []})
    assert not cache.put("tools/call", {}, {"content": [], "ttlMs": 1000})
    assert not cache.put("resources/read", {"uri": "a", "requestState": "s"},
                         {"contents": [], "ttlMs": 1000, "cacheScope": "public"})
    assert not cache.put("resources/read", {"uri": "a"}, {"resultType": "input_required", "ttlMs": 1000})


def test_result_cache_private_scope_stays_in_its_auth_context():
    cache = c.ResultCache(Clock())
    cache.put("tools/list", {}, {"tools": [], "ttlMs": 1000, "cacheScope": "private"}, auth_context="alice")
    assert cache.get("tools/list", {}, auth_context="alice") is not None
    assert cache.get("tools/list", {}, auth_context="bob") is None
    assert cache.get("tools/list", {}) is None
    cache.put("prompts/list", {}, {"prompts": [], "ttlMs": 1000, "cacheScope": "public"}, auth_context="alice")
    assert cache.get("prompts/list", {}, auth_context="bob") is not None


def test_result_cache_pages_and_uris_are_separate():
    cache = c.ResultCache(Clock())
    cache.put("tools/list", {}, {"tools": [1], "ttlMs": 1000, "cacheScope": "public"})
    cache.put("tools/list", {"cursor": "p2"}, {"tools": [2], "ttlMs": 1000, "cacheScope": "public"})
    assert cache.get("tools/list", {"cursor": "p2"})["tools"] == [2]
    assert cache.get("tools/list", {})["tools"] == [1]


def test_result_cache_invalidation_by_notifications():
    cache = c.ResultCache(Clock())
    hints = {"ttlMs": 10_000, "cacheScope": "public"}
    for method, params in [("tools/list", {}), ("tools/list", {"cursor": "2"}), ("prompts/list", {}),
                           ("resources/list", {}), ("resources/templates/list", {}),
                           ("resources/read", {"uri": "a"}), ("resources/read", {"uri": "b"})]:
        cache.put(method, params, dict(hints))
    cache.on_notification("notifications/tools/list_changed")
    assert cache.get("tools/list", {}) is None and cache.get("tools/list", {"cursor": "2"}) is None
    assert cache.get("prompts/list", {}) is not None
    cache.on_notification("notifications/resources/updated", {"uri": "a"})
    assert cache.get("resources/read", {"uri": "a"}) is None
    assert cache.get("resources/read", {"uri": "b"}) is not None
    cache.on_notification("notifications/resources/list_changed")
    assert cache.get("resources/list", {}) is None and cache.get("resources/templates/list", {}) is None
    cache.on_notification("notifications/prompts/list_changed")
    assert cache.get("prompts/list", {}) is None
    cache.on_notification("notifications/message", {"level": "info"})  # unrelated: no effect
    cache.clear()
    assert cache.get("resources/read", {"uri": "b"}) is None


def test_result_cache_is_bounded():
    cache = c.ResultCache(Clock(), max_entries=2)
    for uri in "abc":
        cache.put("resources/read", {"uri": uri}, {"contents": [], "ttlMs": 1000, "cacheScope": "public"})
    assert cache.get("resources/read", {"uri": "a"}) is None
    assert cache.get("resources/read", {"uri": "c"}) is not None
