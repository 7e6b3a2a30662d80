#!/usr/bin/env python3
"""An MCP client for the official conformance harness (``conformance client --command ...``).

Contract (see the harness documentation): the server URL is the last
command-line argument; ``MCP_CONFORMANCE_SCENARIO`` names the scenario;
``MCP_CONFORMANCE_PROTOCOL_VERSION`` the wire revision to speak. The process
exits 0 when the scenario's client side is done, non-zero otherwise (an
unknown scenario included).

    python examples/everything_client.py http://localhost:3000/mcp   # with the variables set

Scenarios:

* ``initialize``: connect (initialize + initialized), list the tools if the
  server offers tools, close.
* ``tools_call``: list the tools and call each with arguments made from its
  input schema (the harness expects ``add_numbers`` with two numbers).
* ``elicitation-sep1034-client-defaults``: the same, with a form elicitation
  handler that accepts without filling anything in: the client applies the
  requested schema's defaults (SEP-1034).
* ``sse-retry``: the same; the transport resumes the tool call's SSE stream
  after the server's ``retry`` delay, with ``Last-Event-ID``.

2026-07-28 scenarios (``MCP_CONFORMANCE_PROTOCOL_VERSION=2026-07-28``: the
client is pinned to the stateless wire; it retries once when the first
request is refused with -32022):

* ``request-metadata``: connect (``server/discover`` with the per-request
  ``_meta`` and ``MCP-Protocol-Version``), list tools if offered.
* ``sep-2322-client-request-state``: call every tool; ``input_required`` rounds
  are answered by the elicitation handler and retried with ``requestState``
  echoed unchanged (MRTR).
* ``http-standard-headers``: list and use every tool, resource and prompt
  (``Mcp-Method`` / ``Mcp-Name`` headers).
* ``http-custom-headers``: list the tools, then make the calls listed in
  ``MCP_CONFORMANCE_CONTEXT`` (``Mcp-Param-*`` headers).
* ``http-invalid-tool-headers``: list the tools (the client drops those with
  invalid ``x-mcp-header`` annotations) and call the rest.
* ``json-schema-ref-no-deref``: list the tools (a network ``$ref`` is never fetched).
* ``json-schema-2020-12-preservation`` (either wire): send the focal tool's
  ``inputSchema`` back, exactly as received, to ``json_schema_echo``.

Skills extension host scenarios (SEP-2640):

* ``sep-2640-client-no-prefetch``: list the skills; read none of their files.
* ``sep-2640-client-verify-digest`` / ``-size`` / ``-frontmatter``: list, load
  the first skill (its SKILL.md verified against the entry) and, only if it
  verifies, read its other files; the tampered SKILL.md is refused.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Callable

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Client
from mcp_sync.protocol.versions import ALL_VERSIONS, LEGACY_VERSIONS
from mcp_sync.skills import SkillVerificationError
from mcp_sync.types import CreateMessageResult, ElicitRequestFormParams, ElicitResult, TextContent, Tool

#: Seconds per request: well under the harness's 30 s limit, so we exit by ourselves.
TIMEOUT = 20.0


def say(text: str) -> None:
    print(text, flush=True)


def connect(url: str, version: str, **handlers: Any) -> Client:
    # The harness says which wire to speak: pin it (no era probing).
    return Client.http(url, name="mcp-sync-everything-client", timeout=TIMEOUT, protocol=version, **handlers)


def example_value(schema: Any, name: str, index: int) -> Any:
    """A plausible value for one argument, from its JSON Schema."""
    if not isinstance(schema, dict):
        return f"{name}-value"
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return {
        "number": 2 + index,
        "integer": 2 + index,
        "boolean": True,
        "array": [],
        "object": {},
        "null": None,
    }.get(kind, f"{name}-value")


def example_arguments(tool: Tool) -> dict[str, Any]:
    schema = tool.input_schema or {}
    properties = schema.get("properties") or {}
    required = schema.get("required") or list(properties)
    return {name: example_value(properties.get(name), name, i) for i, name in enumerate(required)}


def call_every_tool(client: Client) -> None:
    tools = client.list_tools()
    say(f"tools: {[t.name for t in tools]}")
    for tool in tools:
        arguments = example_arguments(tool)
        result = client.call_tool(tool, arguments)
        texts = [getattr(block, "text", f"<{getattr(block, 'type', '?')}>") for block in result.content]
        say(f"{tool.name}({arguments}) -> {'error: ' if result.is_error else ''}{texts}")


def accept_with_defaults(params: ElicitRequestFormParams) -> ElicitResult:
    """Accept without filling in anything: the client fills in the schema's defaults."""
    say(f"elicitation: {params.message!r}; accepting with the defaults")
    return ElicitResult(action="accept")


def sample_nothing(params: Any) -> CreateMessageResult:
    """A sampling handler for scenarios that only check what the client declares."""
    return CreateMessageResult(role="assistant", content=TextContent(text="(no model here)"), model="none")


def all_handlers() -> dict[str, Any]:
    return {"elicitation": accept_with_defaults, "sampling": sample_nothing, "roots": []}


def scenario_request_metadata(url: str, version: str) -> None:
    with connect(url, version, **all_handlers()) as client:
        say(f"connected (protocol {client.protocol_version}, era {client.era})")
        if client.server_capabilities.tools is not None:
            say(f"tools: {[t.name for t in client.list_tools()]}")


