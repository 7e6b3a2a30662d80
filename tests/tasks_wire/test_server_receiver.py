"""The server as receiver of task-augmented tools/call, on the wire, over stdio and Streamable HTTP.

Every method (tasks/get, tasks/result, tasks/list, tasks/cancel), every
status transition and every error code of the 2025-11-25 tasks spec.
Raw requests (``client.request``) so the test sees exactly what the server sent;
each answer is validated against the 2025-11-25 schema.
"""

from __future__ import annotations

import threading

import pytest

from mcp_sync import McpError
from mcp_sync.tasks.legacy import MODEL_IMMEDIATE_RESPONSE_META, RELATED_TASK_META
from tests.wire_schema import validate

V = "2025-11-25"


def create(client, name: str, arguments: dict, ttl: int | None = 60_000, **extra) -> dict:
    params = {"name": name, "arguments": arguments, "task": {} if ttl is None else {"ttl": ttl}, **extra}
    created = client.request("tools/call", params)
    validate(V, "CreateTaskResult", created)
    return created


def get(client, task_id: str) -> dict:
    task = client.request("tasks/get", {"taskId": task_id})
    validate(V, "GetTaskResult", task)
    return task


def code_of(call) -> int:
    with pytest.raises(McpError) as info:
        call()
    return info.value.code


def test_capability_and_tool_execution_on_2025_11_25(harness):
    client = harness().client()
    assert client.initialize_result.capabilities.tasks is not None
    raw = client.request("tools/list", {})
    validate(V, "ListToolsResult", raw)
    support = {t["name"]: (t.get("execution") or {}).get("taskSupport") for t in raw["tools"]}
    assert support["echo"] == "optional" and support["double"] == "required"
    assert support["never"] == "forbidden" and support["plain"] is None
    declared = client.initialize_result.capabilities.tasks
    assert declared.list == {} and declared.cancel == {}
    assert declared.requests.tools.call == {}


def test_no_tasks_before_2025_11_25_and_task_is_ignored(harness):
    client = harness().client(protocol_version="2025-06-18")
    assert client.initialize_result.capabilities.tasks is None
    # the task field is ignored: a normal result, even for a 'required' tool
    result = client.request("tools/call", {"name": "echo", "arguments": {"text": "hi"}, "task": {"ttl": 1000}})
    assert result["content"][0]["text"] == "hi" and "task" not in result
    assert client.request("tools/call", {"name": "double", "arguments": {"x": 2}})["structuredContent"] == \
        {"result": 4}
    assert code_of(lambda: client.session.call("tasks/list", {}, timeout=10)) == -32601


def test_create_get_result_completed(harness):
    client = harness().client()
    created = create(client, "echo", {"text": "hello"}, ttl=45_000)
    task = created["task"]
    assert task["status"] == "working" and task["ttl"] == 45_000 and task["pollInterval"] == 20
    assert task["createdAt"].endswith("Z") and task["lastUpdatedAt"].endswith("Z")
    assert created["_meta"][MODEL_IMMEDIATE_RESPONSE_META] == "echoing hello"
    result = client.request("tasks/result", {"taskId": task["taskId"]})
    validate(V, "CallToolResult", result)
    assert result["content"] == [{"type": "text", "text": "hello"}]
    assert result["_meta"][RELATED_TASK_META] == {"taskId": task["taskId"]}
    final = get(client, task["taskId"])
    assert final["status"] == "completed" and final["taskId"] == task["taskId"]
    assert RELATED_TASK_META not in final.get("_meta", {})


def test_default_ttl_and_unlimited_cap(harness):
    client = harness().client()
    task = create(client, "echo", {"text": "x"}, ttl=None)["task"]
    assert task["ttl"] == 60_000  # the server's default
    task = create(client, "echo", {"text": "x"}, ttl=10 ** 9)["task"]
    assert task["ttl"] == 600_000  # capped to the server's maximum


