"""What the server asks of the client (sampling, elicitation, roots), what it tells
it (notifications), and the capabilities the client declares for them."""

from __future__ import annotations

import pathlib

import pytest

from mcp_sync.errors import CapabilityError, McpError
from mcp_sync.types import (
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
    Root,
    TextContent,
    to_wire,
)
from tests.client.conftest import Recorder
from tests.client.lowlevel_server import TOOLS

SAMPLE_REQUEST = {"messages": [{"role": "user", "content": {"type": "text", "text": "What is 2+2?"}}],
                  "maxTokens": 50, "systemPrompt": "Be brief."}
WITH_TOOLS = {**SAMPLE_REQUEST, "tools": [{"name": "calc", "inputSchema": {"type": "object"}}],
              "toolChoice": {"mode": "auto"}}
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "default": "John Doe"},
        "age": {"type": "integer", "default": 30},
        "score": {"type": "number", "default": 95.5},
        "status": {"type": "string", "enum": ["active", "inactive"], "default": "active"},
        "verified": {"type": "boolean", "default": True},
        "nickname": {"type": "string"},
    },
}
FORM = {"message": "Who are you?", "requestedSchema": SCHEMA}
URL = {"mode": "url", "message": "Please sign in", "url": "https://example.com/login", "elicitationId": "el-7"}


def ask(client, tool: str, arguments: dict | None = None) -> dict:
    """Run a tool that sends a request to the client; the server returns what it got back."""
    return client.call_tool(tool, arguments).structured_content


def sampler(params: CreateMessageRequestParams):
    assert isinstance(params, CreateMessageRequestParams)
    question = params.messages[0].content.text
    return CreateMessageResult(role="assistant", content=TextContent(text=f"{question} -> 4 ({params.max_tokens})"),
                               model="test-model", stop_reason="endTurn")


# -- capability declaration ----------------------------------------------------------

def noop(params):
    raise AssertionError("not called")


@pytest.mark.parametrize("kwargs, expected", [
    ({}, {}),
    ({"sampling": noop}, {"sampling": {}}),
    ({"sampling": noop, "sampling_tools": True}, {"sampling": {"tools": {}}}),
    ({"elicitation": noop}, {"elicitation": {"form": {}}}),
    ({"elicitation_url": noop}, {"elicitation": {"url": {}}}),
    ({"elicitation": noop, "elicitation_url": noop}, {"elicitation": {"form": {}, "url": {}}}),
    ({"roots": []}, {"roots": {"listChanged": True}}),
    ({"roots": lambda: []}, {"roots": {"listChanged": True}}),
    ({"on_log": noop, "on_tools_changed": noop, "on_notification": noop}, {}),  # hooks declare nothing
    ({"sampling": noop, "sampling_tools": True, "elicitation": noop, "elicitation_url": noop, "roots": ["/"]},
     {"sampling": {"tools": {}}, "elicitation": {"form": {}, "url": {}}, "roots": {"listChanged": True}}),
    # Older revisions: only what they define.
    ({"protocol_version": "2025-06-18", "sampling": noop, "sampling_tools": True, "elicitation": noop,
      "elicitation_url": noop}, {"sampling": {}, "elicitation": {}}),
    ({"protocol_version": "2025-03-26", "elicitation": noop, "roots": []}, {"roots": {"listChanged": True}}),
])
def test_declared_capabilities_match_the_configuration_exactly(connect, kwargs, expected):
    client = connect(**kwargs)
    assert to_wire(client.client_capabilities) == expected
    seen = ask(client, "client_info")
    assert seen["capabilities"] == expected
    assert seen["clientInfo"] == {"name": "mcp-sync", "version": client.client_info.version}
    assert seen["protocolVersion"] == kwargs.get("protocol_version", "2025-11-25")


def test_client_info_name_title_version_are_sent(connect):
    client = connect(name="my-app", version="9.9", title="My App")
    assert ask(client, "client_info")["clientInfo"] == {"name": "my-app", "version": "9.9", "title": "My App"}


def test_sampling_tools_needs_a_sampling_handler():
    from mcp_sync.client import Client
    from mcp_sync.transports.memory import MemoryTransport

    with pytest.raises(ValueError, match="sampling handler"):
        Client(MemoryTransport(), sampling_tools=True)


# -- requests for features the client did not declare ------------------------------------

def test_undeclared_features_are_refused_with_method_not_found(connect):
    client = connect()
    for tool, arguments in (("sample", SAMPLE_REQUEST), ("elicit", FORM), ("list_roots", None)):
        answer = ask(client, tool, arguments)
        assert answer["error"]["code"] == -32601, (tool, answer)
        assert "did not declare" in answer["error"]["message"]


