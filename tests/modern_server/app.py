"""The server the modern-era tests talk to (in process over HTTP, or as ``python -m tests.modern_server.app --stdio``).

Its tools exercise both eras through one unchanged ``Context``: input calls
(MRTR in 2026-07-28, requests in legacy sessions), progress, logs, list changes
and cancellation. ``probe`` reports what the server observed (cancellations,
how often handlers ran), so a test can check it even across a process boundary.
"""

from __future__ import annotations

import argparse
import json
import threading
from typing import Any

from mcp_sync import Context, Server
from mcp_sync.errors import McpError

SECRET = "modern-server-tests-shared-secret"

NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
OK_FORM = {"type": "object", "properties": {"ok": {"type": "boolean"}}}


def build_server(*, secret: str | bytes | None = SECRET, cache_ttl_ms: int = 60_000, cache_scope: str = "public",
                 **options: Any) -> Server:
    server = Server("modern-test", version="2.0.0", title="Modern test server", instructions="Test instructions.",
                    cache_ttl_ms=cache_ttl_ms, cache_scope=cache_scope, request_state_secret=secret, **options)
    server._modern.declare_extension("com.example/demo", {"level": 1})
    seen: dict[str, Any] = {"cancelled": [], "runs": {}}
    lock = threading.Lock()
    changed = threading.Condition(lock)
    #: Set by tools that block until cancelled (in-process tests wait on them).
    server.started = threading.Event()  # type: ignore[attr-defined]
    server.seen = seen  # type: ignore[attr-defined]

    def ran(name: str) -> None:
        with lock:
            seen["runs"][name] = seen["runs"].get(name, 0) + 1

    @server.tool()
    def plain(text: str = "hi") -> str:
        """Echoes its argument."""
        return f"plain: {text}"

    @server.tool()
    def whoami(ctx: Context) -> dict:
        """What the Context knows about the client, in either era."""
        return {"version": ctx.protocol_version, "capabilities": ctx.client_capabilities,
                "client": ctx.client_info, "sampling": ctx.client_supports("sampling")}

    @server.tool()
    def interview(ctx: Context) -> str:
        """Elicit, then sample, then list roots: three rounds in 2026-07-28."""
        ran("interview")
        name = ctx.elicit("Your name?", NAME_FORM)
        reply = ctx.sample(f"Greet {name.content['name']}", max_tokens=20)
        roots = ctx.list_roots()
        return f"{name.content['name']} / {reply.text} / {[r['uri'] for r in roots]}"

    @server.tool()
    def survey(ctx: Context) -> str:
        """Three questions at once (one round)."""
        name, reply, roots = ctx.gather(ctx.elicit_request("Your name?", NAME_FORM, key="name"),
                                        ctx.sample_request("Say hi", max_tokens=5, key="hi"),
                                        ctx.roots_request(key="roots"))
        return f"{name.action}:{name.content} / {reply.text} / {len(roots)}"

    @server.tool()
    def needs_elicitation(ctx: Context) -> str:
        """Asks a form; clients that cannot answer one get -32021 (2026) or an error result (legacy)."""
        answer = ctx.elicit("Continue?", OK_FORM)
        return f"answered {answer.action}"

    @server.tool()
    def needs_sampling_tools(ctx: Context) -> str:
        """Sampling with tools: needs sampling.tools."""
        answer = ctx.sample("Use a tool", max_tokens=5, tools=["plain"], tool_choice="auto")
        return answer.text

    @server.tool()
    def shielded(ctx: Context) -> str:
        """Catches Exception around its input call: the MRTR signal must still get through."""
        try:
            answer = ctx.elicit("Continue?", OK_FORM)
        except Exception as exc:  # noqa: BLE001 - the point of the test
            return f"swallowed {type(exc).__name__}"
        return f"answered {answer.action}"

    @server.tool()
    def progress(ctx: Context, steps: int = 3) -> str:
        """Reports ``steps`` progress notifications, then answers."""
        for i in range(steps):
            ctx.report_progress(i + 1, steps, f"step {i + 1}")
        return "progressed"

    @server.tool()
    def chatty(ctx: Context) -> str:
        """Logs at three levels."""
        ctx.debug("debug line")
        ctx.info("info line")
        ctx.warning("warning line")
        return "logged"

    @server.tool()
    def wait_for_cancel(ctx: Context, tag: str = "x") -> str:
        """Reports progress once, then blocks until cancelled (records the cancellation)."""
        ctx.report_progress(1, 2, "waiting")
        server.started.set()  # type: ignore[attr-defined]
        if ctx.cancelled.wait(30):
            with changed:
                seen["cancelled"].append(tag)
                changed.notify_all()
            return "cancelled"
        return "not cancelled"

    @server.tool()
    def await_cancelled(tag: str) -> bool:
        """Blocks until a wait_for_cancel call tagged ``tag`` saw its cancellation (True), or 10 s (False)."""
        with changed:
            return changed.wait_for(lambda: tag in seen["cancelled"], timeout=10)

    @server.tool()
    def slow_silence(ctx: Context, seconds: float = 0.5) -> str:
        """Says nothing for a while, then answers."""
        ctx.cancelled.wait(seconds)
        return "done"

    @server.tool()
    def fails_late(ctx: Context, seconds: float = 0.5) -> str:
        """Says nothing for a while, then fails with a protocol error."""
        ctx.cancelled.wait(seconds)
        raise McpError(-32602, "Invalid params: too late")

    @server.tool()
    def probe() -> str:
        """What the server observed so far (JSON)."""
        with lock:
            return json.dumps({"cancelled": list(seen["cancelled"]), "runs": dict(seen["runs"]),
                               "subscriptions": len(server._modern.subscriptions())})

    @server.tool()
    def toggle_tool() -> str:
        """Adds or removes the tool ``extra``."""
        try:
            server.remove_tool("extra")
            return "removed"
        except KeyError:
            server.add_tool(lambda: "extra", name="extra", description="Comes and goes.")
            return "added"

    @server.tool()
    def toggle_prompt() -> str:
        """Adds or removes the prompt ``extra_prompt``."""
        try:
            server.remove_prompt("extra_prompt")
            return "removed"
        except KeyError:
            server.add_prompt(lambda: "extra", name="extra_prompt", description="Comes and goes.")
            return "added"

    @server.tool()
    def touch(uri: str) -> int:
        """Announces that ``uri`` changed; returns how many listeners were told."""
        return server.notify_resource_updated(uri)

    @server.tool(input_schema={
        "type": "object",
        "properties": {"region": {"type": "string", "x-mcp-header": "Region"},
                       "priority": {"type": "integer", "x-mcp-header": "Priority"},
                       "dry": {"type": "boolean", "x-mcp-header": "Dry"}},
        "required": ["region"]})
    def routed(**arguments: Any) -> str:
        """Mirrors region/priority/dry into Mcp-Param-* headers."""
        return json.dumps(arguments, sort_keys=True)

    @server.prompt()
    def briefing(topic: str, ctx: Context) -> str:
        """A prompt that asks the user for a tone first."""
        tone = ctx.elicit("Which tone?", {"type": "object", "properties": {"tone": {"type": "string"}},
                                          "required": ["tone"]})
        return f"Brief me on {topic} in a {tone.content['tone']} tone."

    @server.resource("test://doc/{id}", mime_type="text/plain")
    def doc(id: str, ctx: Context) -> str:
        """A document that needs the reader's name (MRTR on resources/read)."""
        reader = ctx.elicit("Who is reading?", NAME_FORM)
        return f"doc {id} for {reader.content['name']}"

    server.add_resource("test://static", "static text", name="static", mime_type="text/plain")

    @server.resource("test://watched", mime_type="text/plain")
    def watched() -> str:
        """A resource whose updates listeners can subscribe to."""
        return "watched"

    @server.method("custom/echo")
    def custom_echo(view: Any, request: Any) -> dict:
        return {"echo": request.params.get("value"), "version": view.protocol_version}

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdio", action="store_true", required=True)
    parser.parse_args()
    build_server().run("stdio")


if __name__ == "__main__":
    main()
