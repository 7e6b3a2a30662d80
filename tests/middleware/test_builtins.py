"""The built-in middlewares (mcp_sync.server.middlewares): each one's effect, in both eras."""

from __future__ import annotations

import json
import logging
import re
import threading
from contextlib import contextmanager

import pytest

from mcp_sync import Server
from mcp_sync.client import Client
from mcp_sync.errors import INTERNAL_ERROR, McpError
from mcp_sync.http import HttpServerHandle
from mcp_sync.protocol.caching import CachePolicy
from mcp_sync.protocol.era import EraCache
from mcp_sync.server.auth import AccessInfo, StaticTokenVerifier, protect
from mcp_sync.server.middlewares import (
    RATE_LIMITED,
    ErrorMasking,
    RateLimiting,
    ResponseCaching,
    ResponseSizeLimit,
    StructuredLogging,
    Timing,
)

ERAS = ["legacy", "modern"]
TOKENS = {"tok-alice": AccessInfo(subject="alice", scopes=frozenset({"mcp"})),
          "tok-bob": AccessInfo(subject="bob", scopes=frozenset({"mcp"}))}


class Clock:
    """A clock the test moves by hand (so nothing depends on how fast the machine is)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Protected:
    """A bearer-protected app, shaped like an McpWsgiApp for HttpServerHandle."""

    def __init__(self, app) -> None:
        self.path = app.path
        self._app = app
        self._wrapped = protect(app, StaticTokenVerifier(TOKENS), resource="http://127.0.0.1/mcp",
                                authorization_servers=["https://auth.example"])

    def __call__(self, environ, start_response):
        return self._wrapped(environ, start_response)

    def close(self) -> None:
        self._app.close()


@contextmanager
def authenticated(server: Server, era: str):
    """``connect(token)`` -> an open client of ``server`` behind bearer auth, over real HTTP."""
    handle = HttpServerHandle(_Protected(server.wsgi_app()))
    clients: list[Client] = []

    def connect(token: str) -> Client:
        client = Client.http(handle.url, headers={"Authorization": f"Bearer {token}"}, protocol=era,
                             era_cache=EraCache())
        clients.append(client)
        return client.open()

    try:
        yield connect
    finally:
        for client in clients:
            client.close()
        handle.stop()
        server.close()


def memory_client(server: Server, era: str) -> Client:
    return Client.connect(server, protocol=era, era_cache=EraCache())


def tools_server(name: str = "demo", **options) -> Server:
    server = Server(name, **options)

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds."""
        return a + b

    @server.tool()
    def leak() -> str:
        """Fails with internal details in the message."""
        raise RuntimeError("password=hunter2 at db-7.internal")

    @server.tool()
    def refuse() -> str:
        """Refuses on purpose, with a code meant for the caller."""
        raise McpError(-32001, "You may not do that")

    @server.tool()
    def big(n: int) -> str:
        """n bytes of text."""
        return "x" * n

    @server.resource("test://broken", mime_type="text/plain")
    def broken() -> str:
        """Fails reading a secret file."""
        raise OSError("/etc/secret-key is missing")

    return server


# -- timing and structured logging ----------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
def test_timing_reports_every_call_with_its_outcome(era, caplog):
    server = tools_server()
    timings: list[tuple[str, float, object]] = []
    lock = threading.Lock()

    def on_timing(call, seconds, error):
        with lock:
            timings.append((call.method, seconds, error))

    server.add_middleware(Timing(on_timing=on_timing))
    with caplog.at_level(logging.INFO, logger="mcp_sync.middlewares"), memory_client(server, era) as client:
        client.call_tool("add", {"a": 1, "b": 2})
        with pytest.raises(McpError):
            client.call_tool("refuse")
    calls = [(m, s, e) for m, s, e in timings if m == "tools/call"]
    assert len(calls) == 2
    assert all(seconds >= 0 for _, seconds, _ in calls)
    assert calls[0][2] is None and isinstance(calls[1][2], McpError) and calls[1][2].code == -32001
    first = "initialize" if era == "legacy" else "server/discover"
    assert first in [m for m, _, _ in timings]
    messages = [r.getMessage() for r in caplog.records if r.name == "mcp_sync.middlewares"]
    assert any(re.fullmatch(r"tools/call add: \d+\.\d ms", m) for m in messages), messages
    assert any(re.fullmatch(r"tools/call refuse: \d+\.\d ms \(failed: McpError\)", m) for m in messages)


