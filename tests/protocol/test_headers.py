"""Streamable HTTP 2026-07-28 request headers (mcp_sync.protocol.headers)."""

from __future__ import annotations

import pytest

from mcp_sync.protocol import headers as h
from mcp_sync.protocol.modern import META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION, RejectedRequest
from tests.wire_schema import validate

V = "2026-07-28"
META = {META_PROTOCOL_VERSION: V, META_CLIENT_CAPABILITIES: {}}


# --------------------------------------------------------------------------- encoding


@pytest.mark.parametrize("value, encoded", [
    # the spec's own table
    ("us-west1", "us-west1"),
    ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
    (" padded ", "=?base64?IHBhZGRlZCA=?="),
    ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
    ("=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="),
    # primitives
    (42, "42"), (-7, "-7"), (0, "0"), (True, "true"), (False, "false"), (42.0, "42"),
    # edge cases from the conformance client scenario
    ("", ""),
    ("test-method", "test-method"),
    ("us west 1", "us west 1"),
    ("SELECT * FROM users", "SELECT * FROM users"),
    (" us-west1", "=?base64?IHVzLXdlc3Qx?="),
    ("us-west1 ", "=?base64?dXMtd2VzdDEg?="),
    ("line1\r\nline2", "=?base64?bGluZTENCmxpbmUy?="),
    ("\tindented", "=?base64?CWluZGVudGVk?="),
    ("a\tb", "=?base64?YQli?="),
    ("caf\u00e9", "=?base64?Y2Fmw6k=?="),
    ("\x7f", "=?base64?fw==?="),
    ("=?base64?", "=?base64?"),          # prefix only: literal
    ("=?base64?=", "=?base64?PT9iYXNlNjQ/PQ==?="),  # overlapping prefix/suffix: encode to be safe
    ("?=", "?="),
])
def test_encode_header_value(value, encoded):
    assert h.encode_header_value(value) == encoded


@pytest.mark.parametrize("value", [
    "us-west1", "Hello, 世界", " padded ", "line1\r\nline2", "\tindented", "=?base64?literal?=", "", "x" * 500,
    "emoji 🎉", "=?base64?SGVsbG8=",
])
def test_encode_decode_round_trip(value):
    assert h.decode_header_value(h.encode_header_value(value)) == value


@pytest.mark.parametrize("value", [1.5, None, {"a": 1}, [1], b"bytes"])
def test_unmirrorable_values(value):
    with pytest.raises(ValueError):
        h.encode_header_value(value)


@pytest.mark.parametrize("raw, decoded", [
    ("=?base64?SGVsbG8=?=", "Hello"),
    ("SGVsbG8=", "SGVsbG8="),                     # no prefix: literal
    ("=?base64?SGVsbG8=", "=?base64?SGVsbG8="),   # no suffix: literal
    ("  spaced  ", "spaced"),                      # OWS dropped
    ("\t=?base64?SGVsbG8=?= ", "Hello"),
    ("=?base64??=", ""),
    ("a\tb", "a\tb"),
])
def test_decode_header_value(raw, decoded):
    assert h.decode_header_value(raw) == decoded


@pytest.mark.parametrize("raw", [
    "=?base64?SGVsbG8?=",          # missing padding (conformance: MUST reject)
    "=?base64?SGVs!!!bG8=?=",      # foreign characters (conformance: MUST reject)
    "=?base64?SGVsbG8==?=",        # too much padding
    "=?base64?SGVsbG9=?=",         # non-canonical trailing bits
    "=?base64?SGVs bG8=?=",
    "=?base64?SGVsbG8_?=",         # url-safe alphabet is not the spec's base64
    "=?base64?/w==?=",             # not UTF-8
    "caf\u00e9",                   # raw non-ASCII
    "a\x00b",
    "a\nb",
])
def test_decode_rejects(raw):
    with pytest.raises(ValueError):
        h.decode_header_value(raw)


