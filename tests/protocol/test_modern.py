"""The 2026-07-28 request/result envelope and MRTR rules (mcp_sync.protocol.modern)."""

from __future__ import annotations

import pickle

import pytest

from mcp_sync.errors import McpError
from mcp_sync.protocol import modern as m
from tests.wire_schema import validate

V = "2026-07-28"
SUPPORTED = ["2026-07-28", "2025-11-25"]


def meta(**over):
    base = {m.META_PROTOCOL_VERSION: V, m.META_CLIENT_CAPABILITIES: {}}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def error_response(exc: McpError, id_=7) -> dict:
    return {"jsonrpc": "2.0", "id": id_, "error": exc.to_error()}


# --------------------------------------------------------------------------- constants


def test_reserved_meta_keys_are_exact():
    assert m.META_PROTOCOL_VERSION == "io.modelcontextprotocol/protocolVersion"
    assert m.META_CLIENT_CAPABILITIES == "io.modelcontextprotocol/clientCapabilities"
    assert m.META_CLIENT_INFO == "io.modelcontextprotocol/clientInfo"
    assert m.META_LOG_LEVEL == "io.modelcontextprotocol/logLevel"
    assert m.META_SERVER_INFO == "io.modelcontextprotocol/serverInfo"
    assert m.META_SUBSCRIPTION_ID == "io.modelcontextprotocol/subscriptionId"
    assert m.META_RELATED_TASK == "io.modelcontextprotocol/related-task"
    assert m.META_MODEL_IMMEDIATE_RESPONSE == "io.modelcontextprotocol/model-immediate-response"


def test_log_levels_match_schema():
    from tests.wire_schema import definitions
    assert set(m.LOG_LEVELS) == set(definitions(V)["LoggingLevel"]["enum"])


def test_mrtr_methods():
    assert m.MRTR_METHODS == {"tools/call", "prompts/get", "resources/read"}
    for method in ("tools/call", "prompts/get", "resources/read"):
        assert m.mrtr_allowed(method)
    for method in ("tools/list", "prompts/list", "server/discover", "completion/complete", "resources/list"):
        assert not m.mrtr_allowed(method)


# --------------------------------------------------------------------------- is_modern / looks_modern


def test_is_modern_request():
    assert m.is_modern_request({"_meta": meta()})
    assert m.is_modern_request({"_meta": {m.META_PROTOCOL_VERSION: "v999.0.0"}})
    assert not m.is_modern_request({"_meta": {"progressToken": 1}})
    assert not m.is_modern_request({})
    assert not m.is_modern_request(None)
    assert not m.is_modern_request({"_meta": "x"})


