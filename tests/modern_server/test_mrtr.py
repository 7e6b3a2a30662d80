"""Multi round-trip requests: ctx.elicit / ctx.sample / ctx.list_roots / ctx.gather in 2026-07-28.

A tool taking a Context waits at its input call and the retry resumes it
(server/continuations.py); the answers so far also travel sealed in
requestState, for a retry that finds no continuation (then the handler re-runs).
"""

from __future__ import annotations

import base64
import json

import pytest

from mcp_sync.protocol.request_state import RequestStateSealer
from tests.modern_server.app import SECRET
from tests.modern_server.support import SERVER_INFO, meta

ALICE = {"action": "accept", "content": {"name": "Alice"}}
SAMPLED = {"role": "assistant", "content": {"type": "text", "text": "Hello Alice"}, "model": "m"}
ROOTS = {"roots": [{"uri": "file:///work", "name": "work"}]}


def call(wire, name, arguments=None, **options):
    return wire.request("tools/call", {"name": name, "arguments": arguments or {}, **options.pop("extra", {})},
                        **options)


def retry(wire, name, answers, state, arguments=None, **options):
    extra = {"inputResponses": answers}
    if state is not None:
        extra["requestState"] = state
    return call(wire, name, arguments, extra=extra, **options)


def probe(wire) -> dict:
    return json.loads(call(wire, "probe").text())


def test_elicit_then_sample_then_roots(wire):
    first = call(wire, "interview")
    wire.status(first, 200)
    r1 = first.result
    assert r1["resultType"] == "input_required"
    assert list(r1["inputRequests"]) == ["elicit-0"]
    assert r1["inputRequests"]["elicit-0"]["method"] == "elicitation/create"
    assert r1["inputRequests"]["elicit-0"]["params"]["requestedSchema"]["required"] == ["name"]
    assert isinstance(r1["requestState"], str) and SERVER_INFO in r1["_meta"]

    second = retry(wire, "interview", {"elicit-0": ALICE}, r1["requestState"]).result
    assert list(second["inputRequests"]) == ["sample-1"]
    request = second["inputRequests"]["sample-1"]
    assert request["method"] == "sampling/createMessage"
    assert request["params"]["messages"][0]["content"]["text"] == "Greet Alice"
    assert second["requestState"] != r1["requestState"]

    # the client only sends the newest answer: the first one comes back from requestState
    third = retry(wire, "interview", {"sample-1": SAMPLED}, second["requestState"]).result
    assert list(third["inputRequests"]) == ["roots-2"]
    assert third["inputRequests"]["roots-2"] == {"method": "roots/list", "params": {}}

    final = retry(wire, "interview", {"roots-2": ROOTS}, third["requestState"])
    wire.status(final, 200)
    assert final.result["resultType"] == "complete"
    assert final.text() == "Alice / Hello Alice / ['file:///work']"
    assert probe(wire)["runs"]["interview"] == 1  # resumed at each input call (a continuation), not re-run


def test_gather_asks_everything_in_one_round(wire):
    first = call(wire, "survey").result
    assert first["resultType"] == "input_required"
    assert {k: v["method"] for k, v in first["inputRequests"].items()} == {
        "name": "elicitation/create", "hi": "sampling/createMessage", "roots": "roots/list"}
    partial = retry(wire, "survey", {"name": ALICE, "roots": ROOTS}, first["requestState"]).result
    assert list(partial["inputRequests"]) == ["hi"]  # only what is still missing
    final = retry(wire, "survey", {"hi": SAMPLED}, partial["requestState"])
    assert final.text() == "accept:{'name': 'Alice'} / Hello Alice / 1"


def test_answers_without_request_state_and_extra_keys(wire):
    everything = {"name": ALICE, "hi": SAMPLED, "roots": ROOTS, "unrelated": {"action": "cancel"}}
    reply = retry(wire, "survey", everything, None)
    assert reply.result["resultType"] == "complete"
    assert reply.text() == "accept:{'name': 'Alice'} / Hello Alice / 1"


def test_missing_answer_is_asked_again(wire):
    reply = retry(wire, "needs_elicitation", {"wrong_key": ALICE}, None)
    wire.status(reply, 200)
    assert reply.result["resultType"] == "input_required"
    assert list(reply.result["inputRequests"]) == ["elicit-0"]


def test_prompts_get_and_resources_read_use_mrtr(wire):
    prompt = wire.request("prompts/get", {"name": "briefing", "arguments": {"topic": "tides"}}).result
    assert prompt["resultType"] == "input_required"
    done = wire.request("prompts/get", {"name": "briefing", "arguments": {"topic": "tides"},
                                        "inputResponses": {"elicit-0": {"action": "accept",
                                                                        "content": {"tone": "dry"}}},
                                        "requestState": prompt["requestState"]}).result
    assert done["messages"][0]["content"]["text"] == "Brief me on tides in a dry tone."

    read = wire.request("resources/read", {"uri": "test://doc/7"}).result
    assert read["resultType"] == "input_required" and "ttlMs" not in read
    done = wire.request("resources/read", {"uri": "test://doc/7", "inputResponses": {"elicit-0": ALICE},
                                           "requestState": read["requestState"]}).result
    assert done["contents"][0]["text"] == "doc 7 for Alice"
    assert (done["ttlMs"], done["cacheScope"]) == (0, "private")  # a retried result is never cached


