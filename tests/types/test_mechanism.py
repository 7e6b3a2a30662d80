"""The conversion mechanism: unknown fields, ``_meta``, UNSET/null, unions, errors."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest

import mcp_sync.types as t
from mcp_sync.types import UNSET, WireFormatError, from_wire, to_wire
from tests.wire_schema import validate


def round_trip(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    original = copy.deepcopy(data)
    out = to_wire(from_wire(cls, data))
    assert data == original, "from_wire must not modify its input"
    return out


# -- unknown fields and _meta ----------------------------------------------------------


def test_unknown_fields_survive_at_every_level() -> None:
    data = {
        "content": [
            {"type": "text", "text": "hi", "futureField": {"a": [1, 2]}},
            {"type": "resource", "resource": {"uri": "u", "text": "t", "encoding": "utf-8"}, "x": None},
        ],
        "isError": False,
        "nextGenerationField": [1, "two", None],
    }
    result = from_wire(t.CallToolResult, data)
    assert result.extra == {"nextGenerationField": [1, "two", None]}
    assert result.content[0].extra == {"futureField": {"a": [1, 2]}}
    assert result.content[1].resource.extra == {"encoding": "utf-8"}
    assert result.content[1].extra == {"x": None}
    assert to_wire(result) == data


def test_unknown_capabilities_and_flags_survive() -> None:
    data = {
        "tools": {"listChanged": True, "streaming": {}},
        "resources": {},
        "io.example/newCapability": {"level": 3},
        "experimental": {"com.example/x": {"deep": {"er": []}}},
    }
    caps = from_wire(t.ServerCapabilities, data)
    assert caps.extra == {"io.example/newCapability": {"level": 3}}
    assert caps.tools.extra == {"streaming": {}}
    assert round_trip(t.ServerCapabilities, data) == data


def test_meta_round_trips_exactly() -> None:
    meta = {
        "progressToken": 0,
        "io.modelcontextprotocol/related-task": {"taskId": "t-1"},
        "com.example/null": None,
        "com.example/list": [{"a": 1.5}, True, "x"],
        "": "empty name is allowed",
    }
    data = {"name": "tool", "arguments": {}, "_meta": meta}
    params = from_wire(t.CallToolRequestParams, data)
    assert params.meta == meta and params.extra == {}
    assert json.dumps(round_trip(t.CallToolRequestParams, data)) == json.dumps(data)


def test_empty_meta_is_kept() -> None:
    assert round_trip(t.NotificationParams, {"_meta": {}}) == {"_meta": {}}
    assert round_trip(t.NotificationParams, {}) == {}


def test_known_field_wins_over_extra_on_output() -> None:
    content = t.TextContent(text="real", extra={"text": "shadow", "other": 1})
    assert to_wire(content) == {"type": "text", "text": "real", "other": 1}


def test_unknown_content_type_round_trips() -> None:
    block = {"type": "video", "uri": "https://example.com/v.mp4", "durationMs": 1200, "_meta": {"a": 1}}
    parsed = from_wire(t.ContentBlock, block)
    assert isinstance(parsed, t.UnknownContent) and parsed.type == "video"
    assert to_wire(parsed) == block
    prompt = {"messages": [{"role": "user", "content": block}]}
    assert round_trip(t.GetPromptResult, prompt) == prompt
    sampling = {"role": "assistant", "content": [block, {"type": "text", "text": "x"}], "model": "m"}
    assert round_trip(t.CreateMessageResult, sampling) == sampling


def test_block_of_another_union_is_kept_as_unknown() -> None:
    """A tool_use block where only ContentBlock is allowed is kept, not mistyped."""
    block = {"type": "tool_use", "id": "1", "name": "f", "input": {}}
    parsed = from_wire(t.ContentBlock, block)
    assert isinstance(parsed, t.UnknownContent)
    assert isinstance(from_wire(t.SamplingContentBlock, block), t.ToolUseContent)
    assert to_wire(parsed) == block


# -- optional, UNSET and null -------------------------------------------------------------


def test_optional_fields_are_omitted_when_none() -> None:
    tool = t.Tool(name="x", input_schema={"type": "object"})
    assert to_wire(tool) == {"name": "x", "inputSchema": {"type": "object"}}
    assert tool.title is None and tool.meta is None and tool.extra == {}


def test_required_nullable_field_is_emitted_as_null() -> None:
    task = t.Task(task_id="t", status="working", created_at="a", last_updated_at="b", ttl=None)
    assert to_wire(task)["ttl"] is None and "ttl" in to_wire(task)
    validate("2025-11-25", "Task", to_wire(task))
    ext = t.ExtTask(task_id="t", status="working", created_at="a", last_updated_at="b", ttl_ms=None)
    assert "ttlMs" in to_wire(ext) and to_wire(ext)["ttlMs"] is None
    with pytest.raises(TypeError):
        t.Task(task_id="t", status="working", created_at="a", last_updated_at="b")  # type: ignore[call-arg]
    with pytest.raises(WireFormatError, match="ttl"):
        from_wire(t.Task, {"taskId": "t", "status": "working", "createdAt": "a", "lastUpdatedAt": "b"})


@pytest.mark.parametrize("value", [None, 0, False, "", [], {}, [1, {"a": None}]])
def test_any_json_structured_content_round_trips_including_null(value: Any) -> None:
    data = {"content": [], "structuredContent": value}
    result = from_wire(t.CallToolResult, data)
    assert result.structured_content == value and result.structured_content is not UNSET
    assert round_trip(t.CallToolResult, data) == data


def test_absent_any_field_stays_absent() -> None:
    result = from_wire(t.CallToolResult, {"content": []})
    assert result.structured_content is UNSET
    assert to_wire(result) == {"content": []}
    error = t.JsonRpcError(code=-1, message="m")
    assert to_wire(error) == {"code": -1, "message": "m"}
    assert to_wire(t.JsonRpcError(code=-1, message="m", data=None)) == {"code": -1, "message": "m", "data": None}


def test_unset_is_a_falsy_singleton() -> None:
    assert not UNSET and repr(UNSET) == "UNSET"
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET
    assert copy.deepcopy(UNSET) is UNSET


# -- capabilities -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (t.ClientCapabilities, {}),
        (t.ClientCapabilities, {"roots": {}, "sampling": {}, "elicitation": {}}),
        (t.ClientCapabilities, {"elicitation": {"form": {}, "url": {}}, "sampling": {"context": {}, "tools": {}}}),
        (t.ClientCapabilities, {"tasks": {"list": {}, "cancel": {}, "requests": {
            "sampling": {"createMessage": {}}, "elicitation": {"create": {}}}}}),
        (t.ClientCapabilities, {"tasks": {"requests": {}}, "extensions": {"io.modelcontextprotocol/tasks": {}}}),
        (t.ServerCapabilities, {"logging": {}, "completions": {}, "prompts": {}, "resources": {}, "tools": {}}),
        (t.ServerCapabilities, {"tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}}),
        (t.ServerCapabilities, {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html"]}}}),
    ],
)
def test_empty_capability_objects_round_trip_as_empty_objects(cls: Any, data: dict[str, Any]) -> None:
    assert round_trip(cls, data) == data


def test_empty_capability_object_means_supported() -> None:
    caps = from_wire(t.ClientCapabilities, {"elicitation": {}, "sampling": {"tools": {}}})
    assert caps.elicitation is not None and caps.elicitation.form is None
    assert caps.sampling.tools == {} and caps.sampling.context is None
    assert caps.roots is None
    built = t.ServerCapabilities(logging={}, tools=t.ToolsCapability())
    assert to_wire(built) == {"logging": {}, "tools": {}}


# -- arbitrary JSON passes through untouched -------------------------------------------------

SCHEMA_TEXT = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                      "required": ["x", "y"], "additionalProperties": false}},
  "properties": {
    "kind": {"enum": ["circle", "polygon"]},
    "center": {"$ref": "#/$defs/point"},
    "points": {"type": "array", "items": {"$ref": "#/$defs/point"}, "minItems": 3},
    "radius": {"type": "number", "exclusiveMinimum": 0, "x-mcp-header": "Radius"},
    "_meta": {"type": "string"}
  },
  "if": {"properties": {"kind": {"const": "circle"}}},
  "then": {"required": ["center", "radius"]},
  "else": {"required": ["points"]},
  "dependentRequired": {"radius": ["center"]},
  "zzz": 1.0,
  "aaa": null
}"""