def test_an_undeclared_elicitation_mode_is_invalid_params(connect):
    form_only = connect(elicitation=lambda p: ElicitResult(action="decline"))
    assert ask(form_only, "elicit", URL)["error"]["code"] == -32602
    url_only = connect(elicitation_url=lambda p: ElicitResult(action="decline"))
    assert ask(url_only, "elicit", FORM)["error"]["code"] == -32602


# -- sampling ----------------------------------------------------------------------------

def test_sampling_handler_gets_typed_params_and_its_result_goes_back(connect):
    client = connect(sampling=sampler)
    answer = ask(client, "sample", SAMPLE_REQUEST)
    assert answer == {"result": {"role": "assistant", "content": {"type": "text", "text": "What is 2+2? -> 4 (50)"},
                                 "model": "test-model", "stopReason": "endTurn"}}


def test_sampling_handler_may_return_a_dict(connect):
    client = connect(sampling=lambda p: {"role": "assistant", "content": {"type": "text", "text": "hi"},
                                         "model": "m"})
    assert ask(client, "sample", SAMPLE_REQUEST)["result"]["model"] == "m"


def test_sampling_with_tools_only_when_declared(connect):
    got = []

    def handler(params):
        got.append([t.name for t in params.tools])
        return sampler(params)

    without = connect(sampling=handler)
    answer = ask(without, "sample", WITH_TOOLS)
    assert answer["error"]["code"] == -32602 and "sampling.tools" in answer["error"]["message"]
    assert got == []
    with_tools = connect(sampling=handler, sampling_tools=True)
    assert "result" in ask(with_tools, "sample", WITH_TOOLS)
    assert got == [["calc"]]


def test_sampling_errors(connect):
    def reject(params):
        raise McpError(-1, "User rejected sampling request")

    client = connect(sampling=reject)
    assert ask(client, "sample", SAMPLE_REQUEST)["error"] == {"code": -1, "message": "User rejected sampling request"}
    malformed = {k: v for k, v in SAMPLE_REQUEST.items() if k != "maxTokens"}
    assert ask(client, "sample", malformed)["error"]["code"] == -32602

    broken = connect(sampling=lambda p: 1 / 0)
    answer = ask(broken, "sample", SAMPLE_REQUEST)
    assert answer["error"]["code"] == -32603
    assert "ZeroDivision" in answer["error"]["message"]
    bad_result = connect(sampling=lambda p: {"role": "assistant"})  # no content, no model
    assert ask(bad_result, "sample", SAMPLE_REQUEST)["error"]["code"] == -32603


# -- elicitation -------------------------------------------------------------------------

def test_form_elicitation_applies_schema_defaults_to_fields_left_out(connect):
    got = []

    def handler(params):
        got.append(params)
        return ElicitResult(action="accept", content={"name": "Ada", "age": 36})

    client = connect(elicitation=handler)
    answer = ask(client, "elicit", FORM)
    assert answer == {"result": {"action": "accept", "content": {
        "name": "Ada", "age": 36, "score": 95.5, "status": "active", "verified": True}}}
    assert isinstance(got[0], ElicitRequestFormParams)
    assert got[0].message == "Who are you?" and got[0].requested_schema == SCHEMA


def test_accept_without_content_gets_every_default(connect):
    client = connect(elicitation=lambda p: {"action": "accept"})
    assert ask(client, "elicit", FORM)["result"]["content"] == {
        "name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": True}


@pytest.mark.parametrize("action", ["decline", "cancel"])
def test_decline_and_cancel_carry_no_content(connect, action):
    client = connect(elicitation=lambda p: ElicitResult(action=action, content={"name": "x"}))
    assert ask(client, "elicit", FORM) == {"result": {"action": action}}


def test_url_elicitation_uses_its_own_handler(connect):
    got = []

    def on_url(params):
        got.append(params)
        return ElicitResult(action="accept", content={"ignored": True})

    client = connect(elicitation=lambda p: {"action": "decline"}, elicitation_url=on_url)
    assert ask(client, "elicit", URL) == {"result": {"action": "accept"}}  # no content in URL mode
    assert isinstance(got[0], ElicitRequestURLParams)
    assert (got[0].url, got[0].elicitation_id, got[0].message) == (
        "https://example.com/login", "el-7", "Please sign in")
    assert ask(client, "elicit", FORM) == {"result": {"action": "decline"}}


# -- roots -------------------------------------------------------------------------------

def test_roots_list_from_paths_uris_and_root_objects(connect, tmp_path):
    client = connect(roots=[tmp_path, "file:///data", Root(uri="file:///srv", name="srv")])
    roots = ask(client, "list_roots")["result"]["roots"]
    assert roots == [{"uri": tmp_path.resolve().as_uri()}, {"uri": "file:///data"},
                     {"uri": "file:///srv", "name": "srv"}]
    assert client.roots()[2] == Root(uri="file:///srv", name="srv")