def test_tool_level_negotiation_errors(harness):
    client = harness().client()
    assert code_of(lambda: client.request("tools/call", {"name": "double", "arguments": {"x": 1}})) == -32601
    assert code_of(lambda: create(client, "never", {"x": 1})) == -32601
    assert code_of(lambda: create(client, "plain", {"x": 1})) == -32601
    assert code_of(lambda: client.request("tools/call", {"name": "echo", "arguments": {"text": "a"},
                                                         "task": "soon"})) == -32602
    assert code_of(lambda: create(client, "echo", {"text": "a"}, ttl=-5)) == -32602
    # and the task-capable ones work
    created = create(client, "double", {"x": 21})
    result = client.request("tasks/result", {"taskId": created["task"]["taskId"]})
    assert result["structuredContent"] == {"result": 42}


def test_unknown_task_ids(harness):
    client = harness().client()
    for method in ("tasks/get", "tasks/result", "tasks/cancel"):
        assert code_of(lambda: client.request(method, {"taskId": "no-such-task"})) == -32602
        assert code_of(lambda: client.request(method, {})) == -32602


def test_list_is_paginated_and_checks_cursors(harness):
    client = harness().client()
    ids = [create(client, "echo", {"text": str(i)})["task"]["taskId"] for i in range(7)]
    page = client.request("tasks/list", {})
    validate(V, "ListTasksResult", page)
    assert len(page["tasks"]) == 5 and "nextCursor" in page
    rest = client.request("tasks/list", {"cursor": page["nextCursor"]})
    validate(V, "ListTasksResult", rest)
    assert "nextCursor" not in rest
    assert [t["taskId"] for t in page["tasks"] + rest["tasks"]] == ids
    assert [t.task_id for t in client.list_tasks()] == ids  # the client follows the pages
    assert code_of(lambda: client.request("tasks/list", {"cursor": "not-a-cursor"})) == -32602


def test_cancel_reaches_the_handler_and_stays_cancelled(harness):
    client = harness().client()
    task_id = create(client, "block", {"name": "never-released"})["task"]["taskId"]
    assert get(client, task_id)["status"] == "working"
    cancelled = client.request("tasks/cancel", {"taskId": task_id})
    validate(V, "CancelTaskResult", cancelled)
    assert cancelled["status"] == "cancelled"  # set before the reply
    # the handler saw it (the tool waits until the handler has recorded it)
    assert task_id in client.call_tool("cancels_seen", {"wait_for": task_id}).structured_content["result"]
    assert get(client, task_id)["status"] == "cancelled"  # its late "cancelled" return changed nothing
    assert code_of(lambda: client.request("tasks/result", {"taskId": task_id})) == -32602
    assert code_of(lambda: client.request("tasks/cancel", {"taskId": task_id})) == -32602


def test_cancel_terminal_task_is_invalid_params(harness):
    client = harness().client()
    task_id = create(client, "echo", {"text": "done"})["task"]["taskId"]
    client.request("tasks/result", {"taskId": task_id})
    with pytest.raises(McpError) as info:
        client.request("tasks/cancel", {"taskId": task_id})
    assert info.value.code == -32602 and "completed" in info.value.message


def test_jsonrpc_error_fails_the_task_and_is_returned_by_result(harness):
    client = harness().client()
    task_id = create(client, "boom", {"kind": "mcp"})["task"]["taskId"]
    with pytest.raises(McpError) as info:
        client.request("tasks/result", {"taskId": task_id})
    assert info.value.code == -32050 and info.value.message == "boom as asked"
    assert info.value.data == {"kind": "mcp"}
    assert get(client, task_id)["status"] == "failed"


def test_is_error_result_fails_the_task(harness):
    client = harness().client()
    task_id = create(client, "boom", {"kind": "python"})["task"]["taskId"]
    result = client.request("tasks/result", {"taskId": task_id})
    validate(V, "CallToolResult", result)
    assert result["isError"] is True and "boom as asked" in result["content"][0]["text"]
    assert result["_meta"][RELATED_TASK_META] == {"taskId": task_id}
    assert get(client, task_id)["status"] == "failed"


