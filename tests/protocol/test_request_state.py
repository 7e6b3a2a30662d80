"""Sealed MRTR requestState (mcp_sync.protocol.request_state)."""

from __future__ import annotations

import base64
import json
import pickle

import pytest

from mcp_sync.errors import McpError
from mcp_sync.protocol import request_state as rs

SECRET = b"0123456789abcdef-shared-secret"
PARAMS = {"name": "test_input_required_result_tampered_state", "arguments": {}}
BIND = rs.request_binding("tools/call", PARAMS, principal="alice")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def sealer(**kw) -> rs.RequestStateSealer:
    kw.setdefault("clock", Clock())
    return rs.RequestStateSealer(SECRET, **kw)


def test_round_trip():
    s = sealer()
    token = s.seal({"step": 2, "name": "Alice"}, bind=BIND)
    assert isinstance(token, str) and token.startswith("v1.")
    assert s.open(token, bind=BIND) == {"step": 2, "name": "Alice"}


def test_tokens_are_url_safe_ascii_and_unique():
    s = sealer()
    a, b = s.seal({"x": 1}, bind=BIND), s.seal({"x": 1}, bind=BIND)
    assert a != b  # a fresh nonce each time: a new round always yields a new state
    for token in (a, b):
        assert all(c.isalnum() or c in "-_." for c in token)


def test_open_state_reports_times_and_nonce():
    clock = Clock(1000.0)
    s = rs.RequestStateSealer(SECRET, max_age=60, clock=clock)
    state = s.open_state(s.seal({}, bind=BIND), bind=BIND)
    assert (state.issued_at, state.expires_at) == (1000, 1060)
    assert isinstance(state.nonce, str) and len(state.nonce) >= 16


def test_payload_is_signed_not_encrypted():
    # documented property: the client can read the payload, but cannot change it
    token = sealer().seal({"visible": "yes"}, bind=BIND)
    body = token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert decoded["p"] == {"visible": "yes"}


def test_shared_secret_across_workers():
    token = rs.RequestStateSealer(SECRET, clock=Clock()).seal({"w": 1}, bind=BIND)
    assert rs.RequestStateSealer(SECRET, clock=Clock()).open(token, bind=BIND) == {"w": 1}
    assert rs.RequestStateSealer(SECRET.decode(), clock=Clock()).open(token, bind=BIND) == {"w": 1}


def test_default_secret_is_random_per_instance():
    a, b = rs.RequestStateSealer(), rs.RequestStateSealer()
    token = a.seal({}, bind=BIND)
    assert a.open(token, bind=BIND) == {}
    with pytest.raises(rs.TamperedState):
        b.open(token, bind=BIND)


def test_secret_rotation():
    old = rs.RequestStateSealer(SECRET, clock=Clock())
    token = old.seal({"k": 1}, bind=BIND)
    new = rs.RequestStateSealer(b"another-secret-of-16+bytes", old_secrets=[SECRET], clock=Clock())
    assert new.open(token, bind=BIND) == {"k": 1}
    fresh = new.seal({}, bind=BIND)
    with pytest.raises(rs.TamperedState):
        old.open(fresh, bind=BIND)  # new tokens are signed with the new key only


@pytest.mark.parametrize("bad", [b"short", "short", b""])
def test_short_secret_refused(bad):
    with pytest.raises(ValueError):
        rs.RequestStateSealer(bad)


def test_bad_configuration():
    with pytest.raises(TypeError):
        rs.RequestStateSealer(12345)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        rs.RequestStateSealer(SECRET, max_age=0)


# --------------------------------------------------------------------------- tampering


def _flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("A" if ch != "A" else "B") + text[index + 1:]


def tampered_variants(token: str) -> list[str]:
    version, body, sig = token.split(".")
    forged_body = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged_body["p"] = {"admin": True}
    forged = base64.urlsafe_b64encode(json.dumps(forged_body).encode()).rstrip(b"=").decode()
    return [
        token + "-TAMPERED",                      # exactly what the conformance scenario sends
        token + "x",
        token[:-1],
        _flip(token, len(token) - 3),             # signature byte
        f"{version}.{_flip(body, 10)}.{sig}",     # body byte
        f"{version}.{forged}.{sig}",              # re-encoded body, old signature
        f"v2.{body}.{sig}",                       # unknown version
        f"{version}.{body}",                      # missing signature
        f"{version}.{body}.{sig}.extra",
        f"{version}.{body}.{sig}=",               # padding is not part of the format
        f"{version}.{body}.{sig[:-2]}+/",         # standard alphabet
        "",
        "not a token",
        "v1..",
        "x" * (rs.MAX_TOKEN_LENGTH + 1),
    ]


