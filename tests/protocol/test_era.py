"""Era detection state machines (mcp_sync.protocol.era)."""

from __future__ import annotations

import json

import pytest

from mcp_sync.protocol import era as e

V = "2026-07-28"
DISCOVER = {"resultType": "complete", "supportedVersions": [V, "2025-11-25"], "capabilities": {"tools": {}},
            "ttlMs": 0, "cacheScope": "private"}


def unsupported(supported, requested=V):
    return {"code": -32022, "message": "Unsupported protocol version",
            "data": {"supported": supported, "requested": requested}}


# --------------------------------------------------------------------------- choose_version


@pytest.mark.parametrize("server, client, chosen", [
    ([V, "2025-11-25"], [V, "2025-11-25"], V),
    (["2025-11-25", V], ["2025-06-18", "2025-11-25", V], V),
    (["2025-06-18", "2025-03-26"], ["2025-03-26", "2025-06-18", "2025-11-25"], "2025-06-18"),
    (["v999.0.0"], [V], None),
    ([], [V], None),
    (["2099-01-01", V], [V], V),
    (["custom-b", "custom-a"], ["custom-a", "custom-b"], "custom-b"),
])
def test_choose_version(server, client, chosen):
    assert e.choose_version(server, client) == chosen


# --------------------------------------------------------------------------- recognizers


@pytest.mark.parametrize("error, modern", [
    (unsupported([V]), True),
    ({"code": -32022, "message": "x"}, False),           # -32022 without data.supported is not recognized
    ({"code": -32022, "message": "x", "data": {"supported": "2026-07-28"}}, False),
    ({"code": -32020, "message": "Header mismatch"}, True),
    ({"code": -32021, "message": "x", "data": {"requiredCapabilities": {"sampling": {}}}}, True),
    ({"code": -32601, "message": "Method not found"}, False),
    ({"code": -32602, "message": "Invalid params"}, False),
    ({"code": -32000, "message": "Bad Request: Server not initialized"}, False),
    ({"code": True, "message": "x"}, False),
    ("oops", False),
    (None, False),
])
def test_is_modern_error(error, modern):
    assert e.is_modern_error(error) is modern


def test_is_discover_result():
    assert e.is_discover_result(DISCOVER)
    assert not e.is_discover_result({"tools": []})
    assert not e.is_discover_result({"supportedVersions": V, "capabilities": {}})


# --------------------------------------------------------------------------- stdio


def test_stdio_probe_starts_with_newest_modern_version():
    probe = e.StdioEraProbe()
    assert probe.method == "server/discover" and probe.version == V


def test_stdio_discover_result_is_modern():
    d = e.StdioEraProbe().on_result(DISCOVER)
    assert (d.action, d.era, d.version) == (e.USE, e.MODERN, V)


def test_stdio_discover_listing_only_legacy_versions_falls_back():
    d = e.StdioEraProbe().on_result({**DISCOVER, "supportedVersions": ["2025-11-25"]})
    assert (d.action, d.era, d.version) == (e.INITIALIZE, e.LEGACY, "2025-11-25")


def test_stdio_discover_without_mutual_version_fails():
    d = e.StdioEraProbe().on_result({**DISCOVER, "supportedVersions": ["2099-01-01"]})
    assert d.action == e.FAIL


def test_stdio_unsupported_version_retries_once_then_fails():
    probe = e.StdioEraProbe()
    d = probe.on_error(unsupported([V]))
    assert (d.action, d.era, d.version) == (e.RETRY, e.MODERN, V)
    assert probe.version == V and probe.decision is None
    d2 = probe.on_error(unsupported([V]))
    assert d2.action == e.FAIL


def test_stdio_unsupported_version_then_success():
    probe = e.StdioEraProbe([V, "2099-01-01"])
    assert probe.version == "2099-01-01"
    d = probe.on_error(unsupported([V], requested="2099-01-01"))
    assert (d.action, d.version) == (e.RETRY, V)
    assert probe.on_result(DISCOVER).action == e.USE


