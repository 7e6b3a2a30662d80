"""One client, not told which era a server speaks, against our own server in legacy-only, modern-only and
dual mode, over stdio and HTTP (see ``era_server.py`` for how the modes are made)."""

from __future__ import annotations

import sys

import pytest

from mcp_sync.client import Client
from mcp_sync.protocol.era import EraCache
from mcp_sync.types import CreateMessageResult, ElicitResult, TextContent
from tests.modern_client.conftest import ROOT, Recorder
from tests.modern_client.era_server import build

EXPECTED_ERA = {"dual": "modern", "modern": "modern", "legacy": "legacy"}


def sample(params):
    return CreateMessageResult(role="assistant", content=TextContent(text="hey"), model="m")


@pytest.fixture(params=[(mode, kind) for mode in ("legacy", "modern", "dual") for kind in ("stdio", "http")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def served(request):
    """``(open(**hooks) -> client, mode)``: the same client options every time; only the server differs."""
    mode, kind = request.param
    cleanup = []

    def open_client(**hooks):
        options = dict(era_cache=EraCache(), timeout=10.0, elicitation=lambda p: ElicitResult(action="accept"),
                       sampling=sample, roots=["file:///work"], **hooks)  # no protocol=: auto-detect
        if kind == "stdio":
            client = Client.stdio([sys.executable, "-m", "tests.modern_client.era_server", mode], cwd=ROOT,
                                  stderr=None, **options)
        else:
            server = build(mode)
            handle = server.start_http(port=0)
            cleanup.append(handle.stop)
            client = Client.http(handle.url, **options)
        cleanup.insert(0, client.close)
        return client.open()

    yield open_client, mode
    for step in cleanup:
        step()


def test_one_client_works_with_every_era(served):
    open_client, mode = served
    client = open_client()
    assert client.era == EXPECTED_ERA[mode]
    assert client.protocol_version == ("2026-07-28" if client.era == "modern" else "2025-11-25")
    assert client.server_info.name == "era-test"
    assert {tool.name for tool in client.list_tools()} >= {"plain", "interview", "toggle_tool", "touch"}
    assert client.call_tool("plain", {"text": "x"}).content[0].text == "plain: x"
    # the same handlers answer server requests (legacy) or input_required rounds (modern)
    assert client.call_tool("interview").content[0].text == "Ada / hey / ['file:///work']"
    assert client.get_prompt("briefing", {"topic": "eras"}).messages[0].content.text == "Brief Ada on eras."
    assert client.read_resource("test://doc/7").contents[0].text == "doc 7 for Ada"
    client.set_log_level("info")
    client.ping()


def test_one_subscription_api_for_every_era(served):
    open_client, mode = served
    tools, updated = Recorder(), Recorder()
    client = open_client(on_tools_changed=lambda: tools("tools"), on_resource_updated=updated)
    with client.subscribe(tools=True, resource_uris=["test://watched"]) as sub:
        assert sub.acknowledged.get("toolsListChanged") is True
        assert sub.acknowledged.get("resourceSubscriptions") == ["test://watched"]
        client.call_tool("toggle_tool")
        assert tools.wait(1)
        client.call_tool("touch", {"uri": "test://watched"})
        assert updated.wait(1) == ["test://watched"]
        methods = set()
        while len(methods) < 2:
            event = sub.next(timeout=10)
            assert event is not None, f"only {methods} arrived"
            methods.add(event.method)
        assert methods == {"notifications/tools/list_changed", "notifications/resources/updated"}
    assert not sub.active
