#!/usr/bin/env python3
"""An MCP server exposing every fixture the official conformance suite's server scenarios call.

    python examples/everything_server.py --stdio          # serve one client on stdin/stdout
    python examples/everything_server.py --port 8000      # Streamable HTTP at http://127.0.0.1:8000/mcp

With ``--port 0`` the HTTP server picks a free port; either way it prints
``... listening on <url>`` on stderr once ready.

It doubles as a tour of the high-level server API: tools with content,
progress, logging, sampling and elicitation; static resources, a resource
template and a subscribable resource; prompts with arguments, embedded
resources and images; a completion provider; and the Skills extension
(``io.modelcontextprotocol/skills`` with ``directoryRead``) serving the
skills in ``examples/skills/``.

The same endpoint serves both protocol eras: ``initialize`` sessions
(2025-11-25 and older) and stateless 2026-07-28 requests, where
``ctx.elicit`` / ``ctx.sample`` / ``ctx.list_roots`` become multi round-trip
requests (the tool answers ``input_required`` and runs again, from the
start, when the client retries with the answers: so the tools below do
nothing before their input calls that they could not do twice).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import sys
import wave
from typing import Any, Literal

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Context, Server
from mcp_sync.errors import INTERNAL_ERROR, McpError
from mcp_sync.server import content
from mcp_sync.skills import Skills

#: A 1x1 red pixel.
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def _wav_bytes() -> bytes:
    """A tenth of a second of silence: 8 kHz, 16-bit mono."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


WAV = _wav_bytes()

server = Server(
    "mcp-sync-everything",
    version="1.0.0",
    title="mcp_sync everything server",
    instructions="A test server exposing every conformance fixture.",
)

# -- tools: content -------------------------------------------------------------------------


@server.tool()
def test_simple_text() -> str:
    """Returns a simple text block."""
    return "This is a simple text response for testing."


@server.tool()
def test_image_content():
    """Returns an image content block (a 1x1 PNG)."""
    return content.image(PNG_BASE64, "image/png")


@server.tool()
def test_audio_content():
    """Returns an audio content block (a short WAV)."""
    return content.audio(WAV, "audio/wav")


@server.tool()
def test_embedded_resource():
    """Returns an embedded text resource."""
    return content.embedded_resource("test://embedded-resource", text="This is an embedded resource content.",
                                     mime_type="text/plain")


@server.tool()
def test_multiple_content_types():
    """Returns text, an image and an embedded resource together."""
    return [
        content.text("Multiple content types test:"),
        content.image(PNG_BASE64, "image/png"),
        content.embedded_resource("test://mixed-content-resource", text=json.dumps({"test": "data", "value": 123}),
                                  mime_type="application/json"),
    ]


@server.tool()
def test_error_handling() -> str:
    """Always fails: the result has isError set."""
    raise RuntimeError("This tool intentionally returns an error for testing")


# -- tools: notifications ---------------------------------------------------------------------


@server.tool()
def test_tool_with_logging(ctx: Context) -> str:
    """Sends three info log messages while it runs."""
    ctx.info("Tool execution started")
    ctx.cancelled.wait(0.05)
    ctx.info("Tool processing data")
    ctx.cancelled.wait(0.05)
    ctx.info("Tool execution completed")
    return "Tool with logging executed successfully"


@server.tool()
def test_tool_with_progress(ctx: Context) -> str:
    """Reports progress 0, 50 and 100 of 100 (when the client asked for progress)."""
    for step in (0, 50, 100):
        if step:
            ctx.cancelled.wait(0.05)
        ctx.report_progress(step, 100)
    return "Tool with progress executed successfully"


@server.tool()
def test_reconnection(ctx: Context) -> str:
    """Over Streamable HTTP, closes its SSE stream before answering: the client resumes it."""
    ctx.close_sse_stream()
    ctx.cancelled.wait(0.1)  # answer after the stream is gone: the result waits in the event store
    return "Reconnection test completed"


# -- tools: asking the client ------------------------------------------------------------------


@server.tool()
def test_sampling(prompt: str, ctx: Context) -> str:
    """Asks the client's model to answer ``prompt``."""
    answer = ctx.sample(prompt, max_tokens=100)
    return f"LLM response: {answer.text}"


@server.tool()
def test_elicitation(message: str, ctx: Context) -> str:
    """Asks the user for a username and an email address."""
    answer = ctx.elicit(message, {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    })
    return f"User response: action={answer.action}, content={json.dumps(answer.content)}"