@pytest.mark.parametrize("era", ERAS)
def test_structured_logging_writes_one_json_record_per_call(era, caplog):
    server = tools_server()
    server.add_middleware(StructuredLogging(include_params=True))
    with caplog.at_level(logging.INFO, logger="mcp_sync.calls"), memory_client(server, era) as client:
        client.call_tool("add", {"a": 1, "b": 2})
        client.call_tool("leak")
        with pytest.raises(McpError):
            client.call_tool("refuse")
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "mcp_sync.calls"]
    assert [r.mcp for r in caplog.records if r.name == "mcp_sync.calls"] == records  # the fields, for formatters
    calls = [r for r in records if r["method"] == "tools/call"]
    assert [(r["target"], r["outcome"]) for r in calls] == [("add", "ok"), ("leak", "tool_error"),
                                                           ("refuse", "error")]
    assert calls[2]["errorCode"] == -32001 and calls[2]["errorType"] == "McpError"
    for record in calls:
        assert record["event"] == "mcp.request" and record["era"] == era and record["identity"] is None
        assert record["client"] == "mcp-sync" and isinstance(record["durationMs"], float)
        assert "requestId" in record
    assert json.loads(calls[0]["params"])["arguments"] == {"a": 1, "b": 2}
    if era == "legacy":
        assert calls[0]["protocolVersion"] == client.protocol_version
        assert {"event": "mcp.notification", "method": "notifications/initialized"}.items() <= \
            next(r for r in records if r["method"] == "notifications/initialized").items()


# -- rate limiting -------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
def test_rate_limiting_counts_each_identity_apart_and_says_when_to_retry(era):
    clock = Clock()
    server = tools_server()
    server.add_middleware(RateLimiting(rate=1, burst=2, clock=clock), methods=["tools/call"])
    with authenticated(server, era) as connect:
        alice, bob = connect("tok-alice"), connect("tok-bob")
        assert alice.call_tool("add", {"a": 1, "b": 1}).structured_content == {"result": 2}
        alice.call_tool("add", {"a": 1, "b": 1})
        with pytest.raises(McpError) as limited:
            alice.call_tool("add", {"a": 1, "b": 1})
        assert limited.value.code == RATE_LIMITED
        assert limited.value.data == {"retryAfterMs": 1000}
        assert "Rate limit exceeded" in limited.value.message and "retry in 1.0 s" in limited.value.message
        assert bob.call_tool("add", {"a": 2, "b": 2}).structured_content == {"result": 4}  # his own bucket
        assert [t.name for t in alice.list_tools()][:1] == ["add"]  # other methods and the connection: fine
        clock.now += 1.0  # one token back
        assert alice.call_tool("add", {"a": 1, "b": 1}).structured_content == {"result": 2}
        with pytest.raises(McpError):
            alice.call_tool("add", {"a": 1, "b": 1})


def test_rate_limiting_over_stdio_uses_the_anonymous_bucket_and_a_custom_key():
    clock = Clock()
    server = tools_server()
    limiter = RateLimiting(rate=0.5, burst=1, clock=clock, key=lambda call: call.params.get("name"))
    server.add_middleware(limiter, methods=["tools/call"])
    with memory_client(server, "legacy") as client:
        client.call_tool("add", {"a": 1, "b": 1})
        client.call_tool("big", {"n": 1})  # another key
        with pytest.raises(McpError) as limited:
            client.call_tool("add", {"a": 1, "b": 1})
        assert limited.value.data == {"retryAfterMs": 2000}
    with pytest.raises(ValueError, match="positive rate"):
        RateLimiting(rate=0)


# -- error masking -------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
def test_error_masking_hides_internal_details_and_logs_them_with_a_reference(era, caplog):
    plain = tools_server()
    with memory_client(plain, era) as client:  # without it, the peer reads the internals
        assert "hunter2" in client.call_tool("leak").content[0].text
        with pytest.raises(McpError) as raw:
            client.read_resource("test://broken")
        assert "secret-key" in raw.value.message

    server = tools_server()
    server.add_middleware(ErrorMasking())
    with caplog.at_level(logging.ERROR, logger="mcp_sync.middlewares"), memory_client(server, era) as client:
        result = client.call_tool("leak")
        assert result.is_error and len(result.content) == 1
        text = result.content[0].text
        reference = re.fullmatch(r"The tool failed \(reference ([0-9a-f]{16})\)", text).group(1)

        with pytest.raises(McpError) as masked:
            client.read_resource("test://broken")
        assert masked.value.code == INTERNAL_ERROR
        second = re.fullmatch(r"Internal error \(reference ([0-9a-f]{16})\)", masked.value.message).group(1)
        assert masked.value.data == {"correlationId": second} and second != reference

        with pytest.raises(McpError) as chosen:  # an error meant for the caller passes unchanged
            client.call_tool("refuse")
        assert (chosen.value.code, chosen.value.message) == (-32001, "You may not do that")
        wrong = client.call_tool("add", {"a": "one", "b": 2})  # the caller's own mistake: still explained
        assert wrong.is_error and wrong.content[0].text.startswith("Invalid arguments for tool 'add'")
        assert client.call_tool("add", {"a": 1, "b": 2}).structured_content == {"result": 3}
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "mcp_sync.middlewares")
    assert f"[reference {reference}]" in logged and "hunter2" in logged
    assert f"[reference {second}]" in logged and "secret-key" in logged


