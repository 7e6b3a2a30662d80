"""examples/tasks_server.py tested with the project's pytest plugin: a task that asks a question half-way.

``mcp_server`` is overridden to serve the example's server; the plugin's
``mcp_client`` (in memory) and ``mcp_http_client`` (a real port) answer the
question through ``mcp_answers``, in whichever era the client picks.
"""

from __future__ import annotations

import pytest

from examples.tasks_server import server as tasks_server
from mcp_sync.testing import assert_task_completed, assert_task_status, tool_text
from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)


@pytest.fixture
def mcp_server():
    yield tasks_server
    tasks_server.close()


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("transport", ["memory", "http"])
def test_the_build_task_asks_and_completes(transport, era, mcp_connect, mcp_server, mcp_answers, mcp_progress):
    client = mcp_connect(mcp_server, transport=transport, protocol=era)
    mcp_answers.elicit({"proceed": True, "label": "release"})
    task = client.call_tool_as_task("build", {"steps": 4}, progress=mcp_progress)
    result = assert_task_completed(task)
    assert tool_text(result) == "built 'release' in 4 steps"
    if era == "legacy":  # a 2026-07-28 task is polled (tasks/get): its progress does not reach the callback
        mcp_progress.assert_progress([1, 2, 3, 4], total=4)
    assert [q.message for q in mcp_answers.elicitations] == ["Half-way (2/4). Go on?"]
    assert_task_status(task, "completed")


def test_declining_stops_the_build(mcp_client, mcp_answers):
    mcp_answers.elicit(action="decline")
    result = assert_task_completed(mcp_client.call_tool_as_task("build", {"steps": 2}))
    assert tool_text(result) == "stopped after step 1 (decline)"
