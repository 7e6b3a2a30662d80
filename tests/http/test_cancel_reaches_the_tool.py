"""``client.nowait.call_tool(...).cancel()`` over Streamable HTTP reaches the tool (``ctx.cancelled``).

On 2026-07-28 cancelling closes the response stream; on 2025-11-25 the client
POSTs ``notifications/cancelled`` and stops reading the stream. The cancel may come
before the transport's request thread has written the POST: the request must
still go out whole (the server cannot cancel what it never saw) and its
stream be closed right after, so the tool always sees the cancellation.
Many calls cancelled at once make that window likely on every run.
"""

from __future__ import annotations

import threading

import pytest

from mcp_sync import Client, Context, Server

ROUNDS = 12


def slow_server() -> Server:
    server = Server("cancel-race", max_workers=ROUNDS + 4)
    seen: dict[str, threading.Event] = {}
    lock = threading.Lock()

    def event(tag: str) -> threading.Event:
        with lock:
            return seen.setdefault(tag, threading.Event())

    @server.tool()
    def slow(tag: str, ctx: Context) -> str:
        """Waits until cancelled (at most 30 s)."""
        event(f"started-{tag}").set()
        if ctx.cancelled.wait(30):
            event(f"cancelled-{tag}").set()
        return "done"

    server.event = event  # type: ignore[attr-defined]
    return server


@pytest.mark.parametrize("cancel_from", ["caller", "another thread"])
@pytest.mark.parametrize("version", ["2026-07-28", "2025-11-25"])
def test_cancel_right_after_nowait_reaches_the_tool(serve, version, cancel_from):
    server = slow_server()
    served = serve(server)
    with Client.http(served.url, protocol=version) as client:
        assert client.protocol_version == version
        futures = []
        for i in range(ROUNDS):
            future = client.nowait.call_tool("slow", {"tag": str(i)})
            if cancel_from == "caller":
                assert future.cancel()
            futures.append(future)
        if cancel_from == "another thread":
            cancellers = [threading.Thread(target=f.cancel, name=f"test-cancel-{i}") for i, f in enumerate(futures)]
            for thread in cancellers:
                thread.start()
            for thread in cancellers:
                thread.join(10)
        assert all(f.cancelled() for f in futures)
        missing = [i for i in range(ROUNDS) if not server.event(f"cancelled-{i}").wait(15)]
        assert missing == [], f"the tool never saw the cancellation of calls {missing}"
        assert client.list_tools()[0].name == "slow"  # the client is still good


@pytest.mark.parametrize("version", ["2026-07-28", "2025-11-25"])
def test_cancel_after_the_tool_started_reaches_it(serve, version):
    server = slow_server()
    served = serve(server)
    with Client.http(served.url, protocol=version) as client:
        future = client.nowait.call_tool("slow", {"tag": "late"})
        assert server.event("started-late").wait(10)
        assert future.cancel("enough")
        assert server.event("cancelled-late").wait(10)


def test_cancel_reaches_the_tool_with_a_callers_requests_session(serve):
    """With ``http=`` (a requests.Session of the caller's) the stream is still cut once the answer started."""
    import requests

    from mcp_sync.transports.http_client import HttpClientTransport

    server = slow_server()
    served = serve(server, keepalive=0.2)  # the server starts the SSE answer soon: the stream can be cut
    session = requests.Session()
    try:
        with Client(HttpClientTransport(served.url, http=session), protocol="2026-07-28") as client:
            future = client.nowait.call_tool("slow", {"tag": "own-session"})
            assert server.event("started-own-session").wait(10)
            assert future.cancel()
            assert server.event("cancelled-own-session").wait(10)
    finally:
        session.close()