def test_error_masking_masks_unexpected_exceptions_of_other_middlewares():
    server = tools_server()
    server.add_middleware(ErrorMasking())

    def buggy(call, call_next):
        if call.method == "resources/list":
            raise KeyError("internal-table-7")
        return call_next(call)

    server.add_middleware(buggy)
    with memory_client(server, "legacy") as client:
        with pytest.raises(McpError) as masked:
            client.list_resources()
        assert masked.value.code == INTERNAL_ERROR and "internal-table-7" not in masked.value.message
        assert masked.value.message.startswith("Internal error (reference ")


# -- response size -------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
def test_response_size_limit_refuses_large_results(era):
    server = tools_server()

    @server.resource("test://large", mime_type="text/plain")
    def large() -> str:
        """Large."""
        return "y" * 5000

    server.add_middleware(ResponseSizeLimit(2000), methods=["tools/call", "resources/read"])
    with memory_client(server, era) as client:
        assert client.call_tool("big", {"n": 100}).content[0].text == "x" * 100
        refused = client.call_tool("big", {"n": 5000})
        assert refused.is_error
        assert re.fullmatch(r"The result of tool 'big' is \d+ bytes, over this server's limit of 2000 bytes",
                            refused.content[0].text)
        with pytest.raises(McpError) as too_large:
            client.read_resource("test://large")
        assert too_large.value.code == INTERNAL_ERROR
        assert "'resources/read' is" in too_large.value.message and "limit of 2000 bytes" in too_large.value.message
        assert client.call_tool("add", {"a": 1, "b": 2}).structured_content == {"result": 3}
    with pytest.raises(ValueError, match="positive integer"):
        ResponseSizeLimit(0)


# -- response caching ----------------------------------------------------------------


def counting_server(**options) -> tuple[Server, dict]:
    server = tools_server(**options)
    reads = {"n": 0}
    lock = threading.Lock()

    @server.resource("test://counter", mime_type="text/plain")
    def counter() -> str:
        """How many times it was computed."""
        with lock:
            reads["n"] += 1
            return f"computed {reads['n']}"

    return server, reads


def text_of(result) -> str:
    return result.contents[0].text


def test_response_caching_serves_until_ttl_ms_then_recomputes():
    clock = Clock()
    server, reads = counting_server(cache_ttl_ms=1500)
    cache = ResponseCaching(clock=clock)
    server.add_middleware(cache)
    with memory_client(server, "modern") as client:
        first = client.read_resource("test://counter")
        assert text_of(first) == "computed 1"
        clock.now += 1.0
        assert text_of(client.read_resource("test://counter")) == "computed 1"  # from the cache
        assert cache.hits == 1 and reads["n"] == 1
        clock.now += 0.5  # exactly ttlMs after it was stored: expired
        assert text_of(client.read_resource("test://counter")) == "computed 2"
        assert reads["n"] == 2


def test_response_caching_keeps_nothing_with_ttl_0_and_drops_lists_that_change():
    clock = Clock()
    server, reads = counting_server()  # default policy: ttlMs 0
    cache = ResponseCaching(clock=clock)
    server.add_middleware(cache)
    with memory_client(server, "modern") as client:
        client.read_resource("test://counter")
        client.read_resource("test://counter")
        assert reads["n"] == 2 and cache.stores == 0

    server = tools_server(cache_ttl_ms=60_000)
    server.add_middleware(ResponseCaching(clock=clock))
    with memory_client(server, "modern") as client:
        assert "late" not in [t.name for t in client.list_tools()]

        @server.tool()
        def late() -> str:
            """Added while the list was cached."""
            return "here"

        assert "late" in [t.name for t in client.list_tools()]  # the change dropped the entry

    server, reads = counting_server(cache_ttl_ms=60_000)
    server.add_middleware(ResponseCaching(clock=clock))
    with memory_client(server, "modern") as client:
        assert text_of(client.read_resource("test://counter")) == "computed 1"
        assert text_of(client.read_resource("test://counter")) == "computed 1"
        server.notify_resource_updated("test://other")  # another resource: kept
        assert text_of(client.read_resource("test://counter")) == "computed 1"
        server.notify_resource_updated("test://counter")
        assert text_of(client.read_resource("test://counter")) == "computed 2"