@dataclasses.dataclass
class Profile:
    """A form whose every field has a default (SEP-1034)."""

    name: str = "John Doe"
    age: int = 30
    score: float = 95.5
    status: Literal["active", "inactive", "pending"] = "active"
    verified: bool = True


@server.tool()
def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Asks for a form whose fields all carry defaults."""
    answer = ctx.elicit("Please review your profile", Profile)
    filled = dataclasses.asdict(answer.content) if answer.content is not None else None
    return f"Elicitation completed: action={answer.action}, content={json.dumps(filled)}"


ENUM_FORM = {
    "type": "object",
    "properties": {
        "untitledSingle": {"type": "string", "title": "Untitled single", "enum": ["option1", "option2", "option3"]},
        "titledSingle": {"type": "string", "title": "Titled single", "oneOf": [
            {"const": "value1", "title": "First Option"},
            {"const": "value2", "title": "Second Option"},
            {"const": "value3", "title": "Third Option"}]},
        "legacyEnum": {"type": "string", "title": "Legacy titled", "enum": ["opt1", "opt2", "opt3"],
                       "enumNames": ["Option One", "Option Two", "Option Three"]},
        "untitledMulti": {"type": "array", "title": "Untitled multi",
                          "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
        "titledMulti": {"type": "array", "title": "Titled multi", "items": {"anyOf": [
            {"const": "value1", "title": "First Choice"},
            {"const": "value2", "title": "Second Choice"},
            {"const": "value3", "title": "Third Choice"}]}},
    },
}


@server.tool()
def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Asks for a form with every enum style (SEP-1330)."""
    answer = ctx.elicit("Please pick some options", ENUM_FORM)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


# -- tools: schemas -------------------------------------------------------------------------------

JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"address": {"$anchor": "addressDef", "type": "object",
                          "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@server.tool(description="Tool with JSON Schema 2020-12 features", input_schema=JSON_SCHEMA_2020_12)
def json_schema_2020_12_tool(**arguments: Any) -> str:
    return f"Received: {json.dumps(arguments, sort_keys=True)}"


# -- 2026-07-28 fixtures -------------------------------------------------------------------------------


@server.tool()
def test_missing_capability(ctx: Context) -> str:
    """Needs the client's sampling capability: a client without it gets -32021 (2026-07-28)."""
    answer = ctx.sample("Say something.", max_tokens=20)
    return f"LLM response: {answer.text}"


@server.tool()
def test_streaming_elicitation(ctx: Context) -> str:
    """Asks the user to confirm (an input_required result in 2026-07-28, never a request on the stream)."""
    answer = ctx.elicit("Please confirm.", {"type": "object", "properties": {"confirm": {"type": "boolean"}}})
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


@server.tool()
def test_logging_tool(ctx: Context) -> str:
    """Logs three messages (2026-07-28 clients see them only when the request sets a logLevel)."""
    ctx.info("Logging tool started")
    ctx.debug("Logging tool working")
    ctx.info("Logging tool finished")
    return "Logging tool executed successfully"


def _dynamic_tool() -> str:
    """Registered and removed by test_trigger_tool_change."""
    return "I come and go."


def _dynamic_prompt() -> str:
    """Registered and removed by test_trigger_prompt_change."""
    return "I come and go."


@server.tool()
def test_trigger_tool_change() -> str:
    """Adds or removes the tool test_dynamic_tool: listeners get notifications/tools/list_changed."""
    try:
        server.remove_tool("test_dynamic_tool")
        return "Removed test_dynamic_tool"
    except KeyError:
        server.add_tool(_dynamic_tool, name="test_dynamic_tool")
        return "Added test_dynamic_tool"


@server.tool()
def test_trigger_prompt_change() -> str:
    """Adds or removes the prompt test_dynamic_prompt: listeners get notifications/prompts/list_changed."""
    try:
        server.remove_prompt("test_dynamic_prompt")
        return "Removed test_dynamic_prompt"
    except KeyError:
        server.add_prompt(_dynamic_prompt, name="test_dynamic_prompt")
        return "Added test_dynamic_prompt"


X_MCP_HEADER_SCHEMA = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "description": "Where to run", "x-mcp-header": "Region"},
        "priority": {"type": "integer", "description": "Queue priority", "x-mcp-header": "Priority"},
        "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
        "query": {"type": "string", "description": "Not mirrored into a header"},
    },
    "required": ["region"],
}


@server.tool(description="Mirrors some arguments into Mcp-Param-* headers (SEP-2243)", input_schema=X_MCP_HEADER_SCHEMA)
def test_x_mcp_header(**arguments: Any) -> str:
    return f"Received: {json.dumps(arguments, sort_keys=True)}"


