"""Plain-JSON HTTP requests run on the POST's own thread (no hand-off to a worker) and keep every guarantee.

The handler of a single request answered with plain JSON runs on the thread
that serves the POST (it would only wait for the answer); cancellation from
another POST still reaches it, ``ping`` is answered meanwhile, other requests
are not held up, and a task's work after its ``CreateTaskResult`` goes to the
app's workers so the answer is not held back.
"""

from __future__ import annotations

import threading

from mcp_sync import Client, Context, Server

GATES: dict[str, threading.Event] = {}


def build_server(seen: dict) -> Server:
    server = Server("inline", version="1.0")

    @server.tool()
    def where() -> str:
        """The name of the thread running this handler."""
        return threading.current_thread().name

    @server.tool()
    def wait_cancel(ctx: Context) -> str:
        """Block until cancelled."""
        GATES["started"].set()
        seen["cancelled"] = ctx.cancelled.wait(30)
        GATES["done"].set()
        return "finished"

    @server.tool(task_support="optional")
    def job(ctx: Context) -> str:
        """A task whose work blocks until the test releases it."""
        assert GATES["job"].wait(30)
        return "job done"

    return server


def test_a_plain_json_request_runs_on_the_post_thread():
    handle = build_server({}).start_http(port=0, json_response=True)
    try:
        with Client.http(handle.url, name="inline-a", protocol="legacy") as client:
            thread = client.call_tool("where", {}, timeout=30).structured_content["result"]
            assert "-worker_" not in thread, thread  # the connection's thread, not a pool worker
    finally:
        handle.stop()


def test_cancelling_an_inline_request_and_ping_meanwhile():
    seen: dict = {}
    GATES.update(started=threading.Event(), done=threading.Event())
    handle = build_server(seen).start_http(port=0, json_response=True)
    try:
        with Client.http(handle.url, name="inline-b", protocol="legacy") as client:
            future = client.nowait.call_tool("wait_cancel", {}, timeout=30)
            assert GATES["started"].wait(30)
            client.ping(timeout=30)  # answered while the handler blocks
            assert client.call_tool("where", {}, timeout=30).structured_content["result"]
            assert future.cancel()
            assert GATES["done"].wait(30)
            assert seen["cancelled"] is True
    finally:
        handle.stop()


def test_task_work_after_the_create_result_does_not_hold_the_answer():
    GATES["job"] = threading.Event()
    server = build_server({})
    handle = server.start_http(port=0, json_response=True)
    try:
        with Client.http(handle.url, name="inline-c", protocol="legacy", protocol_version="2025-11-25") as client:
            task = client.call_tool_as_task("job", {}, ttl_ms=60_000)  # returns while the work blocks
            assert task.status().status == "working"
            GATES["job"].set()
            assert task.result(timeout=30).content[0].text == "job done"
    finally:
        GATES["job"].set()
        handle.stop()
        server.close()  # its task runner's threads
