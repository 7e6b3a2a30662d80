"""The server of the parity suite: one of everything a client can call, served in both eras.

``python -m tests.parity.parity_server`` serves it over stdio; :func:`build`
returns it (in memory and over HTTP). Dual-era (the default), so the era of
each test is the one its client is pinned to.
"""

from __future__ import annotations

import sys
import threading

from mcp_sync import CapabilityError, Context, Server
from mcp_sync.tasks import TaskLimits

NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
GO_FORM = {"type": "object", "properties": {"go": {"type": "boolean"}}}


def build() -> Server:
    server = Server("parity", version="3.1", instructions="A server for the parity suite.", logging=True,
                    tasks=TaskLimits(poll_interval_ms=20))
    lock = threading.Lock()
    starts: dict[str, int] = {}

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    @server.tool(task_support="optional")
    def count(ctx: Context, n: int) -> int:
        """Counts to n, reporting progress with a message."""
        for i in range(1, n + 1):
            ctx.report_progress(i, n, f"step {i}")
        return n

    @server.tool(task_support="required")
    def double(x: int) -> int:
        """Only runs as a task."""
        return 2 * x

    @server.tool(task_support="optional", immediate_response="on its way")
    def greet_later(name: str) -> str:
        """A task with an immediate response."""
        return f"hello {name}"

    @server.tool(task_support="optional")
    def fail_tool() -> str:
        """Fails: an isError result."""
        raise RuntimeError("boom")

    @server.tool(task_support="optional")
    def gate(ctx: Context) -> str:
        """Waits until cancelled (at most 30 s)."""
        ctx.cancelled.wait(30)
        return "cancelled" if ctx.cancelled.is_set() else "timed out"

    @server.tool()
    def ask(ctx: Context) -> str:
        """Asks the user's name."""
        answer = ctx.elicit("Your name?", NAME_FORM)
        return f"{answer.action}:{(answer.content or {}).get('name')}"

    @server.tool()
    def midway(ctx: Context, key: str) -> int:
        """Progress 1, 2, a question, progress 3, 4; returns how many times it started for ``key``."""
        with lock:
            starts[key] = starts.get(key, 0) + 1
        ctx.report_progress(1, 4)
        ctx.report_progress(2, 4)
        ctx.elicit("Go on?", GO_FORM)
        ctx.report_progress(3, 4)
        ctx.report_progress(4, 4)
        with lock:
            return starts[key]

    @server.tool()
    def chatty(ctx: Context) -> str:
        """Logs two messages."""
        ctx.info("hello")
        ctx.warning({"n": 1})
        return "ok"

    @server.tool()
    def facts(ctx: Context) -> dict:
        """What the tool sees of its client."""
        return {"client": ctx.client_info.name if ctx.client_info else None, "capabilities": sorted(ctx.client_capabilities),
                "sampling": ctx.client_supports("sampling"), "version": ctx.protocol_version}

    @server.tool()
    def sample_it(ctx: Context) -> str:
        """Asks the client's model."""
        return ctx.sample("Say hi", max_tokens=5).text

    @server.tool()
    def roots_it(ctx: Context) -> list[str]:
        """The client's roots."""
        return [root["uri"] for root in ctx.list_roots()]

    @server.tool()
    def gather_it(ctx: Context) -> list:
        """Two questions in one round."""
        name, roots = ctx.gather(ctx.elicit_request("Name?", NAME_FORM), ctx.roots_request())
        return [name.content["name"], [r["uri"] for r in roots]]

    @server.tool()
    def toggle_tool(present: bool) -> str:
        """Adds or removes the tool ``extra`` (a tools list change)."""
        if present:
            server.add_tool(lambda: "extra", name="extra", description="An extra tool.", replace=True)
        elif server.find_tool("extra") is not None:
            server.remove_tool("extra")
        return "ok"

    @server.tool()
    def touch(uri: str) -> int:
        """Announces that ``uri`` changed."""
        return server.notify_resource_updated(uri)

    @server.tool(task_support="optional")
    def ask_in_task(ctx: Context) -> str:
        """Asks the user's name (as a task, when called as one)."""
        answer = ctx.elicit("Your name?", NAME_FORM)
        return f"{answer.action}:{(answer.content or {}).get('name')}"

    @server.tool(task_support="optional")
    def chatty_task(ctx: Context) -> str:
        """Logs one message (as a task, when called as one)."""
        ctx.info("hello from a task")
        return "ok"

    @server.tool()
    def raw_request(ctx: Context) -> str:
        """Sends a raw request to the client (legacy sessions only)."""
        try:
            ctx.send_request("ping")
        except CapabilityError:
            return "CapabilityError"
        return "sent"

    @server.tool()
    def context_calls(ctx: Context) -> dict:
        """The Context calls that take no answer from the client, and what each gives."""
        outcome: dict = {"request_id": ctx.request_id is not None, "meta": isinstance(ctx.meta, dict),
                         "cancelled": ctx.cancelled.is_set(), "http": ctx.http is not None}
        ctx.check_cancelled()
        outcome["debug"] = ctx.debug("d")
        outcome["error"] = ctx.error("e")
        for name, call in (("complete_elicitation", lambda: ctx.complete_elicitation("some-id")),
                           ("elicit_as_task", lambda: ctx.elicit_as_task("Name?", NAME_FORM)),
                           ("sample_as_task", lambda: ctx.sample_as_task("hi", max_tokens=5))):
            try:
                call()
                outcome[name] = "sent"
            except CapabilityError as exc:
                outcome[name] = type(exc).__name__
        return outcome

    @server.tool()
    def elicit_task_it(ctx: Context) -> str:
        """Asks the client to run an elicitation as a task (2025-11-25 client tasks)."""
        try:
            handle = ctx.elicit_as_task("Name?", NAME_FORM)
        except CapabilityError as exc:
            return type(exc).__name__
        return handle.result(timeout=20).content["name"]

    @server.tool()
    def url_it(ctx: Context) -> str:
        """URL-mode elicitation."""
        return ctx.elicit_url("Please sign in", "https://example.com/login").action

    @server.tool()
    def maybe_escalate(ctx: Context) -> str:
        """Continues as a task when it can (2026-07-28 with the tasks extension)."""
        return "task" if ctx.start_task() else "inline"

    started_events: dict[str, threading.Event] = {}
    cancel_events: dict[str, threading.Event] = {}

    def event(table: dict[str, threading.Event], key: str) -> threading.Event:
        with lock:
            return table.setdefault(key, threading.Event())

    @server.tool()
    def wait_for_cancel(ctx: Context, key: str) -> str:
        """Waits (at most 30 s) for this call to be cancelled; records that it was."""
        event(started_events, key).set()
        if ctx.cancelled.wait(30):
            event(cancel_events, key).set()
            return "cancelled"
        return "timed out"

    @server.tool()
    def started(key: str) -> bool:
        """Whether ``wait_for_cancel(key)`` started (waits up to 20 s)."""
        return event(started_events, key).wait(20)

    @server.tool()
    def saw_cancel(key: str, wait: float = 20.0) -> bool:
        """Whether ``wait_for_cancel(key)`` saw its cancellation (waits up to ``wait`` seconds)."""
        return event(cancel_events, key).wait(wait)

    @server.resource("test://greeting", mime_type="text/plain")
    def greeting() -> str:
        """A fixed text."""
        return "hello from parity"

    @server.resource("test://items/{item}", mime_type="text/plain")
    def item(item: str) -> str:
        """One item."""
        return f"item {item}"

    @server.prompt()
    def brief(topic: str) -> str:
        """A one-line prompt."""
        return f"Brief me on {topic}."

    @server.completion(prompt="brief", argument="topic")
    def topics(value: str) -> list[str]:
        return [t for t in ("mcp", "music", "maths") if t.startswith(value)]

    return server


if __name__ == "__main__":
    build().run("stdio")
    sys.exit(0)