def test_stdio_unsupported_listing_legacy_only_goes_legacy():
    d = e.StdioEraProbe().on_error(unsupported(["2025-11-25", "2025-06-18"]))
    assert (d.action, d.era, d.version) == (e.INITIALIZE, e.LEGACY, "2025-11-25")


def test_stdio_unsupported_without_anything_shared_fails():
    assert e.StdioEraProbe().on_error(unsupported(["1999-01-01"])).action == e.FAIL


@pytest.mark.parametrize("error", [
    {"code": -32601, "message": "Method not found"},
    {"code": -32602, "message": "Invalid params"},
    {"code": -32600, "message": "Server not initialized"},
    {"code": -32000, "message": "whatever"},
    {"code": -32603, "message": "Internal error"},
    {"code": -32022, "message": "no data"},
])
def test_stdio_other_errors_mean_legacy(error):
    d = e.StdioEraProbe().on_error(error)
    assert (d.action, d.era, d.version) == (e.INITIALIZE, e.LEGACY, "2025-11-25")


@pytest.mark.parametrize("code", [-32020, -32021])
def test_stdio_other_modern_errors_keep_modern(code):
    d = e.StdioEraProbe().on_error({"code": code, "message": "x"})
    assert (d.action, d.era) == (e.USE, e.MODERN)


def test_stdio_timeout_means_legacy():
    d = e.StdioEraProbe().on_timeout()
    assert (d.action, d.era) == (e.INITIALIZE, e.LEGACY)


def test_stdio_non_discover_result_means_legacy():
    assert e.StdioEraProbe().on_result({}).action == e.INITIALIZE


def test_modern_only_client_cannot_fall_back():
    probe = e.StdioEraProbe([V])
    assert probe.on_timeout().action == e.FAIL


def test_legacy_only_client_cannot_probe():
    with pytest.raises(ValueError):
        e.StdioEraProbe(["2025-11-25"])


# --------------------------------------------------------------------------- HTTP


def body(obj) -> bytes:
    return json.dumps(obj).encode()


def test_http_200_discover_is_modern():
    d = e.HttpEraProbe().on_response(200, body({"jsonrpc": "2.0", "id": 1, "result": DISCOVER}))
    assert (d.action, d.era, d.version) == (e.USE, e.MODERN, V)


def test_http_200_over_sse_is_modern():
    sse = ("event: message\ndata: " + json.dumps({"jsonrpc": "2.0", "id": 1, "result": DISCOVER}) + "\n\n")
    assert e.HttpEraProbe().on_response(200, sse).action == e.USE


def test_http_400_with_32022_retries_with_listed_version():
    # request-metadata: the first POST is refused with -32022 listing the version we sent; retry it once
    probe = e.HttpEraProbe()
    msg = {"jsonrpc": "2.0", "id": 1, "error": unsupported([V])}
    d = probe.on_response(400, body(msg))
    assert (d.action, d.era, d.version) == (e.RETRY, e.MODERN, V)
    d2 = probe.on_response(200, body({"jsonrpc": "2.0", "id": 2, "result": DISCOVER}))
    assert d2.action == e.USE


