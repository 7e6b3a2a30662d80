"""What the parity fixes add to the 2026-07-28 tasks wire is valid against the extension's schema."""

from __future__ import annotations

from mcp_sync import Client
from mcp_sync.tasks import extension
from tests.parity.parity_server import build
from tests.wire_schema import validate

V = "ext-tasks"


def test_immediate_response_and_progress_meta_are_valid():
    server = build()
    try:
        with Client.connect(server, protocol="modern", era_cache=None, tasks=True, timeout=20) as client:
            created = client.request("tools/call", {"name": "greet_later", "arguments": {"name": "Bo"}})
            assert created["resultType"] == "task"
            assert created["_meta"]["io.modelcontextprotocol/model-immediate-response"] == "on its way"
            validate(V, "CreateTaskResult", created)

            task = client.call_tool_as_task("count", {"n": 70})
            task.wait(timeout=20)
            got = client.request("tasks/get", {"taskId": task.task_id})
            assert got["status"] == "completed" and got["statusMessage"] == "step 70"
            progress = got["_meta"][extension.PROGRESS_META]
            assert progress["count"] == 70 and len(progress["recent"]) == extension.PROGRESS_KEPT
            assert progress["recent"][-1] == {"progress": 70, "total": 70, "message": "step 70"}
            validate(V, "GetTaskResult", got)
    finally:
        server.close()


def test_progress_beyond_what_tasks_get_keeps():
    """More reports than ``PROGRESS_KEPT`` between two polls: the callback gets the latest ones, in order."""
    server = build()
    try:
        with Client.connect(server, protocol="modern", era_cache=None, timeout=20) as client:
            seen: list = []
            task = client.call_tool_as_task("count", {"n": 200}, progress=lambda p, t, m: seen.append(p))
            task.result(timeout=20)
            assert seen == sorted(seen) and seen[-1] == 200 and len(set(seen)) == len(seen)
            assert len(seen) >= extension.PROGRESS_KEPT
    finally:
        server.close()
