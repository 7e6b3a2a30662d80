"""``Server(task_executor=ProcessPoolExecutor(...))``: task-augmented tools/call runs the tool in a worker process.

Real spawn-started process pools; clients connected in memory (``Client.connect``)
on both task wires (2025-11-25 core tasks, the 2026-07-28 extension), and one
over stdio with the server in its own process.
"""

from __future__ import annotations

import os
import sys

import pytest

from mcp_sync import Client, McpError
from mcp_sync.tasks import ANY_OWNER
from mcp_sync.types import CallToolResult
from tests.executors.conftest import WAIT, spawn_pool
from tests.executors.tools import build_server

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def served(pool):
    """``served(**server_options)``: (server, client) over the pool; both closed after the test."""
    made = []

    def make(executor=pool, *, version: str = LEGACY, **options):
        server = build_server(executor, **options)
        client = Client.connect(server, protocol_version=version).open()
        made.append((server, client))
        return server, client

    yield make
    for server, client in made:
        client.close()
        server.close()


@pytest.mark.parametrize("version", [LEGACY, MODERN])
def test_task_runs_in_a_worker_process_to_completion(served, version):
    server, client = served(version=version)
    task = client.call_tool_as_task("whoami", {})
    result = task.result(timeout=WAIT)
    assert isinstance(result, CallToolResult) and not result.is_error
    worker_pid = result.structured_content["result"]
    assert worker_pid != os.getpid()
    assert task.wait(timeout=WAIT).status == "completed"
    # converted back in the server: a dataclass value becomes structured content per the outputSchema
    stats = client.call_tool_as_task("stats", {"values": [1, 2, 3]}).result(timeout=WAIT)
    assert stats.structured_content == {"count": 3, "total": 6, "pid": worker_pid}
    # the same tool called without a task runs in the server's process, as always
    assert client.call_tool("whoami", {}).structured_content["result"] == os.getpid()


def test_invalid_arguments_fail_the_task_without_reaching_the_pool(served):
    server, client = served()
    task = client.call_tool_as_task("square", {"x": "seven"})
    result = task.result(timeout=WAIT)
    assert result.is_error and result.content[0].text.startswith("Invalid arguments for tool 'square'")
    assert task.status().status == "failed"  # isError fails the task on the 2025-11-25 wire


def test_tool_errors_keep_their_in_process_semantics(served):
    server, client = served()
    raised = client.call_tool_as_task("crash", {"message": "boom"})
    result = raised.result(timeout=WAIT)
    assert result.is_error and result.content[0].text == "ValueError: boom"  # as a thread-run tool reads
    assert raised.status().status == "failed"

    refused = client.call_tool_as_task("refuse", {"code": -32050})
    with pytest.raises(McpError) as info:
        refused.result(timeout=WAIT)
    assert info.value.code == -32050 and info.value.message == "refused with -32050"
    assert info.value.data == {"why": "asked to"}
    assert refused.wait(timeout=WAIT).status == "failed"


def test_extension_wire_tool_error_completes_the_task(served):
    server, client = served(version=MODERN)
    task = client.call_tool_as_task("crash", {"message": "boom"})
    result = task.result(timeout=WAIT)
    assert result.is_error and result.content[0].text == "ValueError: boom"
    assert task.wait(timeout=WAIT).status == "completed"  # the extension's rule for isError


def test_debug_server_includes_the_worker_traceback(served):
    server, client = served(debug=True)
    text = client.call_tool_as_task("crash", {"message": "boom"}).result(timeout=WAIT).content[0].text
    assert text.startswith("ValueError: boom\n") and 'in crash\n    raise ValueError(message)' in text


def _failure(task) -> tuple[McpError, object]:
    with pytest.raises(McpError) as info:
        task.result(timeout=WAIT)
    return info.value, task.status()


def test_unpicklable_tool_fails_the_task_clearly(served):
    server, client = served()

    def local_tool(x: int) -> int:  # a closure: cannot be pickled by reference
        return x

    server.tool(task_support="optional")(local_tool)
    error, status = _failure(client.call_tool_as_task("local_tool", {"x": 1}))
    assert error.code == -32603
    assert error.message.startswith("Internal error: the task executor failed to run tool 'local_tool': ")
    assert "Can't pickle local object" in error.message
    assert error.message.endswith("(work sent to another process must be picklable: a module-level function, "
                                  "and arguments and a return value that pickle)")
    assert status.status == "failed" and status.status_message == error.message
    # the pool is still fine
    assert client.call_tool_as_task("square", {"x": 3}).result(timeout=WAIT).structured_content == {"result": 9}


def test_unpicklable_result_fails_the_task_clearly(served):
    server, client = served()
    error, status = _failure(client.call_tool_as_task("unpicklable_result", {}))
    assert error.code == -32603
    assert error.message.startswith("Internal error: the task executor failed to run tool 'unpicklable_result': "
                                    "TypeError: cannot pickle '_thread.lock' object")
    assert status.status == "failed" and status.status_message == error.message


