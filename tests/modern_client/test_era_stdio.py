"""Era detection over stdio against tiny fake servers (legacy-only, modern-only, and awkward ones)."""

from __future__ import annotations

import time

import pytest

from mcp_sync.errors import CapabilityError, ConnectionClosed, ProtocolVersionError, RequestTimeout
from mcp_sync.protocol.modern import META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION

PROBE = "server/discover"


def test_legacy_server_answering_errors_is_detected_as_legacy(stdio_fake):
    client = stdio_fake.client("legacy")
    assert client.era == "legacy"
    assert client.protocol_version == "2025-11-25"
    assert client.server_info.name == "fake-legacy"
    assert client.call_tool("echo", {"text": "x"}).content[0].text == "legacy:x"
    client.close()
    assert stdio_fake.methods()[:3] == [PROBE, "initialize", "notifications/initialized"]
    probe = stdio_fake.log()[0]
    assert probe["params"]["_meta"][META_PROTOCOL_VERSION] == "2026-07-28"


def test_silent_legacy_server_is_legacy_after_the_probe_timeout(stdio_fake):
    started = time.monotonic()
    client = stdio_fake.client("legacy-silent", probe_timeout=0.3)
    assert client.era == "legacy"
    assert time.monotonic() - started >= 0.3
    client.close()
    methods = stdio_fake.methods()
    # the probe, its cancellation (the timeout), then the handshake
    assert methods[:4] == [PROBE, "notifications/cancelled", "initialize", "notifications/initialized"]


def test_modern_server_is_detected_as_modern_without_initialize(stdio_fake):
    client = stdio_fake.client("modern", name="probe-test", version="1.2.3")
    assert client.era == "modern"
    assert client.protocol_version == "2026-07-28"
    assert client.server_info.name == "fake-modern" and client.server_info.version == "9.9"
    assert client.instructions == "be nice"
    assert client.server_capabilities.tools is not None and client.server_capabilities.tools.list_changed
    assert client.initialize_result is None
    assert client.call_tool("echo", {"text": "hi"}).content[0].text == "hi"
    client.close()
    assert "initialize" not in stdio_fake.methods()
    assert stdio_fake.methods()[:2] == [PROBE, "tools/call"]


def test_every_modern_request_carries_the_request_meta(stdio_fake):
    client = stdio_fake.client("modern", name="meta-test", version="0.1", elicitation=lambda p: {"action": "cancel"},
                               roots=["/tmp"], sampling=lambda p: {})
    client.list_tools()
    client.set_log_level("warning")  # modern: only recorded
    client.call_tool("echo", {"text": "x"})
    client.close()
    requests = [m for m in stdio_fake.log() if "id" in m]
    assert [m["method"] for m in requests] == [PROBE, "tools/list", "tools/call"]
    for message in requests:
        meta = message["params"]["_meta"]
        assert meta[META_PROTOCOL_VERSION] == "2026-07-28"
        assert meta[META_CLIENT_INFO] == {"name": "meta-test", "version": "0.1"}
        assert meta[META_CLIENT_CAPABILITIES] == {"elicitation": {"form": {}}, "roots": {}, "sampling": {}}
    assert "io.modelcontextprotocol/logLevel" not in requests[1]["params"]["_meta"]
    assert requests[2]["params"]["_meta"]["io.modelcontextprotocol/logLevel"] == "warning"
    assert "logging/setLevel" not in stdio_fake.methods()


def test_version_refused_then_retried_with_a_listed_version(stdio_fake):
    client = stdio_fake.client("modern-reject-first")
    assert client.era == "modern"
    client.close()
    assert stdio_fake.methods()[:2] == [PROBE, PROBE]
    first, second = stdio_fake.log()[:2]
    assert first["id"] != second["id"]


def test_no_mutual_version_is_a_clear_error(stdio_fake):
    with pytest.raises(ProtocolVersionError, match="no protocol version both sides speak"):
        stdio_fake.client("modern-future")
    assert "initialize" not in stdio_fake.methods()


