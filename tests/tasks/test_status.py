"""The state machine: every pair of statuses, legal or not."""

from __future__ import annotations

import itertools

import pytest

from mcp_sync.errors import INTERNAL_ERROR
from mcp_sync.tasks import status as st
from mcp_sync.tasks.errors import InvalidTransition

LEGAL = {
    ("working", "input_required"), ("working", "completed"), ("working", "failed"),
    ("working", "cancelled"),
    ("input_required", "working"), ("input_required", "completed"),
    ("input_required", "failed"), ("input_required", "cancelled"),
}
ALL = ["working", "input_required", "completed", "failed", "cancelled"]


def test_status_set_matches_both_schemas():
    from tests.wire_schema import definitions
    assert set(definitions("2025-11-25")["TaskStatus"]["enum"]) == st.STATUSES
    ext = {alt["const"] for alt in definitions("ext-tasks")["TaskStatus"]["anyOf"]}
    assert ext == st.STATUSES


@pytest.mark.parametrize("current,new", list(itertools.product(ALL, ALL)))
def test_every_transition(current, new):
    legal = (current, new) in LEGAL
    assert st.can_transition(current, new) is legal
    if legal:
        st.check_transition(current, new)
    else:
        with pytest.raises(InvalidTransition) as info:
            st.check_transition(current, new)
        assert (info.value.current, info.value.requested) == (current, new)
        assert info.value.code == INTERNAL_ERROR


def test_terminal_statuses_have_no_way_out():
    assert st.TERMINAL_STATUSES == {"completed", "failed", "cancelled"}
    for status in st.TERMINAL_STATUSES:
        assert st.is_terminal(status)
        assert st.TRANSITIONS[status] == frozenset()
    assert not st.is_terminal("working") and not st.is_terminal("input_required")


def test_unknown_status_is_never_legal():
    assert not st.can_transition("submitted", "working")
    assert not st.can_transition("working", "unknown")


def test_outcome_status_per_wire():
    ok = {"content": []}
    tool_error = {"content": [], "isError": True}
    error = {"code": -32000, "message": "boom"}
    assert st.outcome_status(ok, None, wire=st.LEGACY_WIRE) == "completed"
    assert st.outcome_status(ok, None, wire=st.EXTENSION_WIRE) == "completed"
    assert st.outcome_status(tool_error, None, wire=st.LEGACY_WIRE) == "failed"
    assert st.outcome_status(tool_error, None, wire=st.EXTENSION_WIRE) == "completed"
    assert st.outcome_status(None, error, wire=st.LEGACY_WIRE) == "failed"
    assert st.outcome_status(None, error, wire=st.EXTENSION_WIRE) == "failed"
