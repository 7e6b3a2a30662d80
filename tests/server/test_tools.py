"""Tools: registration, schemas, argument validation, results, errors (in memory)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal, TypedDict

import pytest

from mcp_sync import McpError, Server
from mcp_sync.server import Field, content
from mcp_sync.types import CallToolResult, ImageContent, TextContent
from tests.server.support import connected


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Stats(TypedDict):
    count: int
    mean: float


def make_server(**options: Any) -> Server:
    server = Server("tools-test", "1.0", **options)

    @server.tool()
    def add(a: int, b: int = 2) -> int:
        """Add two numbers.

        Args:
            a: The first number.
            b: The second number.
        """
        return a + b

    @server.tool()
    def echo(text: Annotated[str, Field(min_length=1, description="What to say")]) -> str:
        "Echo the text."
        return text

    @server.tool()
    def point(x: int, y: int) -> Point:
        "A point."
        return Point(x, y)

    @server.tool()
    def stats(values: list[float]) -> Stats:
        "Count and mean."
        return {"count": len(values), "mean": sum(values) / len(values)}

    @server.tool()
    def nothing():
        "Returns None."

    @server.tool()
    def untyped_dict():
        "A dict without annotation: sent as JSON text."
        return {"a": 1}

    @server.tool()
    def picture():
        "One image block."
        return content.image(b"\x89PNG", "image/png")

    @server.tool()
    def mixed():
        "Several blocks, some as mcp_sync.types instances."
        return [TextContent(text="one"), content.text("two"), ImageContent(data="AAAA", mime_type="image/png")]

    @server.tool()
    def whole_result():
        "A full CallToolResult passes through."
        return CallToolResult(content=[TextContent(text="custom")], is_error=True)

    @server.tool()
    def whole_result_dict():
        "A full CallToolResult dict passes through."
        return {"content": [{"type": "text", "text": "raw"}], "structuredContent": {"k": 1}}

    @server.tool()
    def fails(kind: Literal["value", "mcp", "key"] = "value") -> str:
        "Raises."
        if kind == "mcp":
            raise McpError(-32099, "custom protocol error", {"why": "test"})
        if kind == "key":
            raise KeyError("missing")
        raise ValueError("bad things happened")

    @server.tool(output_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    def lies() -> Any:
        "Its result does not match its declared outputSchema."
        return {"n": "not a number"}

    return server


@pytest.fixture
def client():
    with connected(make_server()) as client:
        yield client


def raw_tools(client) -> dict[str, dict]:
    return {t["name"]: t for t in client.request("tools/list", {})["tools"]}


def test_schemas_and_descriptions_come_from_the_signature(client):
    tools = raw_tools(client)
    add = tools["add"]
    assert add["description"] == "Add two numbers."
    assert add["inputSchema"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "integer", "description": "The first number."},
                       "b": {"type": "integer", "default": 2, "description": "The second number."}},
        "required": ["a"],
    }
    assert add["outputSchema"] == {"type": "object", "properties": {"result": {"type": "integer"}},
                                   "required": ["result"]}
    assert tools["echo"]["inputSchema"]["properties"]["text"] == {"type": "string", "minLength": 1,
                                                                  "description": "What to say"}
    assert tools["nothing"]["inputSchema"] == {"type": "object", "additionalProperties": False}
    assert "outputSchema" not in tools["nothing"] and "outputSchema" not in tools["picture"]
    assert tools["point"]["outputSchema"]["properties"] == {"x": {"type": "integer"}, "y": {"type": "integer"}}


def test_structured_results_carry_the_json_text_too(client):
    result = client.request("tools/call", {"name": "add", "arguments": {"a": 40}})
    assert result == {"content": [{"type": "text", "text": '{"result":42}'}], "structuredContent": {"result": 42}}
    point = client.request("tools/call", {"name": "point", "arguments": {"x": 1, "y": 2}})
    assert point["structuredContent"] == {"x": 1, "y": 2}
    stats = client.call_tool("stats", {"values": [1, 2, 3]})
    assert stats.structured_content == {"count": 3, "mean": 2.0} and not stats.is_error


def test_plain_values_become_text(client):
    assert client.request("tools/call", {"name": "echo", "arguments": {"text": "hi"}}) == {
        "content": [{"type": "text", "text": "hi"}], "structuredContent": {"result": "hi"}}
    assert client.request("tools/call", {"name": "nothing"}) == {"content": []}
    assert client.request("tools/call", {"name": "untyped_dict"}) == {
        "content": [{"type": "text", "text": '{"a":1}'}]}


def test_content_and_whole_results_pass_through(client):
    assert client.request("tools/call", {"name": "picture"}) == {
        "content": [{"type": "image", "data": "iVBORw==", "mimeType": "image/png"}]}
    mixed = client.request("tools/call", {"name": "mixed"})["content"]
    assert [b["type"] for b in mixed] == ["text", "text", "image"]
    assert mixed[0] == {"type": "text", "text": "one"}
    assert client.request("tools/call", {"name": "whole_result"}) == {
        "content": [{"type": "text", "text": "custom"}], "isError": True}
    assert client.request("tools/call", {"name": "whole_result_dict"}) == {
        "content": [{"type": "text", "text": "raw"}], "structuredContent": {"k": 1}}


@pytest.mark.parametrize("arguments, expected", [
    ({}, "a: 'a' is a required property"),
    ({"a": "one"}, "a: 'one' is not of type 'integer'"),
    ({"a": 1, "b": 2.5}, "b: 2.5 is not of type 'integer'"),
])
def test_invalid_arguments_are_a_tool_error(client, arguments, expected):
    result = client.request("tools/call", {"name": "add", "arguments": arguments})
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert text.startswith("Invalid arguments for tool 'add': ")
    assert expected.split(": ", 1)[1] in text
    assert client.request("tools/call", {"name": "add", "arguments": {"a": 1}})["structuredContent"] == {"result": 3}


def test_field_constraints_are_enforced(client):
    result = client.request("tools/call", {"name": "echo", "arguments": {"text": ""}})
    assert result["isError"] is True and "should be non-empty" in result["content"][0]["text"]


def test_unknown_tool_is_invalid_params_and_the_session_goes_on(client):
    with pytest.raises(McpError) as info:
        client.request("tools/call", {"name": "nope", "arguments": {}})
    assert info.value.code == -32602 and info.value.message == "Unknown tool: nope"
    with pytest.raises(McpError) as info:
        client.request("tools/call", {"name": "add", "arguments": [1, 2]})
    assert info.value.code == -32602
    with pytest.raises(McpError) as info:
        client.request("tools/call", {"arguments": {}})
    assert info.value.code == -32602
    assert client.call_tool("add", {"a": 1}).structured_content == {"result": 3}


def test_handler_exceptions_become_error_results_without_traceback(client):
    result = client.request("tools/call", {"name": "fails", "arguments": {}})
    assert result == {"content": [{"type": "text", "text": "ValueError: bad things happened"}], "isError": True}
    key = client.request("tools/call", {"name": "fails", "arguments": {"kind": "key"}})
    assert key["content"][0]["text"] == "KeyError: 'missing'"
    assert client.call_tool("echo", {"text": "still serving"}).content[0].text == "still serving"


def test_mcp_error_from_a_handler_is_that_json_rpc_error(client):
    with pytest.raises(McpError) as info:
        client.request("tools/call", {"name": "fails", "arguments": {"kind": "mcp"}})
    assert (info.value.code, info.value.message, info.value.data) == (-32099, "custom protocol error", {"why": "test"})


def test_debug_adds_the_traceback():
    with connected(make_server(debug=True)) as client:
        text = client.request("tools/call", {"name": "fails", "arguments": {}})["content"][0]["text"]
    assert text.startswith("ValueError: bad things happened\nTraceback (most recent call last):")
    assert 'raise ValueError("bad things happened")' in text


def test_output_not_matching_the_output_schema_is_a_tool_error(client):
    result = client.request("tools/call", {"name": "lies", "arguments": {}})
    assert result["isError"] is True
    assert "does not match its outputSchema" in result["content"][0]["text"]


def test_hand_written_schemas_are_sent_and_used_exactly():
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}},
              "dependencies": {"n": ["m"]}, "additionalProperties": True}
    server = Server("hand")

    @server.tool(input_schema=schema, output_schema={"type": "object"}, title="Hand", annotations={
        "read_only_hint": True, "openWorldHint": False}, icons=[{"src": "https://example.com/i.png"}],
        meta={"com.example/x": 1})
    def hand(**arguments: Any) -> dict:
        "Hand-written."
        return {"got": arguments}

    with connected(server) as client:
        tool = client.request("tools/list", {})["tools"][0]
        assert tool["inputSchema"] == schema and tool["inputSchema"] is not schema
        assert tool["outputSchema"] == {"type": "object"}
        assert tool["title"] == "Hand" and tool["_meta"] == {"com.example/x": 1}
        assert tool["annotations"] == {"readOnlyHint": True, "openWorldHint": False}
        assert tool["icons"] == [{"src": "https://example.com/i.png"}]
        # draft-07 semantics: exclusiveMinimum is a number, "dependencies" is honoured
        bad = client.request("tools/call", {"name": "hand", "arguments": {"n": 0, "m": 1}})
        assert bad["isError"] and "less than or equal to the minimum of 0" in bad["content"][0]["text"]
        missing = client.request("tools/call", {"name": "hand", "arguments": {"n": 1}})
        assert missing["isError"] and "'m' is a dependency of 'n'" in missing["content"][0]["text"]
        good = client.request("tools/call", {"name": "hand", "arguments": {"n": 1, "m": "x", "extra": True}})
        assert good["structuredContent"] == {"got": {"n": 1, "m": "x", "extra": True}}


def test_registration_errors():
    server = Server("bad")
    with pytest.raises(TypeError, match="unsupported JSON Schema dialect"):
        server.add_tool(lambda: 1, name="x", input_schema={"$schema": "https://example.com/nope", "type": "object"})
    with pytest.raises(TypeError, match="invalid JSON Schema"):
        server.add_tool(lambda: 1, name="y", input_schema={"type": "object", "properties": 3})
    with pytest.raises(ValueError, match="task_support"):
        server.add_tool(lambda: 1, name="z", task_support="sometimes")
    server.add_tool(lambda: 1, name="dup")
    with pytest.raises(ValueError, match="already registered"):
        server.add_tool(lambda: 2, name="dup")
    server.add_tool(lambda: 2, name="dup", replace=True)
    with pytest.raises(KeyError):
        server.remove_tool("never")


def test_task_support_is_emitted_only_where_the_version_has_it():
    server = Server("tasks")
    server.add_tool(lambda: "ok", name="t", description="d", task_support="optional")
    with connected(server) as client:
        assert client.request("tools/list", {})["tools"][0]["execution"] == {"taskSupport": "optional"}
    with connected(server, protocol_version="2025-06-18") as client:
        assert "execution" not in client.request("tools/list", {})["tools"][0]


def test_tools_capability_follows_registration():
    server = Server("caps")
    assert "tools" not in server.capabilities()
    with connected(server) as client:
        with pytest.raises(McpError) as info:
            client.session.call("tools/call", {"name": "x"}, timeout=10)  # raw: the client would refuse
        assert info.value.code == -32601
    server.add_tool(lambda: "x", name="x")
    assert server.capabilities()["tools"] == {"listChanged": True}
    forced = Server("forced", capabilities={"tools": {}})
    assert forced.capabilities()["tools"] == {"listChanged": True}