@pytest.mark.parametrize("method, params, header, expected", [
    ("initialize", {"_meta": meta()}, V, True),  # a modern initialize: removed method, -32601
    ("initialize", {"_meta": meta()}, None, True),
    ("initialize", {}, V, True),
    ("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}}, None, False),
    ("initialize", {"protocolVersion": "2025-11-25", "_meta": {"progressToken": 1}}, "2025-11-25", False),
    ("initialize", {"_meta": {m.META_CLIENT_INFO: {"name": "c", "version": "1"}}}, None, False),
    ("tools/list", {"_meta": meta()}, None, True),
    ("tools/list", {"_meta": {m.META_CLIENT_CAPABILITIES: {}}}, None, True),  # version missing: still modern (-> -32602)
    ("server/discover", {}, None, True),
    ("subscriptions/listen", None, None, True),
    ("tools/list", {}, V, True),
    ("tools/list", {}, " 2026-07-28 ", True),
    ("tools/list", {}, "2025-11-25", False),
    ("tools/list", {"_meta": {"progressToken": 3}}, None, False),
    ("ping", None, None, False),
])
def test_looks_modern(method, params, header, expected):
    assert m.looks_modern(method, params, header_version=header) is expected


# --------------------------------------------------------------------------- read_request_meta


def test_read_request_meta_full():
    params = {"_meta": meta(**{
        m.META_CLIENT_CAPABILITIES: {"elicitation": {"form": {}}, "sampling": {}},
        m.META_CLIENT_INFO: {"name": "c", "version": "1"},
        m.META_LOG_LEVEL: "warning",
        "progressToken": "p7",
        "traceparent": "00-abc-def-01",
    })}
    rm = m.read_request_meta(params, SUPPORTED)
    assert rm.protocol_version == V
    assert rm.client_capabilities == {"elicitation": {"form": {}}, "sampling": {}}
    assert rm.client_info == {"name": "c", "version": "1"}
    assert rm.log_level == "warning"
    assert rm.progress_token == "p7"
    assert rm.raw["traceparent"] == "00-abc-def-01"
    assert rm.has_capability("elicitation", "form")
    assert not rm.has_capability("roots")
    assert rm.logs_at("error") and rm.logs_at("warning") and not rm.logs_at("info")


def test_read_request_meta_client_info_is_optional():
    rm = m.read_request_meta({"_meta": meta()}, SUPPORTED)
    assert rm.client_info is None and rm.log_level is None and rm.progress_token is None
    assert not rm.logs_at("emergency")  # no logLevel: no log notifications at all


def test_read_request_meta_integer_progress_token():
    assert m.read_request_meta({"_meta": meta(progressToken=5)}, SUPPORTED).progress_token == 5


@pytest.mark.parametrize("params", [
    None,
    {},
    {"_meta": None},
    {"_meta": []},
    {"_meta": {m.META_CLIENT_CAPABILITIES: {}, m.META_CLIENT_INFO: {"name": "c", "version": "1"}}},
    {"_meta": {m.META_PROTOCOL_VERSION: V}},
    {"_meta": {m.META_PROTOCOL_VERSION: V, m.META_CLIENT_CAPABILITIES: None}},
    {"_meta": {m.META_PROTOCOL_VERSION: V, m.META_CLIENT_CAPABILITIES: []}},
    {"_meta": {m.META_PROTOCOL_VERSION: 20260728, m.META_CLIENT_CAPABILITIES: {}}},
    {"_meta": meta(**{m.META_CLIENT_INFO: "me"})},
    {"_meta": meta(**{m.META_LOG_LEVEL: "verbose"})},
    {"_meta": meta(progressToken=True)},
    {"_meta": meta(progressToken=1.5)},
])
def test_read_request_meta_invalid_is_32602_http_400(params):
    with pytest.raises(m.RejectedRequest) as info:
        m.read_request_meta(params, SUPPORTED)
    assert info.value.code == -32602
    assert info.value.http_status == 400
    assert m.http_status_for(info.value) == 400
    validate(V, "JSONRPCErrorResponse", error_response(info.value))
    validate(V, "InvalidParamsError", info.value.to_error())


def test_missing_fields_are_listed():
    with pytest.raises(m.RejectedRequest) as info:
        m.read_request_meta({}, SUPPORTED)
    assert info.value.data == {"missing": [m.META_PROTOCOL_VERSION, m.META_CLIENT_CAPABILITIES]}
    with pytest.raises(m.RejectedRequest) as info:
        m.read_request_meta({"_meta": {m.META_PROTOCOL_VERSION: V}}, SUPPORTED)
    assert info.value.data == {"missing": [m.META_CLIENT_CAPABILITIES]}


def test_unsupported_version_is_32022_with_supported_and_requested():
    with pytest.raises(m.RejectedRequest) as info:
        m.read_request_meta({"_meta": meta(**{m.META_PROTOCOL_VERSION: "v999.0.0"})}, SUPPORTED)
    err = info.value
    assert err.code == -32022 and err.http_status == 400
    assert err.data == {"supported": SUPPORTED, "requested": "v999.0.0"}
    validate(V, "UnsupportedProtocolVersionError", error_response(err))


def test_version_checked_before_capabilities():
    # a revision we do not speak may define a different envelope
    with pytest.raises(m.RejectedRequest) as info:
        m.read_request_meta({"_meta": {m.META_PROTOCOL_VERSION: "2099-01-01"}}, SUPPORTED)
    assert info.value.code == -32022


def test_legacy_version_in_meta_is_unsupported_for_modern_only_list():
    with pytest.raises(m.RejectedRequest) as info:
        m.read_request_meta({"_meta": meta(**{m.META_PROTOCOL_VERSION: "2025-11-25"})})
    assert info.value.code == -32022
    assert info.value.data["supported"] == ["2026-07-28"]


def test_request_meta_is_a_copy():
    caps = {"sampling": {}}
    rm = m.read_request_meta({"_meta": meta(**{m.META_CLIENT_CAPABILITIES: caps})}, SUPPORTED)
    caps["roots"] = {}
    assert "roots" not in rm.client_capabilities


# --------------------------------------------------------------------------- build_request_meta


def test_build_request_meta_validates_against_schema():
    built = m.build_request_meta(V, {"elicitation": {"form": {}}}, {"name": "c", "version": "1.0"},
                                 log_level="info", progress_token="t1")
    validate(V, "RequestMetaObject", built)
    assert built == {
        m.META_PROTOCOL_VERSION: V,
        m.META_CLIENT_CAPABILITIES: {"elicitation": {"form": {}}},
        m.META_CLIENT_INFO: {"name": "c", "version": "1.0"},
        m.META_LOG_LEVEL: "info",
        "progressToken": "t1",
    }
    params = m.with_request_meta({"name": "t", "arguments": {}}, built)
    validate(V, "CallToolRequestParams", params)
    assert m.read_request_meta(params, SUPPORTED).client_info == {"name": "c", "version": "1.0"}


def test_build_request_meta_defaults_to_empty_capabilities():
    assert m.build_request_meta(V) == {m.META_PROTOCOL_VERSION: V, m.META_CLIENT_CAPABILITIES: {}}
    with pytest.raises(ValueError):
        m.build_request_meta(V, log_level="loud")


def test_with_request_meta_merges_existing_meta():
    out = m.with_request_meta({"_meta": {"progressToken": 1}, "x": 1}, m.build_request_meta(V))
    assert out["_meta"]["progressToken"] == 1 and out["_meta"][m.META_PROTOCOL_VERSION] == V and out["x"] == 1


# --------------------------------------------------------------------------- results


def test_with_result_type_and_server_info():
    base = {"content": [{"type": "text", "text": "hi"}]}
    result = m.with_server_info(m.with_result_type(base), {"name": "srv", "version": "2.1"})
    assert base == {"content": [{"type": "text", "text": "hi"}]}  # not mutated
    assert result["resultType"] == "complete"
    assert result["_meta"][m.META_SERVER_INFO] == {"name": "srv", "version": "2.1"}
    validate(V, "CallToolResult", result)
    assert m.server_info_of(result) == {"name": "srv", "version": "2.1"}
    assert m.with_result_type({}, "input_required")["resultType"] == "input_required"
    assert m.with_result_type(None, "task") == {"resultType": "task"}
    with pytest.raises(ValueError):
        m.with_result_type({}, "")


def test_with_server_info_keeps_other_meta_and_checks_shape():
    out = m.with_server_info({"_meta": {"x.example/k": 1}}, {"name": "s", "version": "1"})
    assert out["_meta"]["x.example/k"] == 1
    assert m.with_server_info({"a": 1}, None) == {"a": 1}
    with pytest.raises(ValueError):
        m.with_server_info({}, {"name": "s"})


def test_result_type_of_defaults_to_complete():
    assert m.result_type_of({"content": []}) == "complete"
    assert m.result_type_of({"resultType": "input_required"}) == "input_required"
    assert m.result_type_of({"resultType": "task"}) == "task"
    with pytest.raises(McpError):
        m.result_type_of({"resultType": 3})
    with pytest.raises(McpError):
        m.result_type_of(None)


# --------------------------------------------------------------------------- errors


def test_missing_capability_error_shape():
    err = m.missing_capability_error({"sampling": {}})
    assert err.code == -32021 and err.http_status == 400
    assert err.data == {"requiredCapabilities": {"sampling": {}}}
    validate(V, "MissingRequiredClientCapabilityError", error_response(err))
    with pytest.raises(ValueError):
        m.missing_capability_error({})
    with pytest.raises(ValueError):
        m.missing_capability_error(["sampling"])  # an object, never a list


def test_rejected_request_pickles_with_status():
    err = m.method_not_found_error("ping")
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, m.RejectedRequest)
    assert (again.code, again.http_status, again.message) == (-32601, 404, "Method not found: ping")
    validate(V, "MethodNotFoundError", again.to_error())