def scenario_request_state(url: str, version: str) -> None:
    with connect(url, version, elicitation=accept_with_defaults) as client:
        call_every_tool(client)


def scenario_standard_headers(url: str, version: str) -> None:
    with connect(url, version) as client:
        call_every_tool(client)
        for resource in client.list_resources():
            contents = client.read_resource(resource).contents
            say(f"read {resource.uri}: {len(contents)} content item(s)")
        for prompt in client.list_prompts():
            messages = client.get_prompt(prompt).messages
            say(f"prompt {prompt.name}: {len(messages)} message(s)")


def scenario_custom_headers(url: str, version: str) -> None:
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    with connect(url, version) as client:
        say(f"tools: {[t.name for t in client.list_tools()]}")
        for call in context.get("toolCalls") or []:
            result = client.call_tool(call["name"], call.get("arguments") or {})
            say(f"{call['name']} -> {'error' if result.is_error else 'ok'}")


def scenario_list_tools(url: str, version: str) -> None:
    with connect(url, version) as client:
        say(f"tools: {[t.name for t in client.list_tools()]}")


def scenario_schema_preservation(url: str, version: str) -> None:
    with connect(url, version) as client:
        tools = {tool.name: tool for tool in client.list_tools()}
        focal = tools["json_schema_2020_12_tool"]
        result = client.call_tool("json_schema_echo", {"schema": focal.input_schema})
        say(f"json_schema_echo -> {'error' if result.is_error else 'ok'}")


def scenario_initialize(url: str, version: str) -> None:
    with connect(url, version) as client:
        say(f"connected to {client.server_info.name} {client.server_info.version} "
            f"(protocol {client.protocol_version})")
        # Only what the server offers: this mock declares no capabilities at all.
        if client.server_capabilities.tools is not None:
            say(f"tools: {[t.name for t in client.list_tools()]}")


def scenario_tools_call(url: str, version: str) -> None:
    with connect(url, version) as client:
        call_every_tool(client)


def scenario_elicitation_defaults(url: str, version: str) -> None:
    with connect(url, version, elicitation=accept_with_defaults) as client:
        call_every_tool(client)


def scenario_sse_retry(url: str, version: str) -> None:
    with connect(url, version) as client:
        call_every_tool(client)


def scenario_skills_no_prefetch(url: str, version: str) -> None:
    """Skills host: list the skills and stop there (no skill file is read before a skill is used)."""
    with connect(url, version) as client:
        for entry in client.skills.list():
            say(f"skill {entry.name}: {entry.description} ({entry.uri})")


def scenario_skills_verify(url: str, version: str) -> None:
    """Skills host: list, load the first skill (SKILL.md verified against its entry), then read its files.

    A SKILL.md failing verification (digest, size, frontmatter) is refused and
    nothing more of that skill is read; the refusal is the expected outcome
    of the tampered fixtures, so the client still exits 0.
    """
    with connect(url, version) as client:
        entries = client.skills.list()
        if not entries:
            say("no skills listed")
            return
        entry = entries[0]
        try:
            skill = client.skills.load(entry)
        except SkillVerificationError as exc:
            say(f"refused skill {entry.uri}: {exc.reason}")
            return
        say(f"loaded skill {skill.name} ({len(skill.body)} characters of instructions)")
        for item in entry.resources or ():
            if item.uri != entry.uri:
                say(f"read {item.uri}: {len(skill.read(item.uri))} verified bytes")


SCENARIOS: dict[str, Callable[[str, str], None]] = {
    "initialize": scenario_initialize,
    "tools_call": scenario_tools_call,
    "elicitation-sep1034-client-defaults": scenario_elicitation_defaults,
    "sse-retry": scenario_sse_retry,
    "request-metadata": scenario_request_metadata,
    "sep-2322-client-request-state": scenario_request_state,
    "http-standard-headers": scenario_standard_headers,
    "http-custom-headers": scenario_custom_headers,
    "http-invalid-tool-headers": scenario_tools_call,
    "json-schema-ref-no-deref": scenario_list_tools,
    "json-schema-2020-12-preservation": scenario_schema_preservation,
    "sep-2640-client-no-prefetch": scenario_skills_no_prefetch,
    "sep-2640-client-verify-digest": scenario_skills_verify,
    "sep-2640-client-verify-size": scenario_skills_verify,
    "sep-2640-client-verify-frontmatter": scenario_skills_verify,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=os.environ.get("MCP_LOG_LEVEL", "WARNING"), stream=sys.stderr)
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    run = SCENARIOS.get(scenario)
    if run is None:
        print(f"everything_client: unknown scenario {scenario!r} (MCP_CONFORMANCE_SCENARIO); "
              f"known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    if not argv:
        print("everything_client: usage: everything_client.py [...] SERVER_URL", file=sys.stderr)
        return 2
    version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION") or LEGACY_VERSIONS[-1]
    if version not in ALL_VERSIONS:
        print(f"everything_client: protocol version {version} is not supported by this client "
              f"(supported: {', '.join(ALL_VERSIONS)})", file=sys.stderr)
        return 2
    try:
        run(argv[-1], version)
    except Exception as exc:  # report, and fail the scenario with a non-zero exit
        print(f"everything_client: scenario {scenario!r} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
