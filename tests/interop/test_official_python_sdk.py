"""Our client and server against the official MCP Python SDK 1.x (experimental tasks), both directions.

* our client -> their server (stdio and Streamable HTTP): tools called as tasks,
  tasks/get, tasks/result, tasks/list, tasks/cancel, a failing task, and an
  elicitation their task asks mid-way (they deliver it on our tasks/result);
* their server -> our client as task receiver: their task asks *us* to elicit
  as a task (``elicit_as_task``) and polls our task table;
* their client -> our server (stdio and Streamable HTTP): every task method and
  error code, the input_required flow, a 'required' tool;
* our server -> their client as task receiver: ``ctx.elicit_as_task`` and
  ``ctx.sample_as_task``, from a plain call and from inside a task (then the
  request carries ``_meta["io.modelcontextprotocol/related-task"]``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mcp_sync import Client, McpError
from tests.interop.conftest import PEERS, ROOT
from tests.tasks_wire.task_server import build_server

NAME = {"action": "accept", "content": {"name": "Ada"}}


def _official_server(peer_python: str, transport: str):
    """(client kwargs factory, cleanup) for their server over ``transport``."""
    script = str(PEERS / "official_server.py")
    if transport == "stdio":
        command = [peer_python, "-W", "ignore::DeprecationWarning", script]
        return (lambda **kw: Client.stdio(command, stderr=None, **kw)), (lambda: None)
    process = subprocess.Popen([peer_python, "-W", "ignore::DeprecationWarning", script, "--http"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()  # "listening <url>" once it accepts connections
    assert line.startswith("listening "), f"the peer server did not start: {line!r}"
    url = line.split()[1]

    def cleanup() -> None:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
                process.wait()

    return (lambda **kw: Client.http(url, **kw)), cleanup


@pytest.fixture(params=["stdio", "http"])
def official_server(request, peer_python):
    factory, cleanup = _official_server(peer_python, request.param)
    clients: list[Client] = []

    def connect(**kwargs) -> Client:
        client = factory(protocol_version="2025-11-25", **kwargs)
        clients.append(client)
        return client.open()

    yield connect
    for client in clients:
        client.close()
    cleanup()


def test_our_client_runs_their_tools_as_tasks(official_server):
    client = official_server()
    assert client.server_capabilities.tasks.requests.tools.call is not None
    support = {t.name: t.execution.task_support for t in client.list_tools()}
    assert support["echo"] == "optional"
    task = client.call_tool_as_task("echo", {"text": "across SDKs"}, ttl_ms=30_000)
    assert task.immediate_response == "echo started"
    assert task.result(timeout=30).content[0].text == "across SDKs"
    assert task.status().status == "completed"
    assert task.task_id in [t.task_id for t in client.list_tasks()]
    assert client.get_task_result(task.task_id, timeout=30).meta["io.modelcontextprotocol/related-task"] == \
        {"taskId": task.task_id}


def test_our_client_answers_their_input_request(official_server):
    client = official_server(elicitation=lambda params: NAME)
    task = client.call_tool_as_task("ask", {"question": "Who are you?"})
    statuses = [s.status for s in task.watch(timeout=60)]  # input_required: watch() opens tasks/result
    assert "input_required" in statuses and statuses[-1] == "completed"
    assert task.result(timeout=30).content[0].text == "hello Ada (accept)"


def test_our_client_cancels_and_sees_failures(official_server):
    client = official_server()
    task = client.call_tool_as_task("hold")
    assert task.cancel().status == "cancelled"
    assert task.wait(timeout=30).status == "cancelled"
    with pytest.raises(McpError):
        client.cancel_task(task.task_id)  # terminal: refused
    failing = client.call_tool_as_task("boom")
    assert failing.wait(timeout=30).status == "failed"
    assert "boom from the official SDK" in (failing.last.status_message or "")
    with pytest.raises(McpError) as info:
        client.get_task("no-such-task")
    assert info.value.code == -32602


def test_their_server_asks_our_client_to_elicit_as_a_task(official_server):
    client = official_server(tasks=True, elicitation=lambda params: NAME)
    assert client.client_capabilities.tasks.requests.elicitation.create is not None
    task = client.call_tool_as_task("ask_client_task", ttl_ms=60_000)
    statuses = [s.status for s in task.watch(timeout=60)]
    assert statuses[-1] == "completed"
    assert task.result(timeout=30).content[0].text == "client task said Ada (accept)"
    # the task they created in our table is there, completed, and only theirs to see
    [ours] = client._task_receiver.store.list_page(None).tasks
    assert ours.status == "completed" and ours.method == "elicitation/create"


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_their_client_against_our_server(peer_python, transport):
    server = handle = None
    if transport == "stdio":
        target = ["stdio", sys.executable, "-m", "tests.tasks_wire.task_server"]
    else:
        server = build_server()
        handle = server.start_http()
        target = ["http", handle.url]
    try:
        done = subprocess.run([peer_python, str(PEERS / "official_client.py"), *target], cwd=ROOT,
                              capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    finally:
        if handle is not None:
            handle.stop()
        if server is not None:
            server.close()
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["protocol"] == "2025-11-25"
    assert report["capabilities"] == {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
    assert report["support"] == {"echo": "optional", "double": "required", "plain": None}
    echo = report["echo"]
    assert echo["created"] == "working" and echo["ttl"] == 30_000 and echo["immediate"] == "echoing interop"
    assert echo["statuses"][-1] == "completed" and echo["text"] == "interop"
    assert echo["related"]["taskId"]
    assert report["double"] == {"result": 42} and report["double_plain"] == -32601
    assert report["ask_name"]["statuses"][-1] == "completed" and report["ask_name"]["text"] == "Hi, Official!"
    assert report["cancel"] == {"reply": "cancelled", "after": "cancelled", "again": -32602}
    # The peer may poll once while the task is still working: only the end matters.
    assert report["boom"]["statuses"][-1] == "failed" and set(report["boom"]["statuses"]) <= {"working", "failed"}
    assert report["boom"]["error"] == -32050
    assert report["unknown"] == -32602
    assert report["listed"] == 5
    # our server asked their client to elicit as a task, polled it and fetched its result
    client_task = report["client_task"]
    assert client_task["action"] == "accept" and client_task["name"] == "Official task"
    assert client_task["final"] == "completed"
    assert "io.modelcontextprotocol/related-task" not in (client_task["meta"] or {})  # asked outside any task
    # ... and from inside a task: the elicitation carries _meta related-task = {"taskId": <the server's task>}
    nested = report["nested_client_task"]
    assert nested["statuses"][-1] == "completed"
    assert nested["report"]["task_id"] == nested["task_id"] and nested["report"]["name"] == "Official task"
    assert nested["meta"]["io.modelcontextprotocol/related-task"] == {"taskId": nested["task_id"]}
    nested = report["nested_sample_task"]
    assert nested["statuses"][-1] == "completed"
    assert nested["report"]["task_id"] == nested["task_id"] and nested["report"]["text"] == "official task"
    assert nested["meta"]["io.modelcontextprotocol/related-task"] == {"taskId": nested["task_id"]}