# --------------------------------------------------------------------------- x-mcp-header validation

VALID_TOOL = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "priority": {"type": "integer", "x-mcp-header": "Priority"},
        "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
        "nested": {"type": "object", "properties": {"tenant": {"type": "string", "x-mcp-header": "Tenant"}}},
        "nullable": {"type": ["string", "null"], "x-mcp-header": "Nullable"},
        "odd": {"type": "string", "x-mcp-header": "a!#$%&'*+-.^_`|~9"},
        "query": {"type": "string"},
        "float_val": {"type": "number"},
        "properties": {"type": "string", "x-mcp-header": "PropNamedProperties"},
        "x-mcp-header": {"type": "string"},  # a property *named* x-mcp-header is no annotation
        "choice": {"enum": [{"x-mcp-header": "NotASchema"}]},
    },
    "required": ["region"],
}


def test_valid_schema_has_no_problems():
    assert h.validate_x_mcp_header_schema(VALID_TOOL) == []
    names = {p.name: p.path for p in h.header_params(VALID_TOOL)}
    assert names == {"Region": ("region",), "Priority": ("priority",), "Verbose": ("verbose",),
                     "Tenant": ("nested", "tenant"), "Nullable": ("nullable",),
                     "a!#$%&'*+-.^_`|~9": ("odd",), "PropNamedProperties": ("properties",)}


def test_schema_without_annotations_is_valid():
    assert h.validate_x_mcp_header_schema({"type": "object"}) == []
    ref_schema = {  # the json-schema-ref-no-deref fixture: $ref is neither followed nor a problem
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "$defs": {"userId": {"type": "string", "pattern": "^[a-z0-9-]+$"}},
        "properties": {"id": {"$ref": "#/$defs/userId"},
                       "profile": {"$ref": "http://localhost:1/canary/profile-schema.json"}},
        "required": ["id"],
    }
    assert h.validate_x_mcp_header_schema(ref_schema) == []


def _tool(prop_schemas: dict) -> dict:
    return {"type": "object", "properties": prop_schemas}