NAME_FORM = {"type": "object", "properties": {"name": {"type": "string", "description": "Your name"}},
             "required": ["name"]}
OK_FORM = {"type": "object", "properties": {"ok": {"type": "boolean", "description": "Go on?"}}}


@server.tool()
def test_input_required_result_elicitation(ctx: Context) -> str:
    """Asks for the user's name (input request key "user_name")."""
    answer = ctx.elicit("What is your name?", NAME_FORM, key="user_name")
    name = answer.content["name"] if answer.accepted else "stranger"
    return f"Hello, {name}!"


@server.tool()
def test_input_required_result_sampling(ctx: Context) -> str:
    """Asks the client's model a question."""
    answer = ctx.sample("What is the capital of France?", max_tokens=50)
    return f"LLM response: {answer.text}"


@server.tool()
def test_input_required_result_list_roots(ctx: Context) -> str:
    """Lists the client's roots."""
    roots = ctx.list_roots()
    return "Roots: " + ", ".join(root["uri"] for root in roots)


@server.tool()
def test_input_required_result_request_state(ctx: Context) -> str:
    """Asks for confirmation; the round trip carries a sealed requestState."""
    answer = ctx.elicit("Continue?", OK_FORM)
    return f"state-ok: action={answer.action}"


@server.tool()
def test_input_required_result_multiple_inputs(ctx: Context) -> str:
    """Asks for a name, a model answer and the roots in one round."""
    name, sample, roots = ctx.gather(ctx.elicit_request("What is your name?", NAME_FORM),
                                     ctx.sample_request("Say hello.", max_tokens=20),
                                     ctx.roots_request())
    return (f"name={name.content['name'] if name.accepted else None}, model said {sample.text!r}, "
            f"{len(roots)} root(s)")


@server.tool()
def test_input_required_result_multi_round(ctx: Context) -> str:
    """Asks for a name, then (in a second round) for a favourite color."""
    name = ctx.elicit("What is your name?", NAME_FORM)
    color = ctx.elicit("What is your favourite color?",
                       {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]})
    who = name.content["name"] if name.accepted else "stranger"
    return f"{who} likes {color.content['color'] if color.accepted else 'no color'}"


@server.tool()
def test_input_required_result_tampered_state(ctx: Context) -> str:
    """Asks for confirmation; a modified requestState on the retry is refused (-32602)."""
    answer = ctx.elicit("Continue?", OK_FORM)
    return f"confirmed: action={answer.action}"


@server.tool()
def test_input_required_result_capabilities(ctx: Context) -> str:
    """Asks only for what the client declared: elicitation and/or sampling."""
    asks = []
    if ctx.client_supports("elicitation"):
        asks.append(ctx.elicit_request("What is your name?", NAME_FORM))
    if ctx.client_supports("sampling"):
        asks.append(ctx.sample_request("Say hello.", max_tokens=20))
    answers = ctx.gather(*asks)
    return f"{len(answers)} answer(s) from the declared capabilities"


# -- tasks extension fixtures (2026-07-28, io.modelcontextprotocol/tasks) ----------------------------
#
# Tools registered with task_support="optional"/"required" become tasks at once when the request declares
# the extension (the client gets a CreateTaskResult and polls tasks/get); "optional" ones run as plain calls
# for other clients, "required" ones answer those -32021. On 2025-11-25 sessions the same tools take part in
# task-augmented calls (execution.taskSupport). A tool may also turn into a task part way: ctx.start_task().

CONFIRM_FORM = {"type": "object", "properties": {"confirm": {"type": "boolean", "description": "Go ahead?"}},
                "required": ["confirm"]}


@server.tool()
def greet(name: str = "World") -> str:
    """Says hello (never a task)."""
    return f"Hello, {name}!"


@server.tool(task_support="optional")
def slow_compute(ctx: Context, seconds: float = 1.0, label: str = "") -> str:
    """Works for ``seconds`` seconds (a task for clients with the tasks extension); stops when cancelled."""
    if ctx.cancelled.wait(max(0.0, min(seconds, 3600.0))):
        return f"slow_compute {label!r} was cancelled"
    return f"slow_compute {label!r} finished after {seconds:g} s"


@server.tool(task_support="required")
def failing_job(ctx: Context) -> str:
    """Fails after about half a second with a tool error (isError; the task still completes)."""
    ctx.cancelled.wait(0.5)
    raise RuntimeError("failing_job failed on purpose")


@server.tool(task_support="optional")
def protocol_error_job(ctx: Context) -> str:
    """Ends in a JSON-RPC error (-32603): as a task, the task fails with that error."""
    ctx.cancelled.wait(0.1)
    raise McpError(INTERNAL_ERROR, "protocol_error_job hit an internal error on purpose")


