"""client.subscribe(): subscriptions/listen streams (stdio: demultiplexed by subscriptionId; HTTP: one SSE stream)."""

from __future__ import annotations

import threading

import pytest

from tests.modern_client.conftest import Recorder


@pytest.fixture(params=["stdio", "http"])
def setup(request, stdio_fake, http_fake):
    """``setup(**client_kwargs) -> (client, fake_info)``; ``fake_info.cancelled(id)`` tells whether the fake saw the end."""

    class Info:
        kind = request.param

    def make(**kwargs):
        info = Info()
        if request.param == "stdio":
            client = stdio_fake.client("modern", **kwargs)
            info.ended = lambda sub_id: any(
                m.get("method") == "notifications/cancelled" and m["params"]["requestId"] == sub_id
                for m in stdio_fake.log())
            info.wait_ended = lambda sub_id: _synced(client) and info.ended(sub_id)
            info.listens = lambda: [m for m in stdio_fake.log() if m.get("method") == "subscriptions/listen"]
        else:
            fake = http_fake()
            client = http_fake.connect(fake.url, **kwargs)
            info.wait_ended = lambda sub_id: fake.app.wait_stream_closed(sub_id)
            info.listens = lambda: fake.core.messages("subscriptions/listen")
            info.fake = fake
        return client, info

    return make


def _synced(client) -> bool:
    """Make sure the stdio fake has handled (and logged) what we sent: it handles messages in order,
    so once a later request is answered, earlier ones are in its log. A closed client has already
    waited for the fake to exit."""
    if not client.closed:
        client.call_tool("echo", {"text": "sync"})
    return True


def test_subscribe_delivers_to_hooks_and_iterator_and_close_ends_it(setup):
    tools, updated = Recorder(), Recorder()
    client, info = setup(on_tools_changed=lambda: tools("tools"), on_resource_updated=updated)
    sub = client.subscribe(tools=True, resource_uris=["file:///a.txt"])
    assert sub.acknowledged == {"toolsListChanged": True, "resourceSubscriptions": ["file:///a.txt"]}
    assert sub.active and sub.id is not None
    hooks_listen, listen = info.listens()  # on_tools_changed made the client listen for tool changes at open
    assert hooks_listen["params"]["notifications"] == {"toolsListChanged": True}
    assert listen["params"]["notifications"] == {"toolsListChanged": True, "resourceSubscriptions": ["file:///a.txt"]}
    assert listen["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
    client.call_tool("trigger", {"what": "tools"})
    client.call_tool("trigger", {"what": "updated", "uri": "file:///a.txt"})
    client.call_tool("trigger", {"what": "prompts"})  # not asked for: the server sends nothing
    assert tools.wait(1) == ["tools"]  # once, though both streams carry it
    assert updated.wait(1) == ["file:///a.txt"]
    first, second = sub.next(timeout=5), sub.next(timeout=5)
    assert first.method == "notifications/tools/list_changed"
    assert (second.method, second.params["uri"]) == ("notifications/resources/updated", "file:///a.txt")
    assert sub.next(timeout=0.2) is None
    sub.close()
    assert not sub.active
    assert info.wait_ended(sub.id)  # stdio: notifications/cancelled; HTTP: the stream was closed
    assert list(sub) == []
    assert client.call_tool("echo", {"text": "still fine"}).content[0].text == "still fine"


def test_two_subscriptions_are_told_apart(setup):
    client, _ = setup()
    with client.subscribe(tools=True) as only_tools, client.subscribe(prompts=True) as only_prompts:
        assert only_tools.id != only_prompts.id
        client.call_tool("trigger", {"what": "prompts"})
        client.call_tool("trigger", {"what": "tools"})
        assert only_tools.next(timeout=5).method == "notifications/tools/list_changed"
        assert only_prompts.next(timeout=5).method == "notifications/prompts/list_changed"
        assert only_tools.next(timeout=0.2) is None and only_prompts.next(timeout=0.2) is None


@pytest.mark.parametrize("how", ["result", "cancel"])
def test_the_server_may_end_a_subscription(setup, how):
    client, info = setup()
    sub = client.subscribe(resources=True)
    consumed = []
    reader = threading.Thread(target=lambda: consumed.extend(sub), name="test-subscription-reader")
    reader.start()
    client.call_tool("end_subscriptions", {"how": how})
    reader.join(10)
    assert not reader.is_alive() and consumed == []
    assert sub.ended_by_server and not sub.active and sub.error is None
    sub.close()
    if info.kind == "http":  # the client let go of the stream, whichever way the server ended it
        assert info.wait_ended(sub.id)


def test_closing_the_client_ends_its_subscriptions(setup):
    client, info = setup()
    sub = client.subscribe(tools=True)
    client.close()
    assert not sub.active
    assert info.wait_ended(sub.id)


def test_subscribe_needs_something_to_subscribe_to(setup):
    client, _ = setup()
    with pytest.raises(ValueError, match="subscribe to something"):
        client.subscribe()


def test_legacy_servers_get_resources_subscribe(stdio_fake):
    updated, tools = Recorder(), Recorder()
    client = stdio_fake.client("legacy", on_resource_updated=updated, on_tools_changed=lambda: tools(1))
    assert client.era == "legacy"
    with client.subscribe(tools=True, resource_uris=["file:///x"]) as sub:
        assert sub.acknowledged == {"toolsListChanged": True, "resourceSubscriptions": ["file:///x"]}
        assert updated.wait(1) == ["file:///x"]
        event = sub.next(timeout=5)
        assert (event.method, event.params) == ("notifications/resources/updated", {"uri": "file:///x"})
        tools.wait(1)  # the hook sees list changes anyway
        listed = sub.next(timeout=5)
        assert listed.method == "notifications/tools/list_changed"  # asked for: delivered
    client.close()
    methods = stdio_fake.methods()
    assert "resources/subscribe" in methods and "resources/unsubscribe" in methods
    assert "subscriptions/listen" not in methods
