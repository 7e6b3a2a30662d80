"""An execution time limit on work that runs in a worker process (issue #15, defect 8).

The work cannot be interrupted there: past the limit the task fails as timed
out at once, and what the worker returns later is dropped.
"""

from __future__ import annotations

import pytest

from mcp_sync import Client, McpError
from mcp_sync.tasks import TaskLimits
from tests.executors.conftest import WAIT
from tests.executors.tools import build_server, square


@pytest.mark.parametrize("version", ["2025-11-25", "2026-07-28"])
def test_out_of_process_work_past_its_limit_fails_and_its_late_result_is_dropped(pool, gates, version):
    server = build_server(pool, tasks=TaskLimits(task_timeout_ms=1000))
    server.tool(task_support="optional", task_timeout=WAIT, replace=True)(square)  # its own limit: generous
    client = Client.connect(server, protocol_version=version).open()
    try:
        # the worker process is up before the limited task is submitted (the limit counts from submission)
        assert client.call_tool_as_task("square", {"x": 2}).result(timeout=WAIT).structured_content == {"result": 4}
        gate = gates("slow")
        task = client.call_tool_as_task("gate", {"path": gate.path})
        assert gate.wait_entered()  # running in the worker
        with pytest.raises(McpError) as info:
            task.result(timeout=WAIT)
        assert info.value.code == -32603 and info.value.message.startswith("Task timed out")
        assert info.value.data == {"reason": "timeout", "timeLimitSeconds": 1.0}
        gate.release(b"too late")
        after = client.call_tool_as_task("square", {"x": 3})  # the one worker is free again: gate returned
        assert after.result(timeout=WAIT).structured_content == {"result": 9}
        assert task.status().status == "failed"
    finally:
        client.close()
        server.close()
