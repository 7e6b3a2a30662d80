"""The Context: progress, logging, cancellation, elicitation, sampling, roots (in memory)."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Literal, TypedDict

import pytest

from mcp_sync import CapabilityError, Context, McpError, Server
from mcp_sync.server import ElicitationResult, current_context
from mcp_sync.testing import assert_tool_error, assert_tool_result
from mcp_sync.types import to_wire
from tests.server.support import Collector, connected


@dataclasses.dataclass
class Booking:
    name: str
    seats: int = 1
    seating: Literal["window", "aisle"] = "window"


class Contact(TypedDict):
    email: str


def make_server() -> Server:
    server = Server("ctx-test", "1.0")

    @server.tool()
    def facts(ctx: Context) -> dict:
        "What the context knows."
        return {"request_id": ctx.request_id, "version": ctx.protocol_version,
                "client": ctx.client_info.name if ctx.client_info else None, "caps": sorted(ctx.client_capabilities),
                "current": current_context() is ctx, "meta": ctx.meta.get("com.example/k")}

    @server.tool()
    def progress(steps: int, ctx: Context) -> bool:
        "Reports progress."
        sent = True
        for i in range(steps):
            sent = ctx.report_progress(i + 1, steps, f"step {i + 1}") and sent
        return sent

    @server.tool()
    def chatty(ctx: Context) -> str:
        "Logs at every level."
        for level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"):
            ctx.log(level, {"level": level}, logger="chatty")
        return "done"

    @server.tool()
    def stdlib_logging() -> str:
        "Logs through the stdlib logging module."
        logging.getLogger("app.worker").warning("disk %s%% full", 91)
        return "logged"

    @server.tool()
    def book(ctx: Context) -> str:
        "Elicits a Booking."
        answer = ctx.elicit("Book seats", Booking)
        if not answer.accepted:
            return f"no booking ({answer.action})"
        assert isinstance(answer.content, Booking)
        return f"{answer.content.name}: {answer.content.seats} {answer.content.seating}"

    @server.tool()
    def contact(ctx: Context) -> str:
        "Elicits a TypedDict."
        answer = ctx.elicit("Your email?", Contact)
        return f"{answer.action}: {answer.content}"

    @server.tool()
    def raw_form(ctx: Context) -> str:
        "Elicits with a schema dict."
        answer = ctx.elicit("Pick", {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}},
                                     "required": ["n"]})
        return f"{answer.action}: {answer.content}"

    @server.tool()
    def login(ctx: Context) -> str:
        "URL-mode elicitation, then the completion notification."
        answer = ctx.elicit_url("Sign in please", "https://example.com/login", elicitation_id="el-1")
        if answer.accepted:
            ctx.complete_elicitation("el-1")
        return answer.action

    @server.tool()
    def ask_model(question: str, ctx: Context, with_tools: bool = False) -> dict:
        "Sampling, optionally with tools."
        if with_tools:
            result = ctx.sample([question, {"role": "assistant", "content": "thinking"}], max_tokens=50,
                                system_prompt="Be brief", tools=["book", weather, {
                                    "name": "raw", "inputSchema": {"type": "object"}}], tool_choice="auto")
        else:
            result = ctx.sample(question, max_tokens=20, temperature=0.5, stop_sequences=["\n"])
        return {"text": result.text, "model": result.model, "stop": result.stop_reason,
                "tool_uses": [u["name"] for u in result.tool_uses]}

    @server.tool()
    def roots(ctx: Context) -> list[str]:
        "Lists the client's roots."
        return [r["uri"] for r in ctx.list_roots()]

    @server.tool()
    def try_everything(ctx: Context) -> dict:
        "What raises CapabilityError for this client."
        outcome = {}
        for name, call in (("elicit", lambda: ctx.elicit("x", {"type": "object", "properties": {}})),
                           ("elicit_url", lambda: ctx.elicit_url("x", "https://example.com")),
                           ("sample", lambda: ctx.sample("x", max_tokens=1)),
                           ("sample_tools", lambda: ctx.sample("x", max_tokens=1, tools=[weather])),
                           ("roots", ctx.list_roots)):
            try:
                call()
                outcome[name] = "sent"
            except CapabilityError:
                outcome[name] = "refused"
        return outcome

    @server.tool()
    def wait_for_cancel(ctx: Context) -> str:
        "Blocks until cancelled."
        started.set()
        ctx.cancelled.wait(30)
        try:
            ctx.check_cancelled()
        except Exception as exc:
            seen.append((type(exc).__name__, ctx.cancel_reason))
            finished.set()
            raise
        return "not cancelled"

    started, finished, seen = threading.Event(), threading.Event(), []
    server.cancel_probe = (started, finished, seen)  # type: ignore[attr-defined]
    return server


def weather(city: str) -> str:
    """Weather for a city."""
    return "sunny"


def test_request_facts():
    with connected(make_server(), name="facts-client", sampling=lambda p: {}) as client:
        result = client.request("tools/call", {"name": "facts", "_meta": {"com.example/k": "v"}})
    facts = result["structuredContent"]
    assert facts["version"] == "2025-11-25" and facts["client"] == "facts-client"
    assert facts["caps"] == ["sampling"] and facts["current"] is True and facts["meta"] == "v"
    assert isinstance(facts["request_id"], int)


def test_progress_goes_to_the_requests_token_only_when_asked():
    progress = Collector()
    with connected(make_server()) as client:
        result = client.call_tool("progress", {"steps": 3}, progress=progress)
        assert result.structured_content == {"result": True}
        assert progress.wait(3) == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
        silent = client.call_tool("progress", {"steps": 2})
        assert silent.structured_content == {"result": False}
        assert client.wire.from_server("notifications/progress")[0]["params"]["progressToken"] is not None


def test_progress_message_is_dropped_for_2024_11_05():
    progress = Collector()
    with connected(make_server(), protocol_version="2024-11-05") as client:
        client.call_tool("progress", {"steps": 1}, progress=progress)
        assert progress.wait(1) == [(1, 1, None)]


def test_log_messages_honour_set_level():
    logs = Collector()
    with connected(make_server(), on_log=logs) as client:
        assert client.server_capabilities.logging is not None
        client.call_tool("chatty", {})
        everything = logs.wait(8)
        assert [m.level for m in everything][:2] == ["debug", "info"] and everything[0].logger == "chatty"
        client.set_log_level("error")
        client.call_tool("chatty", {})
        assert [m.level for m in logs.wait(12)[8:]] == ["error", "critical", "alert", "emergency"]
        with pytest.raises(McpError) as info:
            client.request("logging/setLevel", {"level": "loud"})
        assert info.value.code == -32602
        assert client.request("logging/setLevel", {"level": "debug"}) == {}


def test_stdlib_logging_bridge():
    server = make_server()
    handler = server.log_handler(logging.INFO)
    app_logger = logging.getLogger("app")
    app_logger.addHandler(handler)
    logs = Collector()
    try:
        with connected(server, on_log=logs) as client:
            client.call_tool("stdlib_logging", {})
            first = logs.wait(1)[0]
            assert (first.level, first.logger, first.data) == ("warning", "app.worker", "disk 91% full")
            app_logger.error("outside any request")  # goes to every connected client
            second = logs.wait(2)[1]
            assert (second.level, second.data) == ("error", "outside any request")
            client.set_log_level("critical")
            app_logger.error("filtered out")
            client.ping()
            assert server.log("critical", "direct") == 1
            assert logs.wait(3)[2].data == "direct" and len(logs.items) == 3
    finally:
        app_logger.removeHandler(handler)


def test_elicitation_with_a_dataclass_returns_an_instance():
    requests = []

    def answer(params):
        requests.append(to_wire(params))
        return {"action": "accept", "content": {"name": "Ada", "seats": 2, "seating": "aisle"}}

    with connected(make_server(), elicitation=answer) as client:
        assert client.call_tool("book", {}).content[0].text == "Ada: 2 aisle"
    assert requests[0]["message"] == "Book seats"
    assert requests[0]["requestedSchema"] == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "seats": {"type": "integer", "default": 1},
                       "seating": {"type": "string", "enum": ["window", "aisle"], "default": "window"}},
        "required": ["name"]}


# These use the project's pytest plugin (mcp_sync.pytest_plugin): mcp_connect gives an open client
# wired to mcp_answers, which fails the test if the server asks something it was not told to answer.

@pytest.mark.parametrize("action", ["decline", "cancel"])
def test_elicitation_declined(action, mcp_connect, mcp_answers):
    client = mcp_connect(make_server())
    mcp_answers.elicit(action=action)
    assert_tool_result(client.call_tool("book", {}), text=f"no booking ({action})")


def test_elicitation_with_typed_dict_and_schema_dict(mcp_connect, mcp_answers):
    client = mcp_connect(make_server())
    mcp_answers.elicit({"email": "a@b.c"}).elicit({"n": 3}).elicit({"n": 0})
    assert_tool_result(client.call_tool("contact", {}), text="accept: {'email': 'a@b.c'}")
    assert_tool_result(client.call_tool("raw_form", {}), text="accept: {'n': 3}")
    assert_tool_error(client.call_tool("raw_form", {}), contains="does not match the requested schema")
    assert len(mcp_answers.elicitations) == 3


def test_url_elicitation_and_completion_notification():
    completed = Collector()
    seen = []

    def open_url(params):
        seen.append(to_wire(params))
        return {"action": "accept"}

    with connected(make_server(), elicitation_url=open_url, on_elicitation_complete=completed) as client:
        assert client.call_tool("login", {}).content[0].text == "accept"
        assert completed.wait(1) == ["el-1"]
    assert seen == [{"mode": "url", "message": "Sign in please", "url": "https://example.com/login",
                     "elicitationId": "el-1"}]


def test_sampling_round_trip_with_and_without_tools():
    requests = []

    def model(params):
        wire = to_wire(params)
        requests.append(wire)
        if "tools" in wire:
            return {"role": "assistant", "model": "m2", "stopReason": "toolUse",
                    "content": [{"type": "tool_use", "id": "u1", "name": "weather", "input": {"city": "Oslo"}}]}
        return {"role": "assistant", "model": "m1", "stopReason": "endTurn",
                "content": {"type": "text", "text": "42"}}

    with connected(make_server(), sampling=model, sampling_tools=True) as client:
        plain = client.call_tool("ask_model", {"question": "meaning?"}).structured_content
        assert plain == {"text": "42", "model": "m1", "stop": "endTurn", "tool_uses": []}
        tooled = client.call_tool("ask_model", {"question": "weather?", "with_tools": True}).structured_content
        assert tooled == {"text": "", "model": "m2", "stop": "toolUse", "tool_uses": ["weather"]}
    assert requests[0] == {"messages": [{"role": "user", "content": {"type": "text", "text": "meaning?"}}],
                           "maxTokens": 20, "temperature": 0.5, "stopSequences": ["\n"]}
    second = requests[1]
    assert second["messages"][1] == {"role": "assistant", "content": {"type": "text", "text": "thinking"}}
    assert second["systemPrompt"] == "Be brief" and second["toolChoice"] == {"mode": "auto"}
    assert [t["name"] for t in second["tools"]] == ["book", "weather", "raw"]
    assert second["tools"][1]["inputSchema"]["properties"] == {"city": {"type": "string"}}


def test_roots_round_trip():
    with connected(make_server(), roots=["file:///work/a", "file:///work/b"]) as client:
        assert client.call_tool("roots", {}).structured_content == {
            "result": ["file:///work/a", "file:///work/b"]}


def test_undeclared_capabilities_raise_before_sending():
    with connected(make_server()) as client:
        assert client.call_tool("try_everything", {}).structured_content == {
            "elicit": "refused", "elicit_url": "refused", "sample": "refused", "sample_tools": "refused",
            "roots": "refused"}
        sent_to_client = [m for m in client.wire.from_server() if "method" in m and "id" in m]
        assert sent_to_client == []


def test_form_only_client_cannot_get_url_elicitation_and_plain_sampling_cannot_get_tools():
    with connected(make_server(), elicitation=lambda p: {"action": "cancel"},
                   sampling=lambda p: {"role": "assistant", "model": "m", "content": {"type": "text", "text": ""}}
                   ) as client:
        outcome = client.call_tool("try_everything", {}).structured_content
    assert outcome == {"elicit": "sent", "elicit_url": "refused", "sample": "sent", "sample_tools": "refused",
                       "roots": "refused"}


def test_cancellation_reaches_the_handler_and_no_response_is_sent():
    server = make_server()
    started, finished, seen = server.cancel_probe
    with connected(server) as client:
        future = client.nowait.call_tool("wait_for_cancel", {})
        assert started.wait(10)
        future.cancel("user gave up")
        assert finished.wait(10)
        assert seen == [("RequestCancelled", "user gave up")]
        client.ping()  # the session still serves
        responses = [m for m in client.wire.from_server() if m.get("id") == future.request_id]
        assert responses == []


def test_elicitation_result_type():
    result = ElicitationResult("accept", {"a": 1})
    assert result.accepted and result.content == {"a": 1}
    assert not ElicitationResult("decline").accepted
