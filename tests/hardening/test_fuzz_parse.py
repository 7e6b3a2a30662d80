"""Fuzzing the sans-IO parser: it never raises, and classifies every frame as the spec says."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mcp_sync.protocol import jsonrpc
from tests.hardening import oracle
from tests.hardening.strategies import frames, fuzz_settings, json_values, message_texts, nested


def check(raw: bytes | str, max_depth: int = 64) -> None:
    message = jsonrpc.parse(raw, max_depth)  # must not raise
    expected, actual = oracle.expect(raw, max_depth), oracle.outcome_of(message)
    assert oracle.agrees(expected, actual), f"{raw[:300]!r}: expected {expected}, parse gave {actual}"
    for item in (message.items if type(message) is jsonrpc.Batch else [message]):
        if type(item) is jsonrpc.Invalid:
            if item.answer:
                # the answer can always be sent (even with a lone-surrogate id) and reads back the same
                for version in (None, "2025-11-25"):
                    wire = jsonrpc.encode(item.response(version))
                    back = json.loads(wire)
                    assert back["error"]["code"] in (-32700, -32600, -32602)
                    # (a str frame may hold a raw surrogate pair, which reads back combined)
                    assert back.get("id") == json.loads(json.dumps(item.id))
                    assert isinstance(back["error"]["message"], str) and back["error"]["message"]
    if type(message) is jsonrpc.Batch:
        # a response-looking item is never answered, in a batch as alone
        for item, expected_item in zip(message.items, expected[1]):
            if expected_item[0] in ("drop", "response", "error_response"):
                assert not (type(item) is jsonrpc.Invalid and item.answer)


@fuzz_settings(400)
@given(st.binary(max_size=200))
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\xff\xfe{\x00}\x00")  # UTF-16 is not accepted as JSON-RPC text
@example(b'{"jsonrpc":"2.0","id":"\xed\xa0\x80","method":"x"}')  # a surrogate encoded in UTF-8
def test_random_bytes(raw):
    check(raw)


@fuzz_settings(300)
@given(st.text(max_size=100))
def test_random_text(raw):
    check(raw)


@fuzz_settings(300)
@given(json_values)
def test_random_json_values(value):
    check(json.dumps(value).encode())
    check(json.dumps(value, ensure_ascii=False))


@fuzz_settings(300)
@given(message_texts())
@example('{"jsonrpc":"2.0","id":1,"id":2,"method":"echo"}')
@example('{"jsonrpc":"2.0","id":null,"method":"echo"}')
@example('{"jsonrpc":"2.0","id":1.0,"method":"echo"}')
@example('{"jsonrpc":"2.0","id":true,"method":"echo","params":[1]}')
@example('{"jsonrpc":"2.0","id":"\\ud800","method":5}')
@example('{"jsonrpc":"2.0","result":{}}')
@example('{"jsonrpc":"2.0","error":{"code":-32600,"message":"x"}}')
@example('{"jsonrpc":"1.0","id":3,"error":{"code":1}}')
@example('[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","method":"n"},1]')
def test_near_valid_messages(text):
    check(text)
    check(text.encode("utf-8", "surrogatepass"))


@fuzz_settings(300)
@given(frames())
def test_frames_with_damage(raw):
    check(raw)


@fuzz_settings(200)
@given(st.integers(1, 300), st.sampled_from(["a", "o", "ao"]), st.integers(1, 100))
def test_depth_limit_is_exact(depth, kinds, max_depth):
    value = nested(depth, kinds=kinds)
    text = json.dumps(value)
    message = jsonrpc.parse(text, max_depth)
    too_deep = type(message) is jsonrpc.Invalid and "nested too deeply" in message.error["message"]
    assert too_deep == (depth > max_depth), (depth, max_depth, message)
    if too_deep:
        assert f"the limit is {max_depth} levels" in message.error["message"]
    check(text, max_depth)


def test_a_too_deep_request_is_refused_with_its_id_and_a_too_deep_notification_is_not_answered():
    deep = nested(70)
    message = jsonrpc.parse(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "echo", "params": {"x": deep}}))
    assert (message.id, message.error["code"], message.answer) == (7, -32600, True)
    assert message.error["message"] == "Invalid request: JSON nested too deeply (the limit is 64 levels)"
    message = jsonrpc.parse(json.dumps({"jsonrpc": "2.0", "method": "n", "params": {"x": deep}}))
    assert (message.id, message.answer) == (None, False)
    message = jsonrpc.parse(json.dumps({"jsonrpc": "2.0", "id": 7, "result": {"x": deep}}))
    assert (message.id, message.answer) == (7, False)


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000,
                                 ("[" * 50_000 + "]" * 50_000)])
def test_pathological_nesting_is_a_parse_error(raw):
    message = jsonrpc.parse(raw)
    assert type(message) is jsonrpc.Invalid
    assert (message.error["code"], message.id, message.answer) == (-32700, None, True)
    assert "nested too deeply" in message.error["message"]


def test_nesting_the_parser_survives_is_refused_with_the_id():
    # 5000 levels: a RecursionError in the parser on Python <= 3.12 (-32700), parsed and then
    # refused by the depth check on 3.13+, whose parser recursion limit is higher (-32600 with the id)
    raw = b'{"jsonrpc":"2.0","id":1,"method":"m","params":{"x":' + b"[" * 5000 + b"]" * 5000 + b"}}"
    message = jsonrpc.parse(raw)
    assert type(message) is jsonrpc.Invalid and message.answer
    assert "nested too deeply" in message.error["message"]
    assert (message.error["code"], message.id) in ((-32700, None), (-32600, 1))


def test_encode_escapes_lone_surrogates_instead_of_failing():
    message = {"jsonrpc": "2.0", "id": "\ud800", "result": {"x": "a\udfffb", "y": "é"}}
    data = jsonrpc.encode(message)
    data.decode("utf-8")  # valid UTF-8
    assert json.loads(data) == message
    assert jsonrpc.encode({"x": "é"}) == '{"x":"é"}'.encode()  # the common path stays UTF-8
