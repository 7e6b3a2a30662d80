"""The client's tasks extension against OUR server (modern-only, ``Server(tasks=...)``), over HTTP and stdio.

The server side of io.modelcontextprotocol/tasks (SEP-2663): tools with
``task_support`` become tasks when the request declares the extension; a
``required`` one without it is -32021.
"""

from __future__ import annotations

import sys

import pytest

from mcp_sync.client import Client
from mcp_sync.client.tasks import Task
from mcp_sync.errors import McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.types import ElicitResult
from tests.modern_client.conftest import ROOT
from tests.modern_client.tasks_server import build


def answer_name(params):
    return ElicitResult(action="accept", content={"name": "Kim"})


@pytest.fixture
def served(request):
    """``(client, server or None)`` for ``request.param`` in ("http", "stdio")."""
    cleanup = []
    server = None
    options = dict(era_cache=EraCache(), timeout=15.0, elicitation=answer_name)
    if request.param == "http":
        server = build()
        handle = server.start_http(port=0)
        cleanup += [handle.stop, server.close]
        client = Client.http(handle.url, **options)
    else:
        client = Client.stdio([sys.executable, "-m", "tests.modern_client.tasks_server"], cwd=ROOT, stderr=None,
                              **options)
    cleanup.insert(0, client.close)
    client.open()
    yield client, server
    for step in cleanup:
        step()


@pytest.mark.parametrize("served", ["http", "stdio"], indirect=True)
def test_call_tool_as_task_and_plain_call_tool(served):
    client, _ = served
    assert client.era == "modern"
    assert "io.modelcontextprotocol/tasks" in (client._server_caps.get("extensions") or {})
    task = client.call_tool_as_task("build_it", {"target": "all"})
    assert isinstance(task, Task) and task.task_id
    assert task.poll_interval == 50
    assert task.result(timeout=15).content[0].text == "built all"
    assert task.status().status == "completed"
    assert task.wait(timeout=15).status == "completed"
    # a task-only tool through plain call_tool (-32021, asked again with the extension, polled)
    assert client.call_tool("build_it", {"target": "docs"}).content[0].text == "built docs"
    # an optional one without the extension runs at once
    assert client.call_tool("maybe_task").content[0].text == "ran"


@pytest.mark.parametrize("served", ["http", "stdio"], indirect=True)
def test_input_required_inside_a_task(served):
    client, _ = served
    task = client.call_tool_as_task("ask_name")
    statuses = [s.status for s in task.watch(timeout=15)]
    assert statuses[-1] == "completed", statuses
    assert task.result(timeout=15).content[0].text == "hello Kim"


@pytest.mark.parametrize("served", ["http"], indirect=True)
def test_cancel_a_running_task(served):
    client, server = served
    task = client.call_tool_as_task("wait_gate")
    assert task.status().status == "working"
    task.cancel()
    final = task.wait(timeout=15)
    assert final.status == "cancelled"
    with pytest.raises(McpError):
        task.result(timeout=5)
    server.open_gate()
    other = client.call_tool_as_task("wait_gate")
    assert other.result(timeout=15).content[0].text == "gate opened"
