"""``Server(task_executor=dask_client.get_executor())``: tasks on a real dask.distributed LocalCluster.

One worker *process* (``processes=True``), so the tool really crosses a process
boundary (dask pickles it with cloudpickle). ``distributed`` is in the ``test``
extra: these tests fail, never skip, when it is missing.
"""

from __future__ import annotations

import os
import threading

import pytest
from distributed import Client as DaskClient
from distributed import LocalCluster

from mcp_sync import Client, McpError
from mcp_sync.tasks.executors import runs_in_process
from tests.executors.conftest import WAIT
from tests.executors.tools import build_server

LEGACY = "2025-11-25"


@pytest.fixture(scope="module")
def dask_executor():
    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
                           worker_dashboard_address=None)
    client = DaskClient(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    """Our threads (the results thread, sessions) are gone after each test; dask keeps its own loop threads."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()
            and t.name.startswith("mcp-sync")]
    assert left == [], f"threads still running after the test: {left}"


@pytest.fixture
def client(dask_executor):
    server = build_server(dask_executor)
    with Client.connect(server, protocol_version=LEGACY) as connected:
        yield connected
    server.close()


def test_a_dask_executor_is_out_of_process(dask_executor):
    assert runs_in_process(dask_executor) is False


def test_task_completes_on_a_dask_worker(client):
    task = client.call_tool_as_task("whoami", {})
    pid = task.result(timeout=WAIT).structured_content["result"]
    assert pid != os.getpid()
    assert task.wait(timeout=WAIT).status == "completed"
    squares = [client.call_tool_as_task("square", {"x": i}) for i in range(8)]
    assert [t.result(timeout=WAIT).structured_content["result"] for t in squares] == [i * i for i in range(8)]


def test_tool_errors_on_a_dask_worker(client):
    crashed = client.call_tool_as_task("crash", {"message": "boom"})
    result = crashed.result(timeout=WAIT)
    assert result.is_error and result.content[0].text == "ValueError: boom"
    assert crashed.status().status == "failed"
    refused = client.call_tool_as_task("refuse", {"code": -32050})
    with pytest.raises(McpError) as info:
        refused.result(timeout=WAIT)
    assert info.value.code == -32050 and info.value.data == {"why": "asked to"}


def test_cancel_on_a_dask_worker(client, gates):
    gate = gates("dask")
    task = client.call_tool_as_task("gate", {"path": gate.path})
    assert gate.wait_entered()  # running in the dask worker process
    assert task.cancel().status == "cancelled"
    gate.release(b"too late")
    after = client.call_tool_as_task("square", {"x": 5})
    assert after.result(timeout=WAIT).structured_content == {"result": 25}
    assert task.status().status == "cancelled"