def test_json_schemas_pass_through_byte_for_byte() -> None:
    schema = json.loads(SCHEMA_TEXT)
    data = {"name": "draw", "inputSchema": schema, "outputSchema": {"type": "array", "items": schema}}
    tool = from_wire(t.Tool, data)
    out = to_wire(tool)
    assert json.dumps(out["inputSchema"]) == json.dumps(schema)
    assert json.dumps(out["outputSchema"]) == json.dumps(data["outputSchema"])
    assert json.dumps(out["inputSchema"]) == json.dumps(json.loads(SCHEMA_TEXT))


def test_arguments_and_metadata_pass_through() -> None:
    args = {"nested": {"list": [1, 2.0, True, None, {"k": "v"}]}, "_meta": "not meta", "type": "object"}
    params = from_wire(t.CallToolRequestParams, {"name": "f", "arguments": args})
    assert params.arguments == args
    assert json.dumps(to_wire(params)["arguments"]) == json.dumps(args)
    form = {"message": "m", "requestedSchema": {"type": "object", "properties": {"a": {"type": "string",
                                                                                      "pattern": "^x"}}}}
    assert round_trip(t.ElicitRequestParams, form) == form


# -- discriminated unions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({"content": []}, t.CallToolResult),
        ({"resultType": "complete", "content": [], "isError": True}, t.CallToolResult),
        ({"resultType": "input_required", "requestState": "s"}, t.InputRequiredResult),
        ({"task": {"taskId": "t", "status": "working", "createdAt": "a", "lastUpdatedAt": "b", "ttl": 5}},
         t.CreateTaskResult),
        ({"resultType": "task", "taskId": "t", "status": "working", "createdAt": "a", "lastUpdatedAt": "b",
          "ttlMs": None}, t.ExtCreateTaskResult),
    ],
)
def test_call_tool_result_shapes(data: dict[str, Any], cls: type) -> None:
    parsed = from_wire(t.AnyCallToolResult, data)
    assert type(parsed) is cls
    assert to_wire(parsed) == data