def test_modern_server_slow_to_answer_the_probe_is_found_through_initialize(stdio_fake):
    # The probe times out (legacy assumed); initialize is refused listing 2026-07-28: go modern.
    client = stdio_fake.client("modern-ignore-first-discover", probe_timeout=0.3)
    assert client.era == "modern"
    assert client.call_tool("echo", {"text": "late"}).content[0].text == "late"
    client.close()
    assert stdio_fake.methods()[:4] == [PROBE, "notifications/cancelled", "initialize", PROBE]


def test_pinned_legacy_never_probes(stdio_fake):
    client = stdio_fake.client("legacy", protocol="legacy")
    assert client.era == "legacy"
    client.close()
    assert stdio_fake.methods()[0] == "initialize"


def test_protocol_version_alone_still_pins_a_legacy_version(stdio_fake):
    client = stdio_fake.client("legacy", protocol_version="2025-06-18")
    assert client.era == "legacy" and client.protocol_version == "2025-06-18"
    client.close()
    assert stdio_fake.methods()[0] == "initialize"


def test_pinned_modern_does_not_fall_back(stdio_fake):
    with pytest.raises(ProtocolVersionError, match="does not speak the 2026-07-28 protocol"):
        stdio_fake.client("legacy", protocol="modern")
    assert "initialize" not in stdio_fake.methods()


def test_pinned_modern_waits_the_full_timeout_not_the_probe_timeout(stdio_fake):
    with pytest.raises(RequestTimeout):
        stdio_fake.client("legacy-silent", protocol="2026-07-28", timeout=0.5, probe_timeout=0.01)


def test_pinned_legacy_against_a_modern_only_server_fails(stdio_fake):
    from mcp_sync.errors import McpError

    with pytest.raises(McpError) as info:
        stdio_fake.client("modern", protocol="legacy")
    assert info.value.code == -32022


def test_bad_protocol_options_are_refused():
    from mcp_sync.client.era import resolve_protocol

    assert resolve_protocol("auto", None) == ("auto", None)
    assert resolve_protocol("auto", "2025-03-26") == ("legacy", "2025-03-26")
    assert resolve_protocol("2026-07-28", None) == ("modern", "2026-07-28")
    assert resolve_protocol("legacy", "2025-06-18") == ("legacy", "2025-06-18")
    for protocol, version in [("newest", None), ("modern", "2025-11-25"), ("legacy", "2026-07-28"),
                              ("2024-01-01", None)]:
        with pytest.raises(ProtocolVersionError):
            resolve_protocol(protocol, version)


def test_era_is_cached_per_command(stdio_fake, fresh_cache):
    first = stdio_fake.client("legacy-silent", probe_timeout=0.3, era_cache=fresh_cache)
    first.close()
    assert stdio_fake.methods().count(PROBE) == 1
    started = time.monotonic()
    second = stdio_fake.client("legacy-silent", probe_timeout=5.0, era_cache=fresh_cache)
    assert time.monotonic() - started < 5.0  # no second probe to wait for
    assert second.era == "legacy"
    second.close()
    assert stdio_fake.methods().count(PROBE) == 1
    modern = stdio_fake.client("modern", era_cache=fresh_cache)  # another command line: probed
    assert modern.era == "modern"
    modern.close()
    assert stdio_fake.methods().count(PROBE) == 2


def test_a_wrong_cached_era_is_forgotten_and_probed_again(stdio_fake, fresh_cache):
    from mcp_sync.protocol.era import INITIALIZE, LEGACY, EraDecision

    template = stdio_fake.client("modern", era_cache=None, open=False)
    key = template.transport.era_key
    template.close()
    fresh_cache.put(key, EraDecision(INITIALIZE, LEGACY, "2025-11-25", "stale"))
    client = stdio_fake.client("modern", era_cache=fresh_cache)
    assert client.era == "modern"
    client.close()
    assert fresh_cache.get(key).era == "modern"


def test_ping_in_the_modern_era_is_a_local_no_op(stdio_fake):
    client = stdio_fake.client("modern")
    assert client.ping() is None
    assert client.nowait.ping().result(timeout=5) is None
    with pytest.raises(CapabilityError, match="resources/subscribe"):
        client.subscribe_resource("file:///x")
    assert client.discover().supported_versions == ["2026-07-28"]
    client.close()
    assert "ping" not in stdio_fake.methods()
    assert stdio_fake.methods().count(PROBE) == 2
    with pytest.raises(ConnectionClosed):
        client.ping()
