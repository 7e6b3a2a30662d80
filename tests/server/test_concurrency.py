"""Many calls at once: each gets its own answer, nothing deadlocks, nothing leaks."""

from __future__ import annotations

import threading
from concurrent.futures import wait

from mcp_sync import Context, Server
from mcp_sync.limits import Limits
from tests.server.support import connected, everything_stdio

CALLS = 1000


def make_server() -> Server:
    server = Server("busy", limits=Limits(max_in_flight=CALLS + 10), max_workers=32)

    @server.tool()
    def square(n: int, ctx: Context) -> dict:
        "Squares n; reports progress and logs, so every call also sends notifications."
        ctx.report_progress(1, 1)
        ctx.debug(f"square {n}")
        return {"n": n, "square": n * n, "request": ctx.request_id}

    return server


def test_a_thousand_concurrent_calls_each_get_their_own_result():
    with connected(make_server(), max_workers=8) as client:
        futures = [client.nowait.call_tool("square", {"n": i}) for i in range(CALLS)]
        done, not_done = wait(futures, timeout=120)
        assert not not_done, f"{len(not_done)} calls never finished"
        results = [f.result().structured_content for f in futures]
        assert [r["n"] for r in results] == list(range(CALLS))
        assert all(r["square"] == r["n"] ** 2 for r in results)
        assert len({r["request"] for r in results}) == CALLS
        assert client.call_tool("square", {"n": 3}).structured_content["square"] == 9


def test_concurrent_calls_that_ask_the_client_back():
    """Handlers blocked on elicitation never block the session: every answer arrives."""
    server = Server("asks", max_workers=4)
    gate = threading.Barrier(4, timeout=30)

    @server.tool()
    def ask(n: int, ctx: Context) -> int:
        "Elicits a number while other calls are also waiting."
        answer = ctx.elicit(f"n={n}", {"type": "object", "properties": {"m": {"type": "integer"}}})
        return answer.content["m"]

    def answer(params):
        if params.message in ("n=0", "n=1", "n=2", "n=3"):
            gate.wait()  # the first four handlers are all blocked on us at once
        return {"action": "accept", "content": {"m": int(params.message[2:]) * 10}}

    with connected(server, elicitation=answer, max_workers=8) as client:
        futures = [client.nowait.call_tool("ask", {"n": i}) for i in range(40)]
        done, not_done = wait(futures, timeout=60)
        assert not not_done
        assert [f.result().structured_content["result"] for f in futures] == [i * 10 for i in range(40)]


def test_concurrent_calls_over_stdio():
    with everything_stdio() as client:
        futures = [client.nowait.call_tool("test_simple_text", {}) for _ in range(200)]
        futures += [client.nowait.read_resource(f"test://template/{i}/data") for i in range(200)]
        done, not_done = wait(futures, timeout=120)
        assert not not_done
        assert all(f.result().content[0].text == "This is a simple text response for testing."
                   for f in futures[:200])
        assert all(f'"id": "{i}"' in f.result().contents[0].text for i, f in enumerate(futures[200:]))
