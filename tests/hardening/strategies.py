"""Hypothesis strategies for hostile JSON-RPC frames, and the shared fuzz settings.

Every fuzz test is bounded (``max_examples``), has no deadline (CI machines
are slow and shared) and is derandomized with the example database off, so a
run is reproducible. ``MCP_SYNC_FUZZ=explore`` switches to random exploration
with 10x the examples, for a local bug hunt.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_EXPLORE = os.environ.get("MCP_SYNC_FUZZ") == "explore"


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples * (10 if _EXPLORE else 1),
        deadline=None,
        derandomize=not _EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# -- JSON values -------------------------------------------------------------------

surrogates = st.integers(0xD800, 0xDFFF).map(chr)
#: Any text, lone surrogates included (JSON can carry them as ``\ud800`` escapes).
any_text = st.text(st.one_of(st.characters(), surrogates), max_size=12)
keys = st.one_of(st.sampled_from(["jsonrpc", "id", "method", "params", "result", "error", "code",
                                  "message", "data", "_meta", "progressToken", "type", "text", ""]),
                 any_text)
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(-(2 ** 70), 2 ** 70),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def nested(depth: int, leaf: Any = 0, kinds: str = "ao") -> Any:
    """A value ``depth`` containers deep (``kinds``: a for arrays, o for objects, cycled)."""
    value = leaf
    for level in range(depth):
        value = [value] if kinds[level % len(kinds)] == "a" else {"k": value}
    return value


# -- near-valid messages -------------------------------------------------------------

ABSENT = object()

ids = st.one_of(
    st.integers(-3, 10), st.integers(), st.text(max_size=6), any_text,  # valid
    st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
    st.just(1.0), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
methods = st.one_of(
    st.sampled_from(["echo", "ping", "tools/call", "tools/list", "initialize", "notifications/initialized",
                     "notifications/progress", "notifications/message", "unknown/method", "", " "]),
    any_text, st.integers(), st.none(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
)
#: Methods a live peer can be sent without side effects (no blocking, no exit).
safe_methods = st.one_of(
    st.sampled_from(["echo", "ping", "tools/list", "unknown/method", "notifications/initialized",
                     "notifications/message", "", " "]),
    st.text(st.characters(categories=["Ll"]), min_size=1, max_size=3).map(lambda s: "x/" + s),
    st.integers(), st.none(), st.booleans(),
)
params = st.one_of(
    st.dictionaries(keys, json_values, max_size=3), st.just({}), st.none(),
    st.lists(json_values, max_size=3), any_text, st.integers(), st.booleans(),
)
jsonrpc_field = st.sampled_from(["2.0", "2.0", "2.0", "1.0", "2", "2.0 ", "", 2.0, 2, None, ["2.0"]])
errors = st.one_of(
    st.fixed_dictionaries({"code": st.integers(-33000, 10), "message": any_text}),
    st.fixed_dictionaries({"code": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=3),
                                             st.booleans(), st.none())}),
    st.fixed_dictionaries({"message": st.text(max_size=3)}),
    json_values,
)


def _maybe(strategy: st.SearchStrategy, absent_weight: int = 1) -> st.SearchStrategy:
    return st.one_of(*([st.just(ABSENT)] * absent_weight), strategy)


@st.composite
def message_pairs(draw: Any, method_strategy: st.SearchStrategy = methods) -> list[tuple[str, Any]]:
    """The key/value pairs of a near-valid message, in wire order, possibly with duplicate keys."""
    shape = draw(st.sampled_from(["request", "request", "notification", "response", "error", "junk"]))
    fields: dict[str, Any] = {"jsonrpc": draw(_maybe(jsonrpc_field, 0) if shape != "junk" else _maybe(jsonrpc_field))}
    if shape in ("request", "notification", "junk"):
        fields["method"] = draw(method_strategy if shape != "junk" else _maybe(method_strategy))
        fields["params"] = draw(_maybe(params))
    if shape in ("request", "response", "error", "junk"):
        fields["id"] = draw(ids if shape != "junk" else _maybe(ids))
    if shape == "response" or (shape == "junk" and draw(st.booleans())):
        fields["result"] = draw(json_values)
    if shape == "error" or (shape == "junk" and draw(st.booleans())):
        fields["error"] = draw(errors)
    pairs = [(k, v) for k, v in fields.items() if v is not ABSENT]
    pairs += draw(st.lists(st.tuples(keys, json_values), max_size=2))  # unknown (or duplicate) keys
    return draw(st.permutations(pairs))


def dump_pairs(pairs: list[tuple[str, Any]], ascii_only: bool = True) -> str:
    """Serialize key/value pairs as a JSON object, keeping duplicates (last one wins when parsed)."""
    return "{" + ",".join(f"{json.dumps(k, ensure_ascii=ascii_only)}:{json.dumps(v, ensure_ascii=ascii_only)}"
                          for k, v in pairs) + "}"


@st.composite
def message_texts(draw: Any, method_strategy: st.SearchStrategy = methods) -> str:
    """One message, or a batch of them, as JSON text."""
    if draw(st.integers(0, 5)) == 0:
        items = draw(st.lists(message_pairs(method_strategy), max_size=4))
        extras = draw(st.lists(json_values, max_size=1))
        return "[" + ",".join([dump_pairs(p) for p in items] + [json.dumps(e) for e in extras]) + "]"
    return dump_pairs(draw(message_pairs(method_strategy)), ascii_only=draw(st.booleans()))


@st.composite
def mutated(draw: Any, text_strategy: st.SearchStrategy) -> bytes:
    """Valid-looking JSON text with byte-level damage: truncation, insertions, BOMs, bad UTF-8..."""
    data = draw(text_strategy).encode("utf-8", "surrogatepass")  # raw surrogates are invalid UTF-8 on purpose
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["truncate", "insert", "delete", "bom", "crlf", "spaces", "double", "none"]))
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:at]
        elif op == "insert":
            data = data[:at] + draw(st.sampled_from([b"\x00", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xef\xbb\xbf",
                                                     b",", b"}", b"]", b"{", b"[", b'"', b"\\", b"\r", b"\t",
                                                     b"\x0b", b"NaN", b"-Infinity", b"1e999", b"//"])) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + 1:]
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "crlf":
            data = data + b"\r"
        elif op == "spaces":
            data = b" \t" + data + b" "
        elif op == "double":
            data = data + data
    return data


def frames(method_strategy: st.SearchStrategy = methods) -> st.SearchStrategy[bytes]:
    """One frame's bytes (no framing newline): random bytes, random JSON, near-valid messages, damage."""
    return st.one_of(
        st.binary(max_size=64),
        json_values.map(lambda v: json.dumps(v).encode()),
        message_texts(method_strategy).map(lambda t: t.encode("utf-8", "surrogatepass")),
        message_texts(method_strategy).map(lambda t: t.encode("utf-8", "surrogatepass")),
        mutated(message_texts(method_strategy)),
        # messages nested exactly d levels deep (around the default limit of 64)
        st.integers(2, 90).map(lambda d: json.dumps(
            {"jsonrpc": "2.0", "id": d, "method": "echo", "params": nested(d - 1, kinds="oa")}).encode()),
    )