def test_context_tool_is_refused_as_a_task_and_still_runs_without_one(served):
    server, client = served()
    with pytest.raises(McpError) as info:
        client.call_tool_as_task("with_context", {"x": 5})
    assert info.value.code == -32603
    assert "tool 'with_context' takes a Context, which cannot cross to this server's task executor " \
           "(ProcessPoolExecutor)" in info.value.message
    assert client.list_tasks() == []  # refused before any task existed
    assert client.call_tool("with_context", {"x": 5}).content[0].text == "x=5 task=none"


def test_killed_worker_fails_the_task_and_later_calls_are_refused(served):
    server, client = served()
    error, status = _failure(client.call_tool_as_task("die", {}))
    assert error.code == -32603
    assert error.message == ("Internal error: the task executor failed to run tool 'die': BrokenProcessPool: A "
                             "process in the process pool was terminated abruptly while the future was running "
                             "or pending.")
    assert status.status == "failed" and status.status_message == error.message
    # a broken pool accepts nothing more: the call is refused, no task is left behind
    with pytest.raises(McpError) as info:
        client.call_tool_as_task("square", {"x": 2})
    assert info.value.code == -32603 and info.value.message.startswith(
        "Task executor is not accepting work (BrokenProcessPool: ")
    assert [t.task_id for t in client.list_tasks()] == [status.task_id]


def test_cancelling_a_running_task_marks_it_cancelled_and_drops_its_result(served, gates):
    server, client = served()
    gate = gates("running")
    task = client.call_tool_as_task("gate", {"path": gate.path})
    assert gate.wait_entered()  # the tool is running in the worker
    assert task.cancel().status == "cancelled"
    gate.release(b"too late")  # the worker returns a value nobody records
    after = client.call_tool_as_task("square", {"x": 4})  # same single worker: runs after gate returned
    assert after.result(timeout=WAIT).structured_content == {"result": 16}
    final = task.status()
    assert final.status == "cancelled"
    with pytest.raises(McpError):
        task.result(timeout=WAIT)


def test_cancelling_a_queued_task_means_it_never_runs(served, gates, tmp_path):
    server, client = served()
    gate = gates("busy")
    busy = client.call_tool_as_task("gate", {"path": gate.path})
    assert gate.wait_entered()
    # A process pool hands up to workers + 1 calls to its queue ahead of time; those count as
    # running and cannot be cancelled. The fourth call behind the busy worker is still pending.
    ahead = [client.call_tool_as_task("touch", {"path": str(tmp_path / f"ahead-{i}")}) for i in range(3)]
    skipped = client.call_tool_as_task("touch", {"path": str(tmp_path / "skipped")})
    assert skipped.cancel().status == "cancelled"
    last = client.call_tool_as_task("touch", {"path": str(tmp_path / "last")})
    gate.release()
    assert busy.result(timeout=WAIT).content[0].text == "released with 'go'"
    for task in ahead + [last]:
        assert task.wait(timeout=WAIT).status == "completed"
    assert (tmp_path / "last").exists()
    assert not (tmp_path / "skipped").exists()  # one worker, in order: it would have run before "last"
    assert skipped.status().status == "cancelled"


def test_server_close_cancels_running_work_without_waiting_for_it(pool, gates):
    server = build_server(pool)
    gate = gates("close")
    with Client.connect(server, protocol_version=LEGACY) as client:
        task = client.call_tool_as_task("gate", {"path": gate.path})
        assert gate.wait_entered()
        store = server.tasks.store
        server.close()  # returns although the worker is still blocked in the tool
        assert store.get(task.task_id, ANY_OWNER).status == "cancelled"
    gate.release()
    assert pool.submit(os.getpid).result(timeout=WAIT) != os.getpid()  # the pool survived


def test_many_tasks_on_two_workers():
    pool = spawn_pool(2)
    server = build_server(pool)
    try:
        with Client.connect(server, protocol_version=LEGACY) as client:
            tasks = [client.call_tool_as_task("square", {"x": i}) for i in range(20)]
            assert [t.result(timeout=WAIT).structured_content["result"] for t in tasks] == [i * i for i in range(20)]
    finally:
        server.close()
        pool.shutdown(wait=True)


def test_stdio_server_with_a_process_pool():
    """The server in its own process (examples/tasks_process_pool.py --stdio), workers in further ones."""
    command = [sys.executable, os.path.join(ROOT, "examples", "tasks_process_pool.py"), "--stdio"]
    with Client.stdio(command, protocol_version=LEGACY, cwd=ROOT, stderr=None) as client:
        task = client.call_tool_as_task("count_primes", {"below": 10_000})
        result = task.result(timeout=WAIT)
        assert result.structured_content["count"] == 1229
        assert result.structured_content["worker_pid"] != os.getpid()
        assert task.status().status == "completed"