def test_set_roots_notifies_the_server_which_lists_them_again(connect):
    events = Recorder()
    client = connect(roots=["file:///one"],
                     on_notification=lambda m, p: events(p) if m == "test/roots_changed" else None)
    client.set_roots(["file:///two", {"uri": "file:///three", "name": "three"}])
    assert events.wait(1) == [{"roots": [{"uri": "file:///two"}, {"uri": "file:///three", "name": "three"}]}]
    assert ask(client, "list_roots")["result"]["roots"][0] == {"uri": "file:///two"}


def test_callable_roots_and_notify_roots_changed(connect):
    current = ["file:///a"]
    events = Recorder()
    client = connect(roots=lambda: list(current),
                     on_notification=lambda m, p: events(p) if m == "test/roots_changed" else None)
    assert ask(client, "list_roots")["result"]["roots"] == [{"uri": "file:///a"}]
    current.append("file:///b")
    client.notify_roots_changed()
    assert events.wait(1)[0]["roots"] == [{"uri": "file:///a"}, {"uri": "file:///b"}]


def test_roots_errors(connect):
    plain = connect()
    with pytest.raises(CapabilityError, match="roots"):
        plain.set_roots(["file:///x"])
    with pytest.raises(CapabilityError):
        plain.notify_roots_changed()
    with pytest.raises(ValueError, match="file://"):
        connect(roots=["https://example.com/"], open=False)
    with pytest.raises(TypeError, match="list"):
        connect(roots="file:///just-one", open=False)


def test_root_paths_become_absolute_file_uris():
    from mcp_sync.client.handlers import to_root

    assert to_root("relative/dir").uri == (pathlib.Path.cwd() / "relative" / "dir").resolve().as_uri()
    assert to_root(pathlib.Path("/tmp")).uri == pathlib.Path("/tmp").resolve().as_uri()


# -- notifications -----------------------------------------------------------------------

def test_every_notification_hook(connect):
    tools, prompts, resources = Recorder(), Recorder(), Recorder()
    updated, completed, everything = Recorder(), Recorder(), Recorder()
    client = connect(on_tools_changed=tools, on_prompts_changed=prompts, on_resources_changed=resources,
                     on_resource_updated=updated, on_elicitation_complete=completed, on_notification=everything)
    client.call_tool("notify_changes")
    # all sent before the response, so all delivered before call_tool returned
    assert (len(tools.calls), len(prompts.calls), len(resources.calls)) == (1, 1, 1)
    assert updated.calls == ["test://doc/1"]
    assert completed.calls == ["el-1"]
    assert [m for m, _ in everything.calls] == [
        "notifications/tools/list_changed", "notifications/prompts/list_changed",
        "notifications/resources/list_changed", "notifications/resources/updated",
        "notifications/elicitation/complete"]
    assert everything.calls[3][1] == {"uri": "test://doc/1"}


def test_a_failing_hook_does_not_stop_the_others(connect):
    everything = Recorder()

    def broken():
        raise RuntimeError("hook bug")

    client = connect(on_tools_changed=broken, on_notification=everything)
    client.call_tool("notify_changes")
    assert len(everything.calls) == 5
    assert client.ping() is None


def test_a_hook_may_call_the_client(connect):
    counts = Recorder()
    holder = {}
    client = connect(on_tools_changed=lambda: counts(len(holder["client"].list_tools())))
    holder["client"] = client
    client.call_tool("notify_changes")
    assert counts.wait(1) == [len(TOOLS)]


def test_tools_list_changed_forgets_output_schemas(connect):
    client = connect()
    client.list_tools()
    with pytest.raises(ValueError):
        client.call_tool("bad_output")
    client.call_tool("notify_changes")
    # The old schemas may be stale: no check until the tools are listed again.
    assert client.call_tool("bad_output").structured_content == {"sum": "not a number"}


def test_handlers_may_call_back_into_the_client(connect):
    holder = {}

    def handler(params):
        total = holder["client"].call_tool("add", {"a": 40, "b": 2}).structured_content["sum"]
        return {"role": "assistant", "content": {"type": "text", "text": str(total)}, "model": "m"}

    client = connect(sampling=handler)
    holder["client"] = client
    assert ask(client, "sample", SAMPLE_REQUEST)["result"]["content"]["text"] == "42"


def test_a_done_callback_may_make_a_blocking_call(connect):
    client = connect()
    out = Recorder()
    future = client.nowait.call_tool("add", {"a": 1, "b": 2})
    future.add_done_callback(
        lambda f: out(f.result().structured_content["sum"] + client.call_tool("add", {"a": 10, "b": 20})
                      .structured_content["sum"]))
    assert out.wait(1) == [33]