@pytest.mark.parametrize("code, status", [
    (-32700, 400), (-32600, 400), (-32601, 404), (-32602, 200), (-32603, 200),
    (-32020, 400), (-32021, 400), (-32022, 400), (-1, 200),
])
def test_http_status_for_codes(code, status):
    assert m.http_status_for(code) == status
    assert m.http_status_for(McpError(code, "x")) == status


def test_resource_not_found_code_per_era():
    modern = m.resource_not_found_error("test://missing", V)
    assert (modern.code, modern.data) == (-32602, {"uri": "test://missing"})
    assert m.resource_not_found_error("test://missing").code == -32602
    assert m.resource_not_found_error("test://missing", "2025-11-25").code == -32002
    validate(V, "JSONRPCErrorResponse", error_response(modern))


# --------------------------------------------------------------------------- MRTR building

ELICIT = m.elicit_form("What is your name?", {"type": "object", "properties": {"name": {"type": "string"}},
                                               "required": ["name"]})
SAMPLE = m.sampling_request([{"role": "user", "content": {"type": "text", "text": "Capital of France?"}}], 100)
ROOTS = m.roots_request()
URL = m.elicit_url("Sign in", "https://example.com/login")
ALL_CAPS = {"elicitation": {"form": {}, "url": {}}, "sampling": {}, "roots": {}}