def test_lists_never_answer_input_required(wire):
    for method in ("tools/list", "prompts/list", "resources/list"):
        assert wire.request(method).result["resultType"] == "complete"


def _tamper(state: str) -> str:
    version, body, signature = state.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["p"]["answers"]["elicit-0"] = {"action": "accept", "content": {"name": "Mallory"}}
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{version}.{forged}.{signature}"


@pytest.mark.parametrize("mangle", [lambda s: s + "-TAMPERED", _tamper, lambda s: "garbage"])
def test_tampered_state_is_refused(wire, mangle):
    first = call(wire, "interview").result
    second = retry(wire, "interview", {"elicit-0": ALICE}, first["requestState"]).result
    reply = retry(wire, "interview", {"sample-1": SAMPLED}, mangle(second["requestState"]))
    wire.status(reply, 200)
    assert reply.error["code"] == -32602 and reply.error["data"]["reason"] in ("tampered", "format")


def test_state_is_bound_to_its_request(wire):
    first = call(wire, "interview").result
    second = retry(wire, "interview", {"elicit-0": ALICE}, first["requestState"]).result
    other_tool = retry(wire, "survey", {}, second["requestState"])
    assert other_tool.error["code"] == -32602 and other_tool.error["data"]["reason"] == "binding"
    other_args = call(wire, "interview", {"unexpected": 1},
                      extra={"inputResponses": {}, "requestState": second["requestState"]})
    assert other_args.error["data"]["reason"] == "binding"


def test_wrong_shaped_answers_are_invalid_params(wire):
    reply = retry(wire, "needs_elicitation", {"elicit-0": SAMPLED}, None)
    assert reply.error["code"] == -32602 and reply.error["data"] == {"key": "elicit-0"}
    for bad in ({"elicit-0": 12345}, None, [1]):
        reply = call(wire, "needs_elicitation", extra={"inputResponses": bad})
        wire.status(reply, 200)
        assert reply.error["code"] == -32602
    reply = call(wire, "needs_elicitation", extra={"requestState": 7})
    assert reply.error["code"] == -32602


def test_declined_answers_reach_the_handler(wire):
    reply = retry(wire, "needs_elicitation", {"elicit-0": {"action": "decline"}}, None)
    assert reply.text() == "answered decline"


def test_undeclared_capabilities_are_missing_capability_errors(wire):
    reply = call(wire, "needs_elicitation", meta_=meta({"sampling": {}}), id=41)
    wire.status(reply, 400)
    assert reply.response["id"] == 41
    assert reply.error["code"] == -32021
    assert reply.error["data"] == {"requiredCapabilities": {"elicitation": {"form": {}}}}
    tools = call(wire, "needs_sampling_tools", meta_=meta({"sampling": {}}))
    wire.status(tools, 400)
    assert tools.error["data"]["requiredCapabilities"] == {"sampling": {"tools": {}}}
    ok = call(wire, "needs_sampling_tools", meta_=meta({"sampling": {"tools": {}}})).result
    request = next(iter(ok["inputRequests"].values()))
    assert request["params"]["tools"][0]["name"] == "plain" and request["params"]["toolChoice"] == {"mode": "auto"}


def test_catching_exception_does_not_swallow_the_round(wire):
    reply = call(wire, "shielded")
    assert reply.result["resultType"] == "input_required"


def test_shared_secret_lets_another_worker_resume(make_http_server):
    a, b = make_http_server(), make_http_server()
    stranger = make_http_server(server_options={"secret": "another-secret-of-enough-length"})
    first = a.peer.post("tools/call", {"name": "interview", "arguments": {}}).result
    second = b.peer.post("tools/call", {"name": "interview", "arguments": {}, "inputResponses": {"elicit-0": ALICE},
                                        "requestState": first["requestState"]}).result
    assert list(second["inputRequests"]) == ["sample-1"]
    refused = stranger.peer.post("tools/call", {"name": "interview", "arguments": {},
                                                "inputResponses": {"elicit-0": ALICE},
                                                "requestState": first["requestState"]})
    assert refused.error["code"] == -32602 and refused.error["data"]["reason"] == "tampered"


def test_expired_state_is_refused(http_server):
    clock = [1_000_000.0]
    http_server.server._modern.sealer = RequestStateSealer(SECRET, max_age=60, clock=lambda: clock[0])
    first = http_server.peer.post("tools/call", {"name": "needs_elicitation", "arguments": {}}).result
    clock[0] += 61
    reply = http_server.peer.post("tools/call", {"name": "needs_elicitation", "arguments": {},
                                                 "inputResponses": {"elicit-0": ALICE},
                                                 "requestState": first["requestState"]})
    assert reply.error["code"] == -32602 and reply.error["data"]["reason"] == "expired"


def test_state_is_bound_to_the_authenticated_subject(http_server):
    """The principal is part of the binding: a token minted for one subject fails for another."""
    from mcp_sync.protocol.request_state import request_binding

    sealer = http_server.server._modern.sealer
    params = {"name": "needs_elicitation", "arguments": {}}
    token = sealer.seal({"answers": {}}, bind=request_binding("tools/call", params, "alice"))
    reply = http_server.peer.post("tools/call", {**params, "inputResponses": {}, "requestState": token})
    assert reply.error["code"] == -32602 and reply.error["data"]["reason"] == "binding"