@pytest.mark.parametrize("scope, bob_sees", [("private", "computed 2"), ("public", "computed 1")])
def test_response_caching_honours_cache_scope_across_identities(scope, bob_sees):
    clock = Clock()
    server, reads = counting_server(cache_ttl_ms=60_000, cache_scope=scope)
    server.add_middleware(ResponseCaching(clock=clock))
    with authenticated(server, "modern") as connect:
        alice, bob = connect("tok-alice"), connect("tok-bob")
        assert text_of(alice.read_resource("test://counter")) == "computed 1"
        assert text_of(bob.read_resource("test://counter")) == bob_sees
        assert text_of(alice.read_resource("test://counter")) == "computed 1"


def test_response_caching_of_legacy_results_follows_its_policy():
    clock = Clock()
    server, reads = counting_server()
    server.add_middleware(ResponseCaching(clock=clock))
    with memory_client(server, "legacy") as client:  # no hints in legacy results, no policy: not kept
        client.read_resource("test://counter")
        client.read_resource("test://counter")
        assert reads["n"] == 2

    server, reads = counting_server()
    server.add_middleware(ResponseCaching(clock=clock, policy=CachePolicy(ttl_ms=1000)))
    with memory_client(server, "legacy") as client:
        assert text_of(client.read_resource("test://counter")) == "computed 1"
        assert text_of(client.read_resource("test://counter")) == "computed 1"
        assert "ttlMs" not in client.request("resources/read", {"uri": "test://counter"})  # legacy wire unchanged
        clock.now += 1.0
        assert text_of(client.read_resource("test://counter")) == "computed 2"


@pytest.mark.parametrize("era", ERAS)
def test_error_masking_covers_task_outcomes(era, caplog):
    server = Server("tasks", tasks=True)

    @server.tool(task_support="optional")
    def crunch() -> str:
        """Fails inside its task."""
        raise RuntimeError("password=hunter2 in the task")

    server.add_middleware(ErrorMasking())
    client = Client.connect(server, protocol=era, era_cache=EraCache(), tasks=True)
    try:
        with caplog.at_level(logging.ERROR, logger="mcp_sync.middlewares"), client:
            if era == "legacy":  # tasks/result answers the tool's result
                task = client.call_tool_as_task("crunch")
                result = task.result(timeout=30)
                status = client.get_task(task.task_id)
                assert status.status == "failed"
                assert "hunter2" not in (status.status_message or "")
                text = result.content[0].text
            else:  # tasks/get inlines it; call_tool polls it to its end
                result = client.call_tool("crunch")
                assert result.is_error
                text = result.content[0].text
    finally:
        server.close()
    assert re.fullmatch(r"The tool failed \(reference [0-9a-f]{16}\)", text), text
    assert "hunter2" in "\n".join(r.getMessage() for r in caplog.records if r.name == "mcp_sync.middlewares")


def test_error_masking_of_a_failed_task_status_and_inlined_error():
    from mcp_sync.server import Call

    failed = {"taskId": "t1", "status": "failed", "statusMessage": "KeyError: 'db-7.internal'",
              "error": {"code": INTERNAL_ERROR, "message": "Internal error: secret path /srv/x"},
              "resultType": "complete"}
    masked = ErrorMasking()(Call("tasks/get", {"taskId": "t1"}, era="modern"), lambda call: failed)
    assert re.fullmatch(r"Failed \(reference [0-9a-f]{16}\)", masked["statusMessage"])
    assert masked["error"]["code"] == INTERNAL_ERROR and "secret" not in masked["error"]["message"]
    assert masked["error"]["data"]["correlationId"] in masked["error"]["message"]
    working = {"taskId": "t2", "status": "working", "statusMessage": "step 2 of 3", "resultType": "complete"}
    assert ErrorMasking()(Call("tasks/get", {"taskId": "t2"}, era="modern"), lambda call: working) == working


def test_error_masking_keeps_the_size_limits_own_errors():
    server = tools_server()

    @server.resource("test://large", mime_type="text/plain")
    def large() -> str:
        """Large."""
        return "y" * 5000

    server.add_middleware(ErrorMasking())  # outermost, as recommended
    server.add_middleware(ResponseSizeLimit(2000))
    with memory_client(server, "modern") as client:
        refused = client.call_tool("big", {"n": 5000})
        assert refused.is_error and "over this server's limit of 2000 bytes" in refused.content[0].text
        with pytest.raises(McpError) as too_large:
            client.read_resource("test://large")
        assert "limit of 2000 bytes" in too_large.value.message
        assert client.call_tool("leak").content[0].text.startswith("The tool failed (reference ")
