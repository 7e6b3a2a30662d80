"""The client as receiver, the server as requestor: sampling and elicitation run as client tasks.

The server's tools call ``ctx.elicit_as_task`` / ``ctx.sample_as_task`` and
drive the client's task with tasks/get, tasks/result, tasks/list and
tasks/cancel; the tools report what they saw.
"""

from __future__ import annotations

import threading

from mcp_sync.tasks import TaskLimits

NAME = {"action": "accept", "content": {"name": "Client Task"}}


def sampling(params):
    return {"role": "assistant", "content": {"type": "text", "text": "sampled as a task"}, "model": "m"}


def test_client_declares_task_capabilities(harness):
    client = harness().client(tasks=True, elicitation=lambda p: NAME, sampling=sampling)
    assert client.client_capabilities.tasks is not None
    declared = client._declared["tasks"]
    assert declared == {"list": {}, "cancel": {},
                        "requests": {"sampling": {"createMessage": {}}, "elicitation": {"create": {}}}}
    only_elicitation = harness().client(tasks=True, elicitation=lambda p: NAME)
    assert only_elicitation._declared["tasks"]["requests"] == {"elicitation": {"create": {}}}
    assert "tasks" not in harness().client(tasks=True)._declared  # no handler: nothing to run as a task
    assert "tasks" not in harness().client(elicitation=lambda p: NAME)._declared
    assert "tasks" not in harness().client(tasks=True, elicitation=lambda p: NAME,
                                           protocol_version="2025-06-18")._declared


def test_server_elicits_as_a_task_and_fetches_the_result(harness):
    client = harness().client(tasks=True, elicitation=lambda p: NAME)
    report = client.call_tool("client_elicit_task", {"mode": "result"}).structured_content
    assert report["ttl"] == 30_000 and report["first"] == "working"
    assert report["action"] == "accept" and report["name"] == "Client Task"
    assert report["final"] == "completed"


def test_server_polls_the_clients_task(harness):
    gate = threading.Event()

    def elicitation(params):
        assert gate.wait(30)
        return NAME

    client = harness().client(tasks=True, elicitation=elicitation)
    pending = client.nowait.call_tool("client_elicit_task", {"mode": "poll"}, timeout=60)
    gate.set()
    report = pending.result(timeout=60).structured_content
    assert report["statuses"][-1] == "completed" and report["listed"] is True
    assert report["name"] == "Client Task"


def test_server_cancels_the_clients_task(harness):
    release = threading.Event()

    def elicitation(params):
        release.wait(30)
        return NAME

    client = harness().client(tasks=True, elicitation=elicitation)
    try:
        report = client.call_tool("client_elicit_task", {"mode": "cancel"}).structured_content
    finally:
        release.set()
    assert report["cancelled"] == "cancelled" and report["final"] == "cancelled"
    # the handler's late answer changed nothing
    task_id = report["task_id"]
    assert client._task_receiver.store.get(task_id, None).status == "cancelled"


def test_server_samples_as_a_task(harness):
    client = harness().client(tasks=True, sampling=sampling)
    report = client.call_tool("client_sample_task", {"prompt": "hi"}).structured_content
    assert report == {"task_id": report["task_id"], "text": "sampled as a task", "final": "completed"}


def test_client_task_error_codes(harness):
    client = harness().client(tasks=TaskLimits(page_size=3), elicitation=lambda p: NAME)
    codes = client.call_tool("client_task_errors").structured_content
    assert codes == {"tasks/get": -32602, "tasks/result": -32602, "tasks/cancel": -32602,
                     "cancel-terminal": -32602, "listed": ["completed"]}


def test_without_client_task_support_the_server_cannot_ask_for_one(harness):
    client = harness().client(elicitation=lambda p: NAME)
    result = client.call_tool("client_elicit_task", {"mode": "result"})
    assert result.is_error and "tasks.requests.elicitation.create" in result.content[0].text


def test_a_client_that_did_not_declare_tasks_ignores_the_task_field(harness):
    client = harness().client(elicitation=lambda p: NAME)
    raw = client.call_tool("raw_task_elicit").structured_content
    assert raw["action"] == "accept" and "task" not in raw


RELATED = "io.modelcontextprotocol/related-task"


def test_elicit_and_sample_as_task_from_inside_a_task_carry_the_related_task(harness):
    """2025-11-25: a request associated with a task carries _meta related-task = {"taskId": <that task>}."""
    seen: list[tuple[str, object]] = []

    def elicitation(params):
        seen.append(("elicitation", (params.meta or {}).get(RELATED)))
        return NAME

    def sampler(params):
        seen.append(("sampling", (params.meta or {}).get(RELATED)))
        return sampling(params)

    client = harness().client(tasks=True, elicitation=elicitation, sampling=sampler)
    outer = client.call_tool_as_task("nested_elicit_task", ttl_ms=60_000)
    report = outer.result(timeout=60).structured_content
    assert report["task_id"] == outer.task_id and report["client_task_id"] != outer.task_id
    assert report["action"] == "accept" and report["name"] == "Client Task"
    assert seen == [("elicitation", {"taskId": outer.task_id})]
    outer = client.call_tool_as_task("nested_sample_task", {"prompt": "hi"}, ttl_ms=60_000)
    report = outer.result(timeout=60).structured_content
    assert report["task_id"] == outer.task_id and report["text"] == "sampled as a task"
    assert seen[1:] == [("sampling", {"taskId": outer.task_id})]


def test_elicit_as_task_outside_a_task_carries_no_related_task(harness):
    seen: list[object] = []

    def elicitation(params):
        seen.append((params.meta or {}).get(RELATED, "absent"))
        return NAME

    client = harness().client(tasks=True, elicitation=elicitation)
    report = client.call_tool("client_elicit_task", {"mode": "result"}).structured_content
    assert report["final"] == "completed"
    assert seen == ["absent"]