def test_task_answers_to_server_requests() -> None:
    task = {"task": {"taskId": "t", "status": "working", "createdAt": "a", "lastUpdatedAt": "b", "ttl": None}}
    assert type(from_wire(t.AnyCreateMessageResult, task)) is t.CreateTaskResult
    assert type(from_wire(t.AnyElicitResult, task)) is t.CreateTaskResult
    assert type(from_wire(t.AnyElicitResult, {"action": "decline"})) is t.ElicitResult


def test_unknown_result_type_is_rejected() -> None:
    with pytest.raises(WireFormatError, match="resultType 'stream'"):
        from_wire(t.AnyCallToolResult, {"resultType": "stream", "content": []})
    with pytest.raises(WireFormatError, match="resultType 'task'"):
        from_wire(t.AnyGetPromptResult, {"resultType": "task"})


def test_elicitation_mode_discriminates() -> None:
    assert type(from_wire(t.ElicitRequestParams, {"message": "m", "requestedSchema": {}})) is t.ElicitRequestFormParams
    url = from_wire(t.ElicitRequestParams, {"mode": "url", "message": "m", "url": "https://x", "elicitationId": "e"})
    assert type(url) is t.ElicitRequestURLParams and url.elicitation_id == "e"
    with pytest.raises(WireFormatError, match="unknown elicitation mode 'voice'"):
        from_wire(t.ElicitRequestParams, {"mode": "voice", "message": "m"})


def test_resource_contents_discriminate_by_text_or_blob() -> None:
    assert type(from_wire(t.ResourceContents, {"uri": "u", "text": ""})) is t.TextResourceContents
    assert type(from_wire(t.ResourceContents, {"uri": "u", "blob": ""})) is t.BlobResourceContents
    with pytest.raises(WireFormatError, match="'text' or a 'blob'"):
        from_wire(t.ResourceContents, {"uri": "u"})


def test_unknown_input_request_round_trips() -> None:
    data = {"inputRequests": {"k": {"method": "payments/authorize", "params": {"amount": 3}}},
            "resultType": "input_required"}
    result = from_wire(t.InputRequiredResult, data)
    assert isinstance(result.input_requests["k"], t.UnknownInputRequest)
    assert to_wire(result) == data


def test_detailed_task_requires_its_status_member() -> None:
    base = {"taskId": "t", "createdAt": "a", "lastUpdatedAt": "b", "ttlMs": 1000, "resultType": "complete"}
    with pytest.raises(WireFormatError, match="'failed' task requires 'error'"):
        from_wire(t.ExtGetTaskResult, {**base, "status": "failed"})
    with pytest.raises(ValueError, match="requires 'inputRequests'"):
        t.ExtDetailedTask(task_id="t", status="input_required", created_at="a", last_updated_at="b", ttl_ms=1)
    done = {**base, "status": "completed", "result": {"content": [], "isError": True}}
    task = from_wire(t.ExtGetTaskResult, done)
    assert from_wire(t.CallToolResult, task.result).is_error is True
    assert to_wire(task) == done


