"""TaskLimits: TTL resolution and the errors each exceeded limit raises."""

from __future__ import annotations

import pickle

import pytest

from mcp_sync.errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, McpError
from mcp_sync.tasks import InMemoryTaskStore, TaskLimitError, TaskLimits


def test_ttl_default_cap_and_floor():
    limits = TaskLimits(default_ttl_ms=5_000, max_ttl_ms=60_000, min_ttl_ms=1_000)
    assert limits.resolve_ttl(None) == 5_000
    assert limits.resolve_ttl(30_000) == 30_000
    assert limits.resolve_ttl(10 * 3_600_000) == 60_000  # receiver caps the request
    assert limits.resolve_ttl(10) == 1_000
    assert limits.resolve_ttl(0) == 1_000


def test_unlimited_ttl_only_without_a_cap():
    assert TaskLimits(default_ttl_ms=None, max_ttl_ms=None).resolve_ttl(None) is None
    assert TaskLimits(default_ttl_ms=None, max_ttl_ms=9_000).resolve_ttl(None) == 9_000


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True, [1]])
def test_invalid_requested_ttl_is_invalid_params(bad):
    with pytest.raises(McpError) as info:
        TaskLimits().resolve_ttl(bad)
    assert info.value.code == INVALID_PARAMS


@pytest.mark.parametrize("field,value", [("max_tasks", -1), ("page_size", 0),
                                         ("min_ttl_ms", None), ("poll_interval_ms", 1.5)])
def test_limits_validate_themselves(field, value):
    with pytest.raises(ValueError):
        TaskLimits(**{field: value})


def test_table_full_raises_internal_error():
    with InMemoryTaskStore(TaskLimits(max_tasks=3, max_active_per_owner=None)) as store:
        for owner in "abc":
            store.create(owner, "tools/call")
        with pytest.raises(TaskLimitError) as info:
            store.create("d", "tools/call")
        err = info.value
        assert err.code == INTERNAL_ERROR
        assert err.to_error() == {"code": INTERNAL_ERROR,
                                  "message": "Task table full: the server retains at most 3 "
                                             "tasks; try again later",
                                  "data": {"limit": "max_tasks", "max": 3}}
        # terminal tasks still count: retention is what fills the table
        store.cancel(store.list_page("a").tasks[0].task_id, "a")
        with pytest.raises(TaskLimitError):
            store.create("d", "tools/call")
        # deleting frees a slot
        store.delete(store.list_page("a").tasks[0].task_id)
        store.create("d", "tools/call")
        assert len(store) == 3


def test_active_per_owner_raises_invalid_request_and_frees_on_finish():
    with InMemoryTaskStore(TaskLimits(max_tasks=None, max_active_per_owner=2)) as store:
        first = store.create("alice", "tools/call")
        store.create("alice", "tools/call")
        with pytest.raises(TaskLimitError) as info:
            store.create("alice", "tools/call")
        assert info.value.code == INVALID_REQUEST
        assert info.value.limit == "max_active_per_owner" and info.value.maximum == 2
        assert "at most 2 unfinished tasks" in info.value.message
        store.create("bob", "tools/call")  # per owner, not global
        store.set_result(first.task_id, "completed", result={"content": []})
        store.create("alice", "tools/call")  # a finished task no longer counts
        with pytest.raises(TaskLimitError):
            store.create("alice", "tools/call")


def test_limit_error_pickles():
    err = TaskLimitError.too_many_active(5)
    copy = pickle.loads(pickle.dumps(err))
    assert copy.to_error() == err.to_error()
