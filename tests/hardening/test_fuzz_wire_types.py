"""Fuzzing ``from_wire``: only WireFormatError (or success) escapes, and what it accepts round-trips."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mcp_sync.types as types
from mcp_sync.types import WireFormatError, WireType, from_wire, to_wire
from mcp_sync.types.base import union_choosers
from tests.hardening.strategies import fuzz_settings, json_values
from tests.types.samples import ROWS, VERSIONS

#: The types a session reads from a peer most often.
MAIN_TYPES = [
    types.InitializeRequestParams, types.InitializeResult, types.CallToolRequestParams, types.CallToolResult,
    types.ListToolsResult, types.Tool, types.ReadResourceResult, types.ListResourcesResult,
    types.GetPromptResult, types.ListPromptsResult, types.CreateMessageRequestParams,
    types.CreateMessageResult, types.ElicitResult, types.ProgressNotificationParams,
    types.CancelledNotificationParams, types.LoggingMessageNotificationParams, types.JsonRpcError,
    types.Task, types.CreateTaskResult, types.ClientCapabilities, types.ServerCapabilities,
    types.ContentBlock, types.ResourceContents, types.ElicitRequestParams, types.AnyCallToolResult,
]


def _all_wire_classes() -> list[type]:
    found, pending = [], [WireType]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not WireType and cls.__module__.startswith("mcp_sync.types"):
            found.append(cls)
    return sorted(set(found), key=lambda c: c.__name__)


ALL_TYPES = _all_wire_classes() + sorted(union_choosers(), key=lambda a: union_choosers()[a][0])


def _seeds() -> list[tuple[Any, dict]]:
    """Valid wire values of many types, from the sample instances of every revision."""
    seen, seeds = set(), []
    for row in ROWS:
        for version in VERSIONS:
            try:
                obj = row.factory(version)
            except Exception:
                continue
            if not isinstance(obj, WireType):
                continue
            cls = row.read_as or type(obj)
            wire = to_wire(obj)
            key = (repr(cls), json.dumps(wire, sort_keys=True))
            if key not in seen:
                seen.add(key)
                seeds.append((cls, wire))
    for alias in union_choosers():  # the unions, read from their members' values
        members = set(get_args(alias))
        seeds += [(alias, wire) for cls, wire in list(seeds) if cls in members]
    return seeds


SEEDS = _seeds()


def _name(cls: Any) -> str:
    entry = union_choosers().get(cls) if not isinstance(cls, type) else None
    return entry[0] if entry else cls.__name__


def check(cls: Any, data: Any) -> None:
    try:
        obj = from_wire(cls, data)
    except WireFormatError as exc:
        assert str(exc) and exc.type_name
        return
    # anything else (TypeError, KeyError, AttributeError, RecursionError...) fails the test
    wire = _emit(obj)
    json.dumps(wire, allow_nan=False)  # what it accepts it can send again
    again = from_wire(cls, wire)
    assert again == obj, f"{_name(cls)}: {data!r} -> {wire!r} -> {again!r}"
    assert _emit(again) == wire


def _emit(obj: Any) -> Any:
    """to_wire, also for the unions that read a list of wire objects or fall back to a plain object."""
    if isinstance(obj, WireType):
        return to_wire(obj)
    if type(obj) is list:
        return [_emit(item) for item in obj]
    assert type(obj) is dict, obj
    return obj


@st.composite
def mutations(draw: Any, value: Any) -> Any:
    """``value`` with a few random edits at random places (drop, replace, add, retype)."""
    value = json.loads(json.dumps(value))
    for _ in range(draw(st.integers(1, 4))):
        containers = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                containers.append(item)
                stack.extend(item.values())
            elif isinstance(item, list):
                containers.append(item)
                stack.extend(item)
        if not containers:
            return draw(json_values)
        target = draw(st.sampled_from(containers))
        slots = list(target.keys()) if isinstance(target, dict) else list(range(len(target)))
        op = draw(st.sampled_from(["drop", "replace", "add", "null", "retype", "wrap"]))
        if not slots and op != "add":
            op = "add"
        slot = draw(st.sampled_from(slots)) if slots else None
        if op == "drop":
            del target[slot]
        elif op == "replace":
            target[slot] = draw(json_values)
        elif op == "null":
            target[slot] = None
        elif op == "retype":
            old = target[slot]
            target[slot] = draw(st.sampled_from([str(old), [old], {"value": old}, 1.5, True, -1, ""]))
        elif op == "wrap":
            target[slot] = [target[slot]]
        elif isinstance(target, dict):
            target[draw(st.sampled_from(["type", "text", "_meta", "extraField", "name", "uri"]))] = draw(json_values)
        else:
            target.append(draw(json_values))
    return value


def test_there_are_seeds_for_the_main_types():
    seeded = {repr(cls) for cls, _ in SEEDS}
    missing = [_name(c) for c in MAIN_TYPES if repr(c) not in seeded]
    assert len(missing) <= 5, missing
    for cls, wire in SEEDS:
        check(cls, wire)


@fuzz_settings(400)
@given(st.data())
def test_mutated_valid_values(data):
    cls, wire = data.draw(st.sampled_from(SEEDS))
    check(cls, data.draw(mutations(wire)))


@fuzz_settings(200)
@given(st.sampled_from(MAIN_TYPES), st.dictionaries(
    st.sampled_from(["type", "text", "content", "name", "uri", "tools", "_meta", "isError", "code", "message",
                     "protocolVersion", "capabilities", "serverInfo", "inputSchema", "taskId", "status",
                     "contents", "messages", "role", "model", "action", "progressToken", "progress", "x"]),
    json_values, max_size=6))
def test_random_objects_for_the_main_types(cls, obj):
    check(cls, obj)


@pytest.mark.parametrize("cls", ALL_TYPES, ids=_name)
def test_every_type_rejects_non_objects_and_junk_with_wire_format_error(cls):
    for junk in (None, 1, "x", [], [1], {"type": []}, {"": None}, {"_meta": 5}, {"extra": {}}):
        check(cls, junk)


@fuzz_settings(200)
@given(st.sampled_from(ALL_TYPES), json_values)
def test_random_json_for_every_type(cls, value):
    check(cls, value)