def test_tampered_tokens_are_refused_with_32602():
    s = sealer()
    token = s.seal({"step": 1}, bind=BIND)
    for variant in tampered_variants(token):
        with pytest.raises(rs.TamperedState) as info:
            s.open(variant, bind=BIND)
        err = info.value
        assert isinstance(err, McpError) and err.code == -32602, variant
        assert err.data == {"reason": "tampered"}
        assert "integrity" in err.message


@pytest.mark.parametrize("value", [None, 5, b"v1.a.b", {"v": 1}, ["v1"]])
def test_non_string_state_is_tampered(value):
    with pytest.raises(rs.TamperedState):
        sealer().open(value, bind=BIND)


def test_signed_but_unreadable_body_is_refused():
    s = sealer()
    key = s._keys[0]
    body = base64.urlsafe_b64encode(b'{"v":2}').rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(s._sign(key, f"v1.{body}".encode())).rstrip(b"=").decode()
    with pytest.raises(rs.RequestStateError) as info:
        s.open(f"v1.{body}.{sig}", bind=BIND)
    assert info.value.code == -32602 and info.value.reason == "format"


# --------------------------------------------------------------------------- expiry


def test_expired_token_is_refused():
    clock = Clock(1000.0)
    s = rs.RequestStateSealer(SECRET, max_age=60, clock=clock)
    token = s.seal({}, bind=BIND)
    clock.now = 1060.0
    assert s.open(token, bind=BIND) == {}  # still valid at the boundary
    clock.now = 1060.5
    with pytest.raises(rs.ExpiredState) as info:
        s.open(token, bind=BIND)
    assert info.value.code == -32602 and info.value.data == {"reason": "expired"}


def test_per_token_max_age():
    clock = Clock(1000.0)
    s = rs.RequestStateSealer(SECRET, max_age=600, clock=clock)
    token = s.seal({}, bind=BIND, max_age=5)
    clock.now = 1006.0
    with pytest.raises(rs.ExpiredState):
        s.open(token, bind=BIND)


def test_token_from_the_future_is_refused_beyond_leeway():
    issuer = rs.RequestStateSealer(SECRET, clock=Clock(2000.0))
    token = issuer.seal({}, bind=BIND)
    assert rs.RequestStateSealer(SECRET, clock=Clock(1980.0), leeway=30).open(token, bind=BIND) == {}
    with pytest.raises(rs.ExpiredState):
        rs.RequestStateSealer(SECRET, clock=Clock(1900.0), leeway=30).open(token, bind=BIND)


# --------------------------------------------------------------------------- binding


@pytest.mark.parametrize("other", [
    rs.request_binding("tools/call", {"name": "other_tool", "arguments": {}}, principal="alice"),
    rs.request_binding("tools/call", PARAMS, principal="mallory"),
    rs.request_binding("tools/call", PARAMS, principal=None),
    rs.request_binding("prompts/get", PARAMS, principal="alice"),
    rs.request_binding("tools/call", {"name": PARAMS["name"], "arguments": {"path": "/etc"}}, principal="alice"),
])
def test_binding_mismatch_is_refused(other):
    s = sealer()
    token = s.seal({}, bind=BIND)
    with pytest.raises(rs.StateBindingMismatch) as info:
        s.open(token, bind=other)
    assert info.value.code == -32602 and info.value.data == {"reason": "binding"}


def test_binding_ignores_meta_and_mrtr_fields():
    first = {"name": "t", "arguments": {"a": 1}, "_meta": {"progressToken": 1}}
    retry = {"name": "t", "arguments": {"a": 1}, "_meta": {"progressToken": 2},
             "inputResponses": {"k": {"action": "accept"}}, "requestState": "xyz"}
    assert rs.request_binding("tools/call", first) == rs.request_binding("tools/call", retry)


def test_binding_uses_uri_for_resources_and_can_skip_arguments():
    assert rs.request_binding("resources/read", {"uri": "test://a"})["uri"] == "test://a"
    a = rs.request_binding("tools/call", {"name": "t", "arguments": {"x": 1}}, include_arguments=False)
    b = rs.request_binding("tools/call", {"name": "t", "arguments": {"x": 2}}, include_arguments=False)
    assert a == b
    # argument key order does not matter
    s = sealer()
    token = s.seal({}, bind=rs.request_binding("tools/call", {"name": "t", "arguments": {"a": 1, "b": 2}}))
    assert s.open(token, bind=rs.request_binding("tools/call", {"name": "t", "arguments": {"b": 2, "a": 1}})) == {}


def test_errors_pickle():
    for err in (rs.TamperedState(), rs.ExpiredState(), rs.StateBindingMismatch()):
        again = pickle.loads(pickle.dumps(err))
        assert type(again) is type(err) and again.code == -32602 and again.reason == err.reason


def test_oversized_payload_refused_at_seal_time():
    with pytest.raises(ValueError):
        sealer().seal({"blob": "x" * rs.MAX_TOKEN_LENGTH}, bind=BIND)