def test_input_required_result_with_every_kind_validates():
    result = m.input_required_result({"a": ELICIT, "b": SAMPLE, "c": ROOTS, "d": URL}, "state-1",
                                     client_capabilities=ALL_CAPS)
    assert result["resultType"] == "input_required"
    assert result["requestState"] == "state-1"
    assert set(result["inputRequests"]) == {"a", "b", "c", "d"}
    validate(V, "InputRequiredResult", result)
    for request in result["inputRequests"].values():
        validate(V, "InputRequest", request)


def test_input_required_result_state_only_and_requests_only():
    only_state = m.input_required_result(None, "opaque")
    assert only_state == {"resultType": "input_required", "requestState": "opaque"}
    validate(V, "InputRequiredResult", only_state)
    only_requests = m.input_required_result({"user_name": ELICIT}, client_capabilities={"elicitation": {}})
    assert "requestState" not in only_requests
    validate(V, "InputRequiredResult", only_requests)


def test_input_required_result_needs_one_of_them():
    with pytest.raises(ValueError):
        m.input_required_result()
    with pytest.raises(ValueError):
        m.input_required_result({}, None)


@pytest.mark.parametrize("bad", [
    {"method": "tools/call", "params": {}},
    {"method": "elicitation/create"},
    {"method": "elicitation/create", "params": {"message": "x"}},
    {"method": "elicitation/create", "params": {"mode": "url", "message": "x"}},
    {"method": "sampling/createMessage", "params": {"messages": []}},
    {"jsonrpc": "2.0", "id": 1, "method": "roots/list"},
    "roots/list",
])
def test_malformed_input_requests_are_server_bugs(bad):
    with pytest.raises(ValueError):
        m.input_required_result({"k": bad}, check_capabilities=False)


@pytest.mark.parametrize("request_, caps, required", [
    (ELICIT, {}, {"elicitation": {"form": {}}}),
    (ELICIT, {"sampling": {}}, {"elicitation": {"form": {}}}),
    (ELICIT, {"elicitation": {"url": {}}}, {"elicitation": {"form": {}}}),
    (URL, {"elicitation": {}}, {"elicitation": {"url": {}}}),  # empty object = form only
    (URL, {"elicitation": {"form": {}}}, {"elicitation": {"url": {}}}),
    (SAMPLE, {"elicitation": {}}, {"sampling": {}}),
    (ROOTS, {"sampling": {}}, {"roots": {}}),
    (m.sampling_request([], 5, tools=[]), {"sampling": {}}, {"sampling": {"tools": {}}}),
    (m.sampling_request([], 5, includeContext="thisServer"), {"sampling": {}}, {"sampling": {"context": {}}}),
])
def test_undeclared_kind_is_32021_with_required_capabilities(request_, caps, required):
    with pytest.raises(m.RejectedRequest) as info:
        m.input_required_result({"k": request_}, client_capabilities=caps)
    err = info.value
    assert err.code == -32021 and err.http_status == 400
    assert err.data == {"requiredCapabilities": required}
    validate(V, "MissingRequiredClientCapabilityError", error_response(err))


