"""Replays every malformed input of ``corpus/`` to a real subprocess and checks the exact answer.

A case file is a header, then the bytes to send::

    # note: what the case is about
    # expect: [{"id": null, "code": -32700, "message_contains": "..."}, {"id": 1, "result": {...}},
    #          {"batch": [...]}]          (replies in any order; [] means no reply at all)
    # parts: [["text", count], ...]       (optional: the input is built from repeated parts)
    # requires: int_max_str_digits        (optional)
    #---
    <raw bytes, sent verbatim>

After each case the session must still answer a correct request correctly,
and must have sent nothing beyond the expected replies.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest

from tests.hardening.rawpeer import RawPeer

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def load(name: str) -> tuple[dict[str, Any], bytes]:
    with open(os.path.join(CORPUS, name), "rb") as f:
        data = f.read()
    head, sep, body = data.partition(b"#---\n")
    assert sep, f"{name}: no '#---' line"
    meta = {}
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.lstrip("# ").partition(": ")
        meta[key] = value if key in ("note", "requires") else json.loads(value)
    if "parts" in meta:
        assert not body, f"{name}: both parts and a body"
        body = b"".join(text.encode("utf-8") * count for text, count in meta["parts"])
    return meta, body


CASES = sorted(f for f in os.listdir(CORPUS) if f.endswith(".case"))


def canonical(reply: Any) -> str:
    """A reply reduced to what the corpus pins down (id and code, or id and result)."""
    if isinstance(reply, list):
        return json.dumps({"batch": sorted(canonical(r) for r in reply)})
    assert reply.get("jsonrpc") == "2.0", reply
    if "error" in reply:
        error = reply["error"]
        assert isinstance(error.get("message"), str) and error["message"], reply
        assert "result" not in reply
        return json.dumps({"id": reply.get("id"), "code": error["code"]})
    return json.dumps({"id": reply["id"], "result": reply["result"]}, sort_keys=True)


def canonical_expected(entry: dict[str, Any]) -> str:
    if "batch" in entry:
        return json.dumps({"batch": sorted(canonical_expected(e) for e in entry["batch"])})
    if "code" in entry:
        return json.dumps({"id": entry["id"], "code": entry["code"]})
    return json.dumps({"id": entry["id"], "result": entry["result"]}, sort_keys=True)


@pytest.fixture(scope="module")
def peer():
    peer = RawPeer()
    yield peer
    code = peer.close()
    assert code == 0, peer.stderr()
    assert not peer.bugs(), peer.stderr()


def test_the_corpus_is_there():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES, ids=lambda n: n[:-5])
def test_corpus_case(peer, name):
    meta, payload = load(name)
    if meta.get("requires") == "int_max_str_digits" and not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this interpreter has no limit on integer digits")
    expected = meta["expect"]
    replies = peer.exchange(payload, len(expected))
    assert sorted(map(canonical, replies)) == sorted(map(canonical_expected, expected)), meta["note"]
    for entry in expected:
        if "message_contains" in entry:
            messages = [r["error"]["message"] for r in replies
                        if isinstance(r, dict) and "error" in r and r.get("id") == entry["id"]]
            assert any(entry["message_contains"] in m for m in messages), (entry, messages)
    assert not peer.bugs(), peer.stderr()