@server.tool(task_support="optional")
def confirm_delete(filename: str, ctx: Context) -> str:
    """Asks the user to confirm (as a task: input_required until tasks/update answers), then "deletes"."""
    answer = ctx.elicit(f"Really delete {filename}?", CONFIRM_FORM, key="confirm")
    if answer.accepted and answer.content.get("confirm"):
        return f"Deleted {filename}"
    return f"Kept {filename}"


@server.tool(task_support="optional")
def multi_input(ctx: Context) -> str:
    """Asks two things at once (as a task: two inputRequests pending together)."""
    name, confirm = ctx.gather(ctx.elicit_request("What is your name?", NAME_FORM, key="name"),
                               ctx.elicit_request("Shall I go on?", CONFIRM_FORM, key="confirm"))
    who = name.content["name"] if name.accepted else "stranger"
    go = bool(confirm.accepted and confirm.content.get("confirm"))
    return f"name={who}, confirm={go}"


@server.tool()
def test_tool_with_task(ctx: Context) -> str:
    """Asks for the user's name in a multi round-trip round, then continues as a task and greets them."""
    answer = ctx.elicit("What is your name?", NAME_FORM, key="user_name")
    ctx.start_task()  # with the tasks extension: CreateTaskResult now, the rest runs as the task
    name = answer.content["name"] if answer.accepted else "stranger"
    ctx.cancelled.wait(0.1)
    return f"Hello, {name}! (finished as a task)"


# -- resources ---------------------------------------------------------------------------------------

server.add_resource("test://static-text", "This is the content of the static text resource.",
                    name="static-text", description="A static text resource", mime_type="text/plain")


@server.resource("test://static-binary", name="static-binary", mime_type="image/png")
def static_binary() -> dict:
    """A static binary resource (a PNG)."""
    return {"blob": PNG_BASE64}


@server.resource("test://template/{id}/data", name="template-data", mime_type="application/json")
def template_data(id: str) -> str:
    """Data for one id."""
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@server.resource("test://watched-resource", name="watched-resource", mime_type="text/plain")
def watched_resource() -> str:
    """A resource clients may subscribe to."""
    return "Watched resource content"


# -- skills (io.modelcontextprotocol/skills, SEP-2640) -----------------------------------------------

#: The example skills beside this file (pdf-processing has subdirectories; writing/commit-messages is nested).
SKILLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "skills")
skills = server.add_extension(Skills(directory_read=True))
skills.add_root(SKILLS_DIR)


# -- prompts --------------------------------------------------------------------------------------------


@server.prompt()
def test_simple_prompt() -> str:
    """A prompt without arguments."""
    return "This is a simple prompt for testing."


@server.prompt()
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with two required arguments.

    Args:
        arg1: First test argument
        arg2: Second test argument
    """
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@server.prompt()
def test_prompt_with_embedded_resource(resourceUri: str) -> list:  # noqa: N803 - the fixture's argument name
    """A prompt embedding a resource.

    Args:
        resourceUri: URI of the resource to embed
    """
    return [
        content.user(content.embedded_resource(resourceUri, text="Embedded resource content for testing.",
                                               mime_type="text/plain")),
        content.user("Please process the embedded resource above."),
    ]


@server.prompt()
def test_prompt_with_image() -> list:
    """A prompt with an image."""
    return [content.user(content.image(PNG_BASE64, "image/png")), content.user("Please analyze the image above.")]


@server.prompt()
def test_input_required_result_prompt(ctx: Context) -> str:
    """A prompt that first asks the user for some context."""
    answer = ctx.elicit("What context should the prompt use?",
                        {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]})
    context = answer.content["context"] if answer.accepted else "none"
    return f"Answer with this context in mind: {context}"


@server.completion(prompt="test_prompt_with_arguments", argument="arg1")
def complete_arg1(value: str) -> list[str]:
    return [word for word in ("paris", "park", "party", "test", "testing") if word.startswith(value)]


@server.completion(template="test://template/{id}/data", variable="id")
def complete_id(value: str) -> list[str]:
    return [str(n) for n in range(100, 130) if str(n).startswith(value)]


# -- main -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stdio", action="store_true", help="serve one client on stdin/stdout")
    where.add_argument("--port", type=int, help="serve Streamable HTTP at http://127.0.0.1:PORT/mcp (0: any port)")
    args = parser.parse_args(argv)
    if args.stdio:
        server.run("stdio")
    else:
        server.run("http", host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