# the invalid tools of the http-invalid-tool-headers scenario, plus spec rules it does not cover
INVALID = {
    "invalid_empty_header": _tool({"value": {"type": "string", "x-mcp-header": ""}}),
    "invalid_object_header": _tool({"data": {"type": "object", "x-mcp-header": "Data"}}),
    "invalid_array_header": _tool({"items": {"type": "array", "items": {"type": "string"}, "x-mcp-header": "Items"}}),
    "invalid_null_header": _tool({"nil": {"type": "null", "x-mcp-header": "Nil"}}),
    "invalid_duplicate_same_case": _tool({"field1": {"type": "string", "x-mcp-header": "Region"},
                                          "field2": {"type": "string", "x-mcp-header": "Region"}}),
    "invalid_duplicate_diff_case": _tool({"field1": {"type": "string", "x-mcp-header": "MyField"},
                                          "field2": {"type": "string", "x-mcp-header": "myfield"}}),
    "invalid_space_in_name": _tool({"value": {"type": "string", "x-mcp-header": "My Region"}}),
    "invalid_colon_in_name": _tool({"value": {"type": "string", "x-mcp-header": "Region:Primary"}}),
    "invalid_non_ascii_name": _tool({"value": {"type": "string", "x-mcp-header": "Région"}}),
    "invalid_control_char_name": _tool({"value": {"type": "string", "x-mcp-header": "Region\t1"}}),
    "crlf_name": _tool({"value": {"type": "string", "x-mcp-header": "Region\r\n"}}),
    "number_type": _tool({"value": {"type": "number", "x-mcp-header": "Num"}}),
    "no_type": _tool({"value": {"x-mcp-header": "NoType"}}),
    "mixed_types": _tool({"value": {"type": ["string", "object"], "x-mcp-header": "Mixed"}}),
    "only_null_list": _tool({"value": {"type": ["null"], "x-mcp-header": "N"}}),
    "non_string_name": _tool({"value": {"type": "string", "x-mcp-header": 7}}),
    "via_items": _tool({"list": {"type": "array", "items": {"type": "string", "x-mcp-header": "Item"}}}),
    "via_prefix_items": _tool({"list": {"type": "array", "prefixItems": [{"type": "string", "x-mcp-header": "P"}]}}),
    "via_anyof": {"type": "object", "anyOf": [{"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}]},
    "via_allof_in_property": _tool({"a": {"allOf": [{"type": "string", "x-mcp-header": "A"}]}}),
    "via_oneof": {"type": "object", "oneOf": [{"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}]},
    "via_not": {"type": "object", "not": {"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}},
    "via_if": {"type": "object", "if": {"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}},
    "via_then": {"type": "object", "then": {"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}},
    "via_else": {"type": "object", "else": {"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}},
    "via_defs": {"type": "object", "$defs": {"d": {"type": "string", "x-mcp-header": "D"}},
                 "properties": {"a": {"$ref": "#/$defs/d"}}},
    "via_additional": {"type": "object", "additionalProperties": {"type": "string", "x-mcp-header": "Add"}},
    "via_pattern": {"type": "object", "patternProperties": {"^a": {"type": "string", "x-mcp-header": "Pat"}}},
    "on_root": {"type": "object", "x-mcp-header": "Root"},
    "nested_in_items_object": _tool({"list": {"type": "array", "items": {
        "type": "object", "properties": {"b": {"type": "string", "x-mcp-header": "B"}}}}}),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_annotations_are_reported(name):
    problems = h.validate_x_mcp_header_schema(INVALID[name])
    assert problems, name
    assert all(isinstance(p, str) and p for p in problems)


def test_unreachable_annotations_are_not_used_for_headers():
    assert h.header_params(INVALID["via_items"]) == []
    assert h.header_params(INVALID["via_anyof"]) == []
    assert h.param_headers(INVALID["via_items"], {"list": ["a"]}) == {}


def test_non_object_schema():
    assert h.validate_x_mcp_header_schema(None) == ["inputSchema is not an object"]


# --------------------------------------------------------------------------- client headers


def test_standard_headers_per_method():
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_weather", "arguments": {}, "_meta": META}}
    assert h.standard_headers(call) == {"MCP-Protocol-Version": V, "Mcp-Method": "tools/call",
                                        "Mcp-Name": "get_weather"}
    prompt = {"jsonrpc": "2.0", "id": 2, "method": "prompts/get", "params": {"name": "p", "_meta": META}}
    assert h.standard_headers(prompt)["Mcp-Name"] == "p"
    read = {"jsonrpc": "2.0", "id": 3, "method": "resources/read",
            "params": {"uri": "file:///path/to/file%20name.txt", "_meta": META}}
    assert h.standard_headers(read)["Mcp-Name"] == "file:///path/to/file%20name.txt"
    listing = {"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {"_meta": META}}
    assert h.standard_headers(listing) == {"MCP-Protocol-Version": V, "Mcp-Method": "tools/list"}
    for method in ("tasks/get", "tasks/update", "tasks/cancel"):
        msg = {"jsonrpc": "2.0", "id": 5, "method": method, "params": {"taskId": "t-1", "_meta": META}}
        assert h.standard_headers(msg)["Mcp-Name"] == "t-1"


def test_standard_headers_encode_unsafe_names_and_fallback_version():
    msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "météo"}}
    assert h.standard_headers(msg, "2025-11-25") == {
        "MCP-Protocol-Version": "2025-11-25", "Mcp-Method": "tools/call", "Mcp-Name": "=?base64?bcOpdMOpbw==?="}
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert h.standard_headers(note) == {"Mcp-Method": "notifications/initialized"}


CONFORMANCE_TOOL = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "priority": {"type": "integer", "x-mcp-header": "Priority"},
        "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
        "debug": {"type": "boolean", "x-mcp-header": "Debug"},
        "empty_val": {"type": "string", "x-mcp-header": "EmptyVal"},
        "method_val": {"type": "string", "x-mcp-header": "Method"},
        "float_val": {"type": "number"},
        "non_ascii_val": {"type": "string", "x-mcp-header": "NonAscii"},
        "whitespace_val": {"type": "string", "x-mcp-header": "Whitespace"},
        "leading_space_val": {"type": "string", "x-mcp-header": "LeadingSpace"},
        "trailing_space_val": {"type": "string", "x-mcp-header": "TrailingSpace"},
        "internal_space_val": {"type": "string", "x-mcp-header": "InternalSpace"},
        "control_char_val": {"type": "string", "x-mcp-header": "ControlChar"},
        "crlf_val": {"type": "string", "x-mcp-header": "CrLf"},
        "tab_val": {"type": "string", "x-mcp-header": "Tab"},
        "query": {"type": "string"},
    },
    "required": ["region", "priority", "query"],
}


def test_param_headers_for_the_conformance_arguments():
    args = {"region": "us-west1", "priority": 42, "verbose": False, "debug": True, "empty_val": "",
            "method_val": "test-method", "float_val": 3.14159, "non_ascii_val": "Hello, 世界",
            "whitespace_val": " padded ", "leading_space_val": " us-west1", "trailing_space_val": "us-west1 ",
            "internal_space_val": "us west 1", "control_char_val": "line1\nline2", "crlf_val": "line1\r\nline2",
            "tab_val": "\tindented", "query": "SELECT * FROM users"}
    assert h.validate_x_mcp_header_schema(CONFORMANCE_TOOL) == []
    assert h.param_headers(CONFORMANCE_TOOL, args) == {
        "Mcp-Param-Region": "us-west1",
        "Mcp-Param-Priority": "42",
        "Mcp-Param-Verbose": "false",
        "Mcp-Param-Debug": "true",
        "Mcp-Param-EmptyVal": "",                # empty is still sent
        "Mcp-Param-Method": "test-method",       # Mcp-Param-Method, never Mcp-Method
        "Mcp-Param-NonAscii": "=?base64?SGVsbG8sIOS4lueVjA==?=",
        "Mcp-Param-Whitespace": "=?base64?IHBhZGRlZCA=?=",
        "Mcp-Param-LeadingSpace": "=?base64?IHVzLXdlc3Qx?=",
        "Mcp-Param-TrailingSpace": "=?base64?dXMtd2VzdDEg?=",
        "Mcp-Param-InternalSpace": "us west 1",
        "Mcp-Param-ControlChar": "=?base64?bGluZTEKbGluZTI=?=",
        "Mcp-Param-CrLf": "=?base64?bGluZTENCmxpbmUy?=",
        "Mcp-Param-Tab": "=?base64?CWluZGVudGVk?=",
    }


def test_param_headers_omit_null_and_absent():
    args = {"region": "us-east1", "priority": 1, "verbose": None, "query": "SELECT 1"}
    assert h.param_headers(CONFORMANCE_TOOL, args) == {"Mcp-Param-Region": "us-east1", "Mcp-Param-Priority": "1"}
    assert h.param_headers(CONFORMANCE_TOOL, None) == {}


def test_param_headers_nested_path():
    assert h.param_headers(VALID_TOOL, {"nested": {"tenant": "acme"}}) == {"Mcp-Param-Tenant": "acme"}
    assert h.param_headers(VALID_TOOL, {"nested": "not-an-object"}) == {}


@pytest.mark.parametrize("value", [2**53, -(2**53), {"a": 1}, [1], 1.5])
def test_param_headers_refuse_unmirrorable(value):
    with pytest.raises(ValueError):
        h.param_headers(CONFORMANCE_TOOL, {"priority": value})


def test_param_headers_accept_safe_integer_bounds():
    assert h.param_headers(CONFORMANCE_TOOL, {"priority": 2**53 - 1}) == {"Mcp-Param-Priority": str(2**53 - 1)}
    assert h.param_headers(CONFORMANCE_TOOL, {"priority": -(2**53 - 1)}) == {"Mcp-Param-Priority": str(-(2**53 - 1))}


# --------------------------------------------------------------------------- server checks

X_TOOL = {  # a server fixture like test_x_mcp_header
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "count": {"type": "integer", "x-mcp-header": "Count"},
        "flag": {"type": "boolean", "x-mcp-header": "Flag"},
        "note": {"type": "string"},
    },
    "required": ["region"],
}
TOOLS = {"test_x_mcp_header": X_TOOL, "test_simple_text": {"type": "object"}}


def call(arguments=None, name="test_x_mcp_header", meta=META, id_=201):
    params = {"name": name, "arguments": arguments if arguments is not None else {}}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params}


def std(msg, **extra):
    headers = h.standard_headers(msg)
    headers.update(extra)
    return headers


def rejected(headers, msg, lookup=TOOLS) -> RejectedRequest:
    with pytest.raises(RejectedRequest) as info:
        h.check_request_headers(headers, msg, lookup)
    err = info.value
    assert err.code == -32020 and err.http_status == 400
    validate(V, "HeaderMismatchError", {"jsonrpc": "2.0", "id": msg.get("id", 0), "error": err.to_error()})
    return err


def test_conformant_request_passes():
    msg = call({"region": "us-west1", "count": 3, "flag": True})
    h.check_request_headers(std(msg, **h.param_headers(X_TOOL, msg["params"]["arguments"])), msg, TOOLS)


# http-header-validation: standard headers
LIST = {"jsonrpc": "2.0", "id": 100, "method": "tools/list", "params": {"_meta": META}}


def test_mismatched_method_header():
    err = rejected({"MCP-Protocol-Version": V, "Mcp-Method": "prompts/list"}, LIST)
    assert err.data == {"header": "Mcp-Method"}


def test_missing_method_header():
    rejected({"MCP-Protocol-Version": V}, LIST)


def test_method_value_is_case_sensitive():
    rejected({"MCP-Protocol-Version": V, "Mcp-Method": "TOOLS/LIST"}, LIST)


@pytest.mark.parametrize("name", ["mcp-method", "MCP-METHOD", "Mcp-Method", "mCp-MeThOd"])
def test_header_names_are_case_insensitive(name):
    h.check_request_headers({"mcp-protocol-version": V, name: "tools/list"}, LIST)


def test_headers_as_pairs():
    h.check_request_headers([("MCP-Protocol-Version", V), ("Mcp-Method", "tools/list")], LIST)


def test_mismatched_name_header():
    msg = call(name="test_simple_text")
    err = rejected(std(msg, **{"Mcp-Name": "wrong_tool_name"}), msg)
    assert err.data == {"header": "Mcp-Name"}


def test_whitespace_around_name_is_accepted():
    msg = call(name="test_simple_text")
    h.check_request_headers(std(msg, **{"Mcp-Name": "  test_simple_text  "}), msg, TOOLS)


def test_missing_name_header():
    msg = call(name="test_simple_text")
    rejected({"MCP-Protocol-Version": V, "Mcp-Method": "tools/call"}, msg)


def test_base64_name_is_decoded():
    msg = call(name="météo")
    h.check_request_headers({"MCP-Protocol-Version": V, "Mcp-Method": "tools/call",
                             "Mcp-Name": "=?base64?bcOpdMOpbw==?="}, msg, {})
    rejected({"MCP-Protocol-Version": V, "Mcp-Method": "tools/call", "Mcp-Name": "=?base64?bcOpdMOpbw?="}, msg, {})


def test_name_for_resources_and_prompts():
    read = {"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": "test://static-text",
                                                                               "_meta": META}}
    h.check_request_headers(std(read), read)
    rejected(std(read, **{"Mcp-Name": "test://other"}), read)
    prompt = {"jsonrpc": "2.0", "id": 1, "method": "prompts/get", "params": {"name": "p", "_meta": META}}
    rejected({"MCP-Protocol-Version": V, "Mcp-Method": "prompts/get"}, prompt)


def test_body_without_name_source_is_left_to_param_validation():
    msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"_meta": META}}
    h.check_request_headers({"MCP-Protocol-Version": V, "Mcp-Method": "tools/call"}, msg, TOOLS)


# server-stateless: protocol version header
def test_version_header_must_match_meta():
    msg = {"jsonrpc": "2.0", "id": 302, "method": "server/discover",
           "params": {"_meta": {**META, META_PROTOCOL_VERSION: "v999.0.0"}}}
    err = rejected({"MCP-Protocol-Version": V, "Mcp-Method": "server/discover"}, msg)
    assert err.data == {"header": "MCP-Protocol-Version"}


def test_missing_version_header():
    rejected({"Mcp-Method": "tools/list"}, LIST)


def test_missing_meta_is_not_a_header_error():
    # the server-stateless missing-_meta probes must get -32602 from read_request_meta, not -32020
    msg = {"jsonrpc": "2.0", "id": 101, "method": "server/discover", "params": {}}
    h.check_request_headers({"MCP-Protocol-Version": V, "Mcp-Method": "server/discover"}, msg)
    with pytest.raises(RejectedRequest) as info:
        h.validate_modern_http_request({"MCP-Protocol-Version": V, "Mcp-Method": "server/discover"}, msg)
    assert (info.value.code, info.value.http_status) == (-32602, 400)


def test_unsupported_version_in_both_places_is_32022():
    v999 = {**META, META_PROTOCOL_VERSION: "v999.0.0"}
    msg = {"jsonrpc": "2.0", "id": 301, "method": "server/discover", "params": {"_meta": v999}}
    with pytest.raises(RejectedRequest) as info:
        h.validate_modern_http_request({"MCP-Protocol-Version": "v999.0.0", "Mcp-Method": "server/discover"},
                                       msg, ["2026-07-28"])
    assert info.value.code == -32022
    assert info.value.data == {"supported": ["2026-07-28"], "requested": "v999.0.0"}


def test_validate_modern_http_request_returns_meta():
    rm = h.validate_modern_http_request(std(LIST), LIST)
    assert rm.protocol_version == V and rm.client_capabilities == {}


def test_notifications_need_no_method_header_but_it_must_match():
    note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1, "_meta": META}}
    h.check_request_headers({"MCP-Protocol-Version": V}, note)
    rejected({"MCP-Protocol-Version": V, "Mcp-Method": "notifications/progress"}, note)


# http-custom-header-server-validation: Mcp-Param-*
def param_case(header_value, body_value="Hello"):
    msg = call({"region": body_value})
    return std(msg, **{"Mcp-Param-Region": header_value}), msg


def test_valid_base64_param_accepted():
    headers, msg = param_case("=?base64?SGVsbG8=?=")
    h.check_request_headers(headers, msg, TOOLS)


@pytest.mark.parametrize("bad", ["=?base64?SGVsbG8?=", "=?base64?SGVs!!!bG8=?="])
def test_invalid_base64_param_rejected(bad):
    headers, msg = param_case(bad)
    err = rejected(headers, msg)
    assert err.data == {"header": "Mcp-Param-Region"}


def test_values_without_full_sentinel_are_literal():
    h.check_request_headers(*param_case("SGVsbG8=", "SGVsbG8="), TOOLS)
    h.check_request_headers(*param_case("=?base64?SGVsbG8=", "=?base64?SGVsbG8="), TOOLS)


def test_missing_param_header_with_value_in_body_rejected():
    msg = call({"region": "test-value"})
    rejected(std(msg), msg)


def test_param_header_mismatch_rejected():
    rejected(*param_case("Goodbye"))


def test_param_header_name_is_case_insensitive_and_value_trimmed():
    msg = call({"region": "Hello"})
    h.check_request_headers(std(msg, **{"mcp-param-region": "  Hello "}), msg, TOOLS)


def test_param_header_invalid_characters_rejected():
    rejected(*param_case("caf\u00e9", "caf\u00e9"))
    rejected(*param_case("a\x01b", "a\x01b"))


def test_null_or_absent_argument_expects_no_header():
    msg = call({"region": "x", "count": None})
    h.check_request_headers(std(msg, **{"Mcp-Param-Region": "x"}), msg, TOOLS)
    rejected(std(msg, **{"Mcp-Param-Region": "x", "Mcp-Param-Count": "1"}), msg)
    msg2 = call({"region": "x"})
    rejected(std(msg2, **{"Mcp-Param-Region": "x", "Mcp-Param-Flag": "true"}), msg2)


@pytest.mark.parametrize("header, body, ok", [
    ("42", 42, True), ("42.0", 42, True), ("042", 42, True), ("4.2e1", 42, True), ("43", 42, False),
    ("forty-two", 42, False), ("NaN", 42, False), ("Infinity", 42, False), ("42", 42.0, True),
    ("-7", -7, True), ("9007199254740991", 2**53 - 1, True), ("9007199254740992", 2**53, False),
])
def test_integers_compare_numerically(header, body, ok):
    msg = call({"region": "r", "count": body})
    headers = std(msg, **{"Mcp-Param-Region": "r", "Mcp-Param-Count": header})
    if ok:
        h.check_request_headers(headers, msg, TOOLS)
    else:
        rejected(headers, msg)


@pytest.mark.parametrize("header, body, ok", [
    ("true", True, True), ("false", False, True), ("True", True, False), ("1", True, False),
    ("false", True, False), ("=?base64?dHJ1ZQ==?=", True, True),
])
def test_booleans_compare_exactly(header, body, ok):
    msg = call({"region": "r", "flag": body})
    headers = std(msg, **{"Mcp-Param-Region": "r", "Mcp-Param-Flag": header})
    if ok:
        h.check_request_headers(headers, msg, TOOLS)
    else:
        rejected(headers, msg)


def test_required_params_with_defaults_like_the_harness():
    # the harness fills other required params with 0 / false / "test-default" and mirrors them with String()
    msg = call({"region": "Hello", "count": 0, "flag": False})
    headers = std(msg, **{"Mcp-Param-Region": "=?base64?SGVsbG8=?=", "Mcp-Param-Count": "0",
                          "Mcp-Param-Flag": "false"})
    h.check_request_headers(headers, msg, TOOLS)


def test_unknown_param_headers_are_ignored():
    msg = call({"region": "x"})
    h.check_request_headers(std(msg, **{"Mcp-Param-Region": "x", "Mcp-Param-Unknown": "\u00ff"}), msg, TOOLS)


def test_unknown_tool_or_no_lookup_skips_param_checks():
    msg = call({"region": "x"}, name="nope")
    h.check_request_headers(std(msg), msg, TOOLS)
    msg2 = call({"region": "x"})
    h.check_request_headers(std(msg2), msg2, None)
    h.check_request_headers(std(msg2, **{"Mcp-Param-Region": "x"}), msg2, lambda name: TOOLS.get(name))


def test_client_and_server_agree_on_everything_they_produce():
    args = {"region": " padded é ", "count": -12, "flag": False}
    msg = call(args)
    headers = {**h.standard_headers(msg), **h.param_headers(X_TOOL, args)}
    h.check_request_headers(headers, msg, TOOLS)
