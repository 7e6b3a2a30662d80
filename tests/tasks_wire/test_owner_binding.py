"""Tasks belong to their requestor: another session (or another authenticated subject) cannot see them.

Over HTTP: two sessions of one server; and behind the bearer middleware, two
subjects (a second session of the *same* subject does see them). Over stdio a
connection is its own server process, so isolation is structural; what is
checked there is that the connection's tasks end with it.
"""

from __future__ import annotations

import pytest

from mcp_sync import Client, McpError
from mcp_sync.http import HttpServerHandle
from mcp_sync.server.auth import AccessInfo, StaticTokenVerifier, protect
from mcp_sync.tasks import ANY_OWNER, TaskNotFound
from tests.tasks_wire.conftest import Harness
from tests.tasks_wire.task_server import build_server


def error_of(call) -> tuple[int, str]:
    with pytest.raises(McpError) as info:
        call()
    return info.value.code, info.value.message


def assert_invisible(client: Client, task_id: str) -> None:
    unknown = {method: error_of(lambda: client.request(method, {"taskId": "never-existed"}))
               for method in ("tasks/get", "tasks/result", "tasks/cancel")}
    for method in ("tasks/get", "tasks/result", "tasks/cancel"):
        # exactly the answer for an id that never existed: nothing leaks
        assert error_of(lambda: client.request(method, {"taskId": task_id})) == unknown[method]
        assert unknown[method][0] == -32602
    assert task_id not in [t.task_id for t in client.list_tasks()]


def test_second_http_session_cannot_touch_the_first_sessions_tasks(http_harness):
    h = http_harness()
    alice = h.client()
    mallory = h.client()
    task = alice.call_tool_as_task("block", {"name": "owner-gate"})
    assert_invisible(mallory, task.task_id)
    assert task.status().status == "working"  # mallory's cancel did nothing
    assert [t.task_id for t in alice.list_tasks()] == [task.task_id]
    alice.call_tool("release", {"name": "owner-gate"})
    assert task.result(timeout=30).content[0].text == "released owner-gate"
    assert_invisible(mallory, task.task_id)


def test_session_bound_tasks_end_with_their_session(http_harness):
    h = http_harness()
    alice = h.client()
    task = alice.call_tool_as_task("block", {"name": "never-opens"})
    done = h.client().call_tool_as_task("echo", {"text": "x"})  # another session's task is untouched
    done.result(timeout=30)
    alice.close()  # DELETE: the session ends; its tasks are cancelled (the handler sees it) and dropped
    observer = h.clients[-1]
    seen = observer.call_tool("cancels_seen", {"wait_for": task.task_id}).structured_content["result"]
    assert task.task_id in seen
    with pytest.raises(TaskNotFound):
        h.server.tasks.store.get(task.task_id, ANY_OWNER)
    assert done.status().status == "completed"


def test_stdio_connection_tasks_are_cancelled_when_it_ends():
    h = Harness("stdio")
    client = h.client()
    task = client.call_tool_as_task("block", {"name": "forever"})
    assert task.status().status == "working"
    client.close()  # the server process cancels the task, then exits (it would hang if the task kept running)
    assert client.transport.process.wait(timeout=30) == 0
    h.close()


class _Protected:
    """The bearer-protected app, shaped like an McpWsgiApp for HttpServerHandle."""

    def __init__(self, app, wrapped) -> None:
        self.path = app.path
        self._app = app
        self._wrapped = wrapped

    def __call__(self, environ, start_response):
        return self._wrapped(environ, start_response)

    def close(self) -> None:
        self._app.close()


@pytest.fixture
def protected_server():
    server = build_server()
    app = server.wsgi_app()
    tokens = {
        "tok-alice": AccessInfo(subject="alice", scopes=frozenset({"mcp"})),
        "tok-alice-laptop": AccessInfo(subject="alice", scopes=frozenset({"mcp"})),
        "tok-bob": AccessInfo(subject="bob", scopes=frozenset({"mcp"})),
    }
    handle = HttpServerHandle(_Protected(app, protect(app, StaticTokenVerifier(tokens),
                                                      resource="http://127.0.0.1/mcp",
                                                      authorization_servers=["https://auth.example"])))
    clients: list[Client] = []

    def connect(token: str, **kwargs) -> Client:
        kwargs.setdefault("protocol_version", "2025-11-25")
        client = Client.http(handle.url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        clients.append(client)
        return client.open()

    yield server, connect
    for client in clients:
        client.close()
    handle.stop()
    server.close()


def test_authenticated_subjects_own_their_tasks(protected_server):
    server, connect = protected_server
    alice = connect("tok-alice")
    bob = connect("tok-bob")
    task = alice.call_tool_as_task("block", {"name": "auth-gate"})
    assert_invisible(bob, task.task_id)
    # the same subject in another session (another token, another Mcp-Session-Id) may use it
    laptop = connect("tok-alice-laptop")
    assert laptop.get_task(task.task_id).status == "working"
    assert task.task_id in [t.task_id for t in laptop.list_tasks()]
    pending = laptop.nowait.get_task_result(task.task_id)
    alice.call_tool("release", {"name": "auth-gate"})
    assert pending.result(timeout=30).content[0].text == "released auth-gate"
    # bound to the subject, not the session: alice's first session ending changes nothing
    task2 = alice.call_tool_as_task("echo", {"text": "kept"})
    task2.result(timeout=30)
    alice.close()
    assert laptop.get_task(task2.task_id).status == "completed"
    assert_invisible(bob, task2.task_id)


def test_subject_bound_input_request_reaches_another_session(protected_server):
    _, connect = protected_server
    alice = connect("tok-alice", elicitation=lambda params: {"action": "accept", "content": {"name": "gone"}})
    task_id = alice.call_tool_as_task("ask_after", {"name": "subject-gate"}).task_id
    alice.close()  # the session that created the task is gone before the task asks
    laptop = connect("tok-alice-laptop",
                     elicitation=lambda params: {"action": "accept", "content": {"name": "laptop"}})
    laptop.call_tool("release", {"name": "subject-gate"})
    # the question waits for a tasks/result of the same subject, and goes on its stream
    assert laptop.get_task_result(task_id, timeout=30).content[0].text == "after subject-gate: laptop"


def test_stateless_http_needs_an_authenticated_owner():
    from tests.http.raw import RawSession, SseReader

    server = build_server()
    handle = server.start_http(stateless=True)
    try:
        raw = RawSession(handle.url, initialize=False)
        raw.version = "2025-11-25"
        raw.session_id = None
        response = raw.post({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                             "params": {"name": "echo", "arguments": {"text": "x"}, "task": {}}},
                            headers={"MCP-Protocol-Version": "2025-11-25"}, stream=True)
        if response.headers["Content-Type"].startswith("application/json"):
            answer = response.json()
        else:
            answer = SseReader(response).until(lambda m: m.get("id") == 7)[-1]
        raw.close()
        assert answer["error"]["code"] == -32600 and "authenticated" in answer["error"]["message"]
    finally:
        handle.stop()
        server.close()
