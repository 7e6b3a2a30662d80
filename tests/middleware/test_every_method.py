"""A middleware sees and can refuse every method, in both eras, over a real stdio subprocess and real HTTP.

The server (tests/middleware/gate_server.py) records what its one middleware
sees and refuses any request flagged in ``_meta``; we send every method a
client can send, once plainly (it must work) and once flagged (it must come
back as the middleware's error, and the connection must survive).
"""

from __future__ import annotations

import json
import os
import sys
import threading

import pytest

from mcp_sync.client import Client
from mcp_sync.errors import McpError, ProtocolVersionError
from mcp_sync.protocol.era import EraCache
from tests.middleware import gate_server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLAG = {gate_server.FLAG: True}

#: (method, params) every client can send, in both eras.
COMMON = [
    ("tools/list", None),
    ("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}),
    ("prompts/list", None),
    ("prompts/get", {"name": "brief", "arguments": {"topic": "mcp"}}),
    ("resources/list", None),
    ("resources/templates/list", None),
    ("resources/read", {"uri": "test://greeting"}),
    ("completion/complete", {"ref": {"type": "ref/prompt", "name": "brief"},
                             "argument": {"name": "topic", "value": "m"}}),
]
LEGACY_ONLY = [("ping", None), ("logging/setLevel", {"level": "info"})]
MODERN_ONLY = [("server/discover", None)]


def connect(transport: str, era: str, env: dict | None = None):
    """A client (not yet open) of a fresh gate server, and a function stopping what was started."""
    if transport == "stdio":
        client = Client.stdio([sys.executable, "-m", "tests.middleware.gate_server"], cwd=ROOT,
                              env={**os.environ, **(env or {})}, protocol=era, era_cache=EraCache())
        return client, lambda: None
    previous = os.environ.get("GATE_REFUSE")
    os.environ["GATE_REFUSE"] = (env or {}).get("GATE_REFUSE", "")
    try:
        server = gate_server.build()
    finally:
        if previous is None:
            del os.environ["GATE_REFUSE"]
        else:
            os.environ["GATE_REFUSE"] = previous
    handle = server.start_http(port=0)
    return Client.http(handle.url, protocol=era, era_cache=EraCache()), handle.stop


@pytest.mark.parametrize("transport", ["stdio", "http"])
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_every_method_is_seen_and_can_be_refused(transport, era):
    client, stop = connect(transport, era)
    methods = COMMON + (LEGACY_ONLY if era == "legacy" else MODERN_ONLY)
    try:
        with client:
            assert client.era == era
            for method, params in methods:
                client.request(method, params)  # passes the gate
                with pytest.raises(McpError) as refused:
                    client.request(method, params, meta=FLAG)
                assert refused.value.code == gate_server.REFUSED, method
                assert refused.value.message == f"refused by the gate: {method}"
            if era == "legacy":
                client.notify("notifications/example/poke", {"n": 1})
                client.notify("notifications/example/poke", {"n": 2, "_meta": FLAG})  # dropped by the gate
                client.notify("notifications/example/poke", {"n": 3})
            else:
                with pytest.raises(McpError) as refused:
                    client.request("subscriptions/listen", {"notifications": {"toolsListChanged": True}}, meta=FLAG)
                assert refused.value.code == gate_server.REFUSED
                with client.subscribe(tools=True) as subscription:
                    assert subscription.acknowledged is not None
            # initialized + 3 pokes (legacy): notifications run on their own thread, so the tool waits for them
            report = client.call_tool("seen_so_far", {"notifications": 4 if era == "legacy" else 0}).structured_content
    finally:
        stop()
    seen = [(kind, method) for kind, method, seen_era in report["seen"]]
    assert {e for _, _, e in report["seen"]} == {era}
    for method, _ in methods:
        assert seen.count(("request", method)) >= 2, (method, seen)  # plain and refused
    if era == "legacy":
        assert seen[0] == ("request", "initialize")
        assert ("notification", "notifications/initialized") in seen
        assert seen.count(("notification", "notifications/example/poke")) == 3
        assert report["delivered"] == ["1", "3"]
    else:
        assert ("request", "server/discover") in seen
        assert seen.count(("request", "subscriptions/listen")) == 2


@pytest.mark.parametrize("transport", ["stdio", "http"])
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_handshake_can_be_refused(transport, era):
    first = "initialize" if era == "legacy" else "server/discover"
    client, stop = connect(transport, era, env={"GATE_REFUSE": first})
    try:
        if era == "legacy":
            with pytest.raises(McpError) as refused:
                client.open()
            assert refused.value.code == gate_server.REFUSED
            assert refused.value.message == f"refused by the gate: {first}"
        else:  # a client pinned to 2026-07-28 reports the refused probe as "no modern server here"
            with pytest.raises(ProtocolVersionError, match=str(gate_server.REFUSED)):
                client.open()
    finally:
        client.close()
        stop()


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_production_example_masks_limits_and_logs(era):
    """examples/production_server.py, run as a user runs it (a stdio subprocess, OTEL_CONSOLE=1)."""
    lines: list[str] = []
    lock = threading.Lock()

    def keep(line: str) -> None:
        with lock:
            lines.append(line)

    client = Client.stdio([sys.executable, "examples/production_server.py"], cwd=ROOT, stderr=keep,
                          env={**os.environ, "OTEL_CONSOLE": "1"}, protocol=era, era_cache=EraCache())
    with client:
        assert client.call_tool("stock", {"item": "apples"}).structured_content == {"result": 12}
        masked = client.call_tool("stock", {"item": "plums"})
        assert masked.is_error and masked.content[0].text.startswith("The tool failed (reference ")
        assert "plums" not in masked.content[0].text
        too_big = client.call_tool("report", {"lines": 5000})
        assert too_big.is_error and "over this server's limit of 65536 bytes" in too_big.content[0].text
        with pytest.raises(McpError) as limited:  # 5 calls so far: the burst is spent
            for _ in range(5):
                client.call_tool("report", {"lines": 1})
        assert limited.value.code == -32000 and limited.value.data["retryAfterMs"] > 0
        assert client.read_resource("inventory://summary").contents[0].text == "apples: 12, pears: 0"
    assert client.transport.process.wait(timeout=30) == 0
    with lock:
        output = "\n".join(line.rstrip("\n") for line in lines)
    records = [json.loads(line) for line in output.splitlines() if line.startswith('{"event": "mcp.')]
    outcomes = [(r["target"], r["outcome"]) for r in records if r["method"] == "tools/call"]
    assert outcomes[:3] == [("stock", "ok"), ("stock", "tool_error"), ("report", "tool_error")]
    assert outcomes[-1] == ("report", "error") and all(r["era"] == era for r in records)
    assert "KeyError: 'plums'" in output  # the masked details, logged with their reference
    assert '"name": "tools/call stock"' in output and '"kind": "SpanKind.SERVER"' in output  # console spans