def test_result_blocks_until_terminal(harness):
    client = harness().client()
    task_id = create(client, "block", {"name": "gate-1"})["task"]["taskId"]
    pending = client.nowait.request("tasks/result", {"taskId": task_id}, timeout=None)
    assert get(client, task_id)["status"] == "working"
    assert not pending.done()
    client.call_tool("release", {"name": "gate-1"})
    assert pending.result(timeout=30)["content"][0]["text"] == "released gate-1"
    assert get(client, task_id)["status"] == "completed"


def test_cancelling_tasks_result_does_not_cancel_the_task(harness):
    client = harness().client()
    task_id = create(client, "block", {"name": "gate-2"})["task"]["taskId"]
    pending = client.nowait.request("tasks/result", {"taskId": task_id}, timeout=None)
    assert get(client, task_id)["status"] == "working"
    pending.cancel()
    assert get(client, task_id)["status"] == "working"  # polling goes on after a dropped tasks/result
    client.call_tool("release", {"name": "gate-2"})
    assert client.request("tasks/result", {"taskId": task_id})["content"][0]["text"] == "released gate-2"


def test_status_message_and_input_required_transitions(harness):
    asked = threading.Event()
    answer = threading.Event()

    def elicitation(params):
        assert params.meta[RELATED_TASK_META]["taskId"]
        asked.set()
        assert answer.wait(30)
        return {"action": "accept", "content": {"name": "Ada"}}

    client = harness().client(elicitation=elicitation)
    task = client.call_tool_as_task("status_msg", {"text": "halfway"})
    for snapshot in task.watch():  # tasks/get at the server's pollInterval
        if snapshot.status_message == "halfway":
            break
    raw = get(client, task.task_id)
    assert raw["status"] == "working" and raw["statusMessage"] == "halfway"
    task_id = task.task_id
    statuses: list[str] = []
    client.call_tool("release", {"name": "status"})
    client.request("tasks/result", {"taskId": task_id})

    task_id = create(client, "ask_name", {"greeting": "Hello"})["task"]["taskId"]
    statuses.append(get(client, task_id)["status"])
    result = client.nowait.request("tasks/result", {"taskId": task_id}, timeout=None)  # as the spec asks
    assert asked.wait(30)
    statuses.append(get(client, task_id)["status"])
    answer.set()
    assert result.result(timeout=30)["content"][0]["text"] == "Hello, Ada!"
    statuses.append(get(client, task_id)["status"])
    assert statuses[1:] == ["input_required", "completed"]
    assert statuses[0] in ("working", "input_required")


def test_progress_token_lives_as_long_as_the_task(harness):
    client = harness().client()
    seen: list[tuple] = []
    got_three = threading.Event()

    def on_progress(progress, total, message):
        seen.append((progress, total, message))
        if len(seen) == 3:
            got_three.set()

    task = client.call_tool_as_task("progress", {"steps": 3}, progress=on_progress)
    assert got_three.wait(30)  # sent after the CreateTaskResult
    client.call_tool("release", {"name": "progress"})
    assert task.result(timeout=30).content[0].text == "progressed"
    assert seen == [(1, 4, "step 1"), (2, 4, "step 2"), (3, 4, "step 3"), (4, 4, "last")]


def test_status_notifications_when_enabled(harness):
    notes: list[dict] = []
    done = threading.Event()

    def on_notification(method, params):
        if method == "notifications/tasks/status":
            validate(V, "TaskStatusNotificationParams", params)
            notes.append(params)
            if params["status"] == "completed":
                done.set()

    client = harness(notify=True).client(on_notification=on_notification)
    task_id = create(client, "block", {"name": "gate-n"})["task"]["taskId"]
    client.call_tool("release", {"name": "gate-n"})
    assert done.wait(30)
    assert notes[-1]["taskId"] == task_id and notes[-1]["status"] == "completed"
    assert RELATED_TASK_META not in notes[-1].get("_meta", {})


def test_no_status_notifications_by_default(harness):
    notes: list[str] = []
    client = harness().client(on_notification=lambda method, params: notes.append(method))
    task_id = create(client, "echo", {"text": "quiet"})["task"]["taskId"]
    client.request("tasks/result", {"taskId": task_id})
    client.ping()
    assert "notifications/tasks/status" not in notes