# -- bad input ---------------------------------------------------------------------------


def error_of(cls: Any, data: Any) -> WireFormatError:
    with pytest.raises(WireFormatError) as info:
        from_wire(cls, data)
    assert isinstance(info.value, ValueError)
    return info.value


def test_missing_required_field_names_class_and_field() -> None:
    err = error_of(t.CallToolResult, {"content": [{"type": "text"}]})
    assert err.type_name == "CallToolResult"
    assert err.path == "content[0].text"
    assert "required field is missing" in str(err) and "TextContent.text" in str(err)
    assert not isinstance(err, KeyError) and not isinstance(err.__cause__, WireFormatError)


def test_wrong_types_are_reported_not_coerced() -> None:
    err = error_of(t.Tool, {"name": 5, "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": "yes"}})
    paths = [path for path, _ in err.problems]
    assert paths == ["name", "annotations.readOnlyHint"]
    assert "expected a string, got number" in str(err)
    assert "expected a boolean, got string" in str(err)
    assert error_of(t.ProgressNotificationParams, {"progressToken": True, "progress": 1}).path == "progressToken"
    assert error_of(t.Completion, {"values": [], "total": 1.5}).path == "total"
    assert from_wire(t.Completion, {"values": [], "total": 2.0}).total == 2


def test_wrong_container_types_are_reported() -> None:
    assert "expected an array, got object" in str(error_of(t.CallToolResult, {"content": {}}))
    assert "expected a JSON object" in str(error_of(t.CallToolRequestParams, {"name": "f", "arguments": []}))
    err = error_of(t.InputRequiredResult, {"inputRequests": {"a b": {"method": "roots/list", "params": 3}}})
    assert err.path == "inputRequests['a b'].params"


def test_bad_literal_value() -> None:
    err = error_of(t.LoggingMessageNotificationParams, {"level": "verbose", "data": 1})
    assert err.path == "level" and "'verbose'" in str(err)


def test_not_an_object() -> None:
    assert "expected a JSON object (Tool), got array" in str(error_of(t.Tool, []))
    assert "got null" in str(error_of(t.ContentBlock, None))
    assert error_of(t.ContentBlock, {"text": "no type"}).path == "type"
    assert error_of(t.ContentBlock, {"type": {"nested": 1}}).path == "type"  # unhashable tag


def test_wire_format_error_is_picklable() -> None:
    err = error_of(t.Root, {})
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.problems == err.problems


def test_to_wire_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="wire type instance"):
        to_wire({"type": "text"})  # type: ignore[arg-type]


# -- misc ---------------------------------------------------------------------------------


def test_warm_up_builds_every_hook() -> None:
    t.warm_up()


def test_every_exported_wire_class_round_trips_from_its_field_names() -> None:
    """Wire names are camelCase with ``_meta``; every exported class converts both ways."""
    for name in t.__all__:
        cls = getattr(t, name)
        if isinstance(cls, type) and issubclass(cls, t.WireType) and cls is not t.WireType:
            names = t.wire_names(cls)
            assert all(key == "_meta" or ("_" not in key and key[:1].islower()) for key in names.values()), cls
            assert set(names) | {"extra"} == set(cls.__slots__) | _inherited_slots(cls)


def _inherited_slots(cls: type) -> set[str]:
    return {slot for base in cls.__mro__[1:] for slot in getattr(base, "__slots__", ())} - {"__weakref__"}


def test_repr_shows_only_what_is_set() -> None:
    assert repr(t.TextContent(text="hi")) == "TextContent(text='hi')"
    assert repr(t.Root(uri="file:///", extra={"x": 1})) == "Root(uri='file:///', extra={'x': 1})"


def test_objects_compare_by_value() -> None:
    data = {"name": "a", "inputSchema": {"type": "object"}, "x": 1}
    assert from_wire(t.Tool, data) == from_wire(t.Tool, dict(data))
    assert from_wire(t.Tool, data) != from_wire(t.Tool, {**data, "x": 2})
    fields = {"taskId": "t", "status": "working", "createdAt": "a", "lastUpdatedAt": "b", "ttl": 1}
    assert from_wire(t.GetTaskResult, fields) != from_wire(t.CancelTaskResult, fields)  # class matters
    with pytest.raises(TypeError):
        hash(from_wire(t.Root, {"uri": "u"}))  # mutable: compared by value, not hashable