def test_declared_kinds_pass():
    assert m.client_supports(ELICIT, {"elicitation": {}})
    assert m.client_supports(ELICIT, {"elicitation": {"form": {}}})
    assert m.client_supports(URL, {"elicitation": {"url": {}}})
    assert m.client_supports(SAMPLE, {"sampling": {}})
    assert m.client_supports(ROOTS, {"roots": {"listChanged": True}})
    assert m.client_supports(m.sampling_request([], 5, tools=[]), {"sampling": {"tools": {}}})
    assert not m.client_supports(SAMPLE, None)


def test_missing_capabilities_are_merged():
    with pytest.raises(m.RejectedRequest) as info:
        m.check_input_requests({"a": ELICIT, "b": URL, "c": SAMPLE}, {"roots": {}})
    assert info.value.data == {"requiredCapabilities": {"elicitation": {"form": {}, "url": {}}, "sampling": {}}}


def test_capability_check_can_be_skipped():
    assert "inputRequests" in m.input_required_result({"k": SAMPLE}, check_capabilities=False)


# --------------------------------------------------------------------------- MRTR retries


def test_read_retry_first_attempt():
    retry = m.read_retry({"name": "t", "arguments": {}})
    assert retry == m.Retry() and not retry.is_retry
    assert not m.read_retry(None).is_retry


def test_read_retry_with_answers_and_state():
    params = {"name": "t", "inputResponses": {"user_name": {"action": "accept", "content": {"name": "Alice"}},
                                              "extra": {"action": "accept", "content": {"foo": "bar"}}},
              "requestState": "abc"}
    retry = m.read_retry(params)
    assert retry.is_retry and retry.request_state == "abc"
    assert retry.response("user_name") == {"action": "accept", "content": {"name": "Alice"}}
    assert retry.missing(["user_name", "other"]) == ["other"]
    assert retry.response("nope") is None


def test_read_retry_state_without_responses_is_a_retry():
    retry = m.read_retry({"requestState": "s"})
    assert retry.is_retry and retry.input_responses == {}


@pytest.mark.parametrize("params", [
    {"inputResponses": None},
    {"inputResponses": []},
    {"inputResponses": "x"},
    {"inputResponses": {"user_name": 12345}},
    {"inputResponses": {"user_name": None}},
    {"requestState": 5},
    {"requestState": None},
])
def test_read_retry_malformed_is_32602(params):
    with pytest.raises(McpError) as info:
        m.read_retry(params)
    assert info.value.code == -32602
    assert m.http_status_for(info.value) == 200


def test_response_matches():
    assert m.response_matches(ELICIT, {"action": "accept", "content": {"name": "A"}})
    assert m.response_matches(ELICIT, {"action": "decline"})
    assert not m.response_matches(ELICIT, {"action": "maybe"})
    assert not m.response_matches(ELICIT, {"action": "accept", "content": "A"})
    sample_answer = {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m",
                     "stopReason": "endTurn"}
    assert m.response_matches(SAMPLE, sample_answer)
    validate(V, "CreateMessageResult", sample_answer)
    assert not m.response_matches(SAMPLE, {"action": "accept"})
    assert m.response_matches(ROOTS, {"roots": [{"uri": "file:///r", "name": "R"}]})
    assert not m.response_matches(ROOTS, {"roots": "x"})
    assert not m.response_matches(ROOTS, 12345)


def test_retry_params_echo_state_exactly_and_only_when_given():
    original = {"name": "t", "arguments": {"a": 1}, "_meta": {m.META_PROTOCOL_VERSION: V}}
    answers = {"confirm": {"action": "accept", "content": {"confirmed": True}}}
    state = '{"nonce":"x", "odd spacing":  1}'
    with_state = m.retry_params(original, answers, state)
    assert with_state["requestState"] is state
    assert with_state["inputResponses"] == answers
    assert with_state["arguments"] == {"a": 1} and with_state["_meta"] == original["_meta"]
    without = m.retry_params(original, answers, None)
    assert "requestState" not in without
    # a later round replaces the earlier round's fields
    again = m.retry_params(with_state, {"next": {"action": "cancel"}}, None)
    assert again["inputResponses"] == {"next": {"action": "cancel"}} and "requestState" not in again
    assert "inputResponses" not in original
    validate(V, "InputResponses", answers)