@pytest.mark.parametrize("code", [-32020, -32021])
def test_http_400_with_other_modern_error_is_modern(code):
    d = e.HttpEraProbe().on_response(400, body({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": "x"}}))
    assert (d.action, d.era) == (e.USE, e.MODERN)


def test_http_404_with_32601_body_is_a_modern_server():
    d = e.HttpEraProbe().on_response(404, body({"jsonrpc": "2.0", "id": 1,
                                                "error": {"code": -32601, "message": "Method not found"}}))
    assert (d.action, d.era) == (e.USE, e.MODERN)


@pytest.mark.parametrize("status, payload", [
    (400, b""),
    (400, None),
    (400, b"Bad Request"),
    (400, body({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": "Bad Request: No valid session ID"}})),
    (400, body({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid params"}})),
    (404, b"Not Found"),
    (405, b""),
    (404, body({"error": "not found"})),
])
def test_http_unrecognized_refusal_means_legacy_initialize(status, payload):
    d = e.HttpEraProbe().on_response(status, payload)
    assert (d.action, d.era, d.version) == (e.INITIALIZE, e.LEGACY, "2025-11-25")


def test_http_200_legacy_style_error_means_legacy():
    d = e.HttpEraProbe().on_response(200, body({"jsonrpc": "2.0", "id": 1,
                                                "error": {"code": -32601, "message": "Method not found"}}))
    assert d.action == e.INITIALIZE


def test_http_200_result_without_result_type_means_legacy():
    d = e.HttpEraProbe().on_response(200, body({"jsonrpc": "2.0", "id": 1, "result": {"tools": []}}))
    assert d.action == e.INITIALIZE


def test_http_200_modern_non_discover_result():
    d = e.HttpEraProbe().on_response(200, {"jsonrpc": "2.0", "id": 1, "result": {"resultType": "complete",
                                                                                "tools": []}})
    assert (d.action, d.era) == (e.USE, e.MODERN)


@pytest.mark.parametrize("status", [401, 403, 500, 502, 503, 301])
def test_http_non_era_statuses(status):
    d = e.HttpEraProbe().on_response(status, b"")
    assert d.action == e.ERROR and d.era is None


def test_http_legacy_initialize_then_sse_fallback():
    probe = e.HttpEraProbe()
    assert probe.on_response(404, b"").action == e.INITIALIZE
    for status in (400, 404, 405):
        fresh = e.HttpEraProbe()
        fresh.on_response(404, b"")
        d = fresh.on_initialize_response(status, b"")
        assert (d.action, d.era, d.version) == (e.HTTP_SSE, e.LEGACY_SSE, "2024-11-05")


def test_http_initialize_success_confirms_legacy():
    probe = e.HttpEraProbe()
    probe.on_response(400, b"")
    d = probe.on_initialize_response(200)
    assert (d.action, d.era, d.version) == (e.USE, e.LEGACY, "2025-11-25")


def test_http_sse_fallback_can_be_disabled():
    probe = e.HttpEraProbe(allow_sse_fallback=False)
    probe.on_response(405, b"")
    assert probe.on_initialize_response(405).action == e.ERROR


def test_http_initialize_refused_by_modern_server_listing_versions():
    probe = e.HttpEraProbe()
    probe.on_response(400, b"")  # e.g. an intermediary garbled the first answer
    d = probe.on_initialize_response(404, body({"jsonrpc": "2.0", "id": 1, "error": unsupported([V], "2025-11-25")}))
    assert (d.action, d.version) == (e.RETRY, V)
    d2 = e.HttpEraProbe()
    d2.on_response(400, b"")
    assert d2.on_initialize_response(400, body({"jsonrpc": "2.0", "id": 1,
                                                "error": {"code": -32600, "message": "no"}})).action == e.ERROR


def test_parse_body_variants():
    assert e.parse_body(None) is None
    assert e.parse_body(b"") is None
    assert e.parse_body(b"\xff\xfe") is None
    assert e.parse_body({"a": 1}) == {"a": 1}
    assert e.parse_body('{"a": 1}') == {"a": 1}
    sse = ": keep-alive\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n" \
          "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"
    assert e.parse_body(sse) == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert e.parse_body("data: not json\n\n") is None


# --------------------------------------------------------------------------- cache


def test_era_cache_keeps_final_decisions_only():
    cache = e.EraCache()
    cache.put("http://a", e.EraDecision(e.RETRY, e.MODERN, V))
    assert cache.get("http://a") is None
    final = e.EraDecision(e.USE, e.MODERN, V)
    cache.put("http://a", final)
    assert cache.get("http://a") == final
    cache.forget("http://a")
    assert cache.get("http://a") is None
