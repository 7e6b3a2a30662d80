"""The MCP endpoint of the example Django site, driven with Django's own test client.

JSON-RPC by hand (the test client is not a socket, so no mcp_sync Client):
tools, an SSE-streamed call with progress, tasks bound to the logged-in user,
bearer tokens checked by a Django auth backend, and CSRF still guarding the
rest of the site.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client as DjangoClient

from tests.wire_schema import validate

ACCEPT = "application/json, text/event-stream"
VERSION = "2025-11-25"


def sse_messages(response) -> list[dict]:
    """The JSON-RPC messages of an SSE answer (read to its end; the response is closed)."""
    try:
        text = b"".join(response.streaming_content).decode()
    finally:
        response.close()
    messages = []
    for event in text.split("\n\n"):
        data = "\n".join(line[5:].lstrip() for line in event.splitlines() if line.startswith("data:"))
        if data:
            messages.append(json.loads(data))
    return messages


class McpSession:
    """One MCP session over a Django test client (legacy era: initialize, then calls with the session id)."""

    def __init__(self, http: DjangoClient, **headers: str) -> None:
        self.http = http
        self.headers = headers
        self.next_id = 0
        answer = self.post("initialize", {"protocolVersion": VERSION, "capabilities": {},
                                          "clientInfo": {"name": "django-test", "version": "1"}})
        assert answer.status_code == 200, answer.content
        self.session_id = answer["Mcp-Session-Id"]
        self.headers = {**headers, "HTTP_MCP_SESSION_ID": self.session_id, "HTTP_MCP_PROTOCOL_VERSION": VERSION}
        assert self.http.post("/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"},
                              content_type="application/json", HTTP_ACCEPT=ACCEPT, **self.headers).status_code == 202

    def post(self, method: str, params: dict):
        self.next_id += 1
        return self.http.post("/mcp", {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params},
                              content_type="application/json", HTTP_ACCEPT=ACCEPT, **self.headers)

    def call(self, method: str, params: dict) -> tuple[dict, list[dict]]:
        """The response to a request and the notifications streamed before it."""
        response = self.post(method, params)
        assert response.status_code == 200, getattr(response, "content", b"")
        if response.streaming:
            assert response["Content-Type"] == "text/event-stream"
            messages = sse_messages(response)
        else:
            messages = [json.loads(response.content)]
        assert "id" in messages[-1], messages
        return messages[-1], messages[:-1]

    def close(self) -> None:
        self.http.delete("/mcp", **self.headers)


@pytest.fixture
def logged_in(django_site, mcp_endpoint):
    """A factory of MCP sessions on test clients logged in as a user; all closed after the test."""
    sessions = []

    def make(username: str | None, *, csrf_checks: bool = False, **headers: str) -> McpSession:
        http = DjangoClient(enforce_csrf_checks=csrf_checks)
        if username is not None:
            http.force_login(django_site["users"][username])
        session = McpSession(http, **headers)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


def test_tools_through_the_django_view(logged_in):
    mcp = logged_in("alice")
    answer, _ = mcp.call("tools/list", {})
    assert {tool["name"] for tool in answer["result"]["tools"]} == {"add", "count", "report", "watch", "whoami"}
    validate(VERSION, "ListToolsResult", answer["result"])
    answer, _ = mcp.call("tools/call", {"name": "add", "arguments": {"a": 2, "b": 40}})
    assert answer["result"]["structuredContent"] == {"result": 42}
    answer, _ = mcp.call("tools/call", {"name": "add", "arguments": {"a": "two"}})
    assert answer["result"]["isError"] is True  # bad arguments: a tool error, and the session goes on
    answer, _ = mcp.call("tools/call", {"name": "nope", "arguments": {}})
    assert answer["error"]["code"] == -32602
    answer, _ = mcp.call("tools/call", {"name": "whoami", "arguments": {}})
    assert answer["result"]["content"][0]["text"] == "alice"  # request.user, inside the tool
    answer, _ = logged_in(None).call("tools/call", {"name": "whoami", "arguments": {}})
    assert answer["result"]["content"][0]["text"] == "anonymous"


def test_a_call_streams_its_progress_over_sse(logged_in):
    mcp = logged_in("alice")
    answer, notifications = mcp.call("tools/call", {"name": "count", "arguments": {"n": 3},
                                                    "_meta": {"progressToken": "p1"}})
    assert answer["result"]["structuredContent"] == {"result": 3}
    progress = [n["params"] for n in notifications if n.get("method") == "notifications/progress"]
    assert [(p["progressToken"], p["progress"], p["total"]) for p in progress] == [("p1", 1, 3), ("p1", 2, 3),
                                                                                   ("p1", 3, 3)]
    assert progress[0]["message"] == "step 1 of 3"


def test_a_task_belongs_to_the_logged_in_user(logged_in):
    alice, bob = logged_in("alice"), logged_in("bob")
    created, _ = alice.call("tools/call", {"name": "report", "arguments": {"title": "q3"}, "task": {"ttl": 60_000}})
    task_id = created["result"]["task"]["taskId"]
    validate(VERSION, "CreateTaskResult", created["result"])

    refused, _ = bob.call("tasks/get", {"taskId": task_id})
    assert refused["error"]["code"] == -32602 and "not found" in refused["error"]["message"].lower()
    listed, _ = bob.call("tasks/list", {})
    assert task_id not in [t["taskId"] for t in listed["result"]["tasks"]]
    refused, _ = bob.call("tasks/cancel", {"taskId": task_id})
    assert "error" in refused

    # The task is bound to alice, not to her session: another session of hers fetches it.
    again = logged_in("alice")
    result, _ = again.call("tasks/result", {"taskId": task_id})
    assert result["result"]["content"][0]["text"] == "report 'q3' is ready"
    listed, _ = again.call("tasks/list", {})
    assert task_id in [t["taskId"] for t in listed["result"]["tasks"]]


def test_bearer_tokens_checked_by_a_django_auth_backend(logged_in):
    alice = logged_in(None, HTTP_AUTHORIZATION="Bearer alice-token")
    created, _ = alice.call("tools/call", {"name": "report", "arguments": {"title": "t"}, "task": {"ttl": 60_000}})
    task_id = created["result"]["task"]["taskId"]
    # The same user logged in with a session sees the task made with her token.
    result, _ = logged_in("alice").call("tasks/result", {"taskId": task_id})
    assert result["result"]["content"][0]["text"] == "report 't' is ready"
    refused, _ = logged_in(None, HTTP_AUTHORIZATION="Bearer bob-token").call("tasks/get", {"taskId": task_id})
    assert "error" in refused

    bad = DjangoClient().post("/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"}, content_type="application/json",
                              HTTP_ACCEPT=ACCEPT, HTTP_AUTHORIZATION="Bearer wrong")
    assert bad.status_code == 401 and "invalid_token" in bad["WWW-Authenticate"]
    assert bad.json()["error"]["code"] == -32600


def test_csrf_is_off_for_mcp_only(django_site, logged_in):
    # The MCP view needs no CSRF token, even with checks enforced...
    mcp = logged_in("alice", csrf_checks=True)
    answer, _ = mcp.call("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
    assert answer["result"]["structuredContent"] == {"result": 2}
    # ...while the rest of the site still refuses a POST without one.
    http = DjangoClient(enforce_csrf_checks=True)
    http.force_login(django_site["users"]["alice"])
    assert http.post("/note/", {"text": "hi"}).status_code == 403
    page = http.get("/note/")
    token = page.cookies["csrftoken"].value
    answer = http.post("/note/", {"text": "hi", "csrfmiddlewaretoken": token})
    assert answer.status_code == 200 and answer.content == b"noted: hi"


def test_browsers_from_other_origins_are_refused(logged_in, django_site):
    http = DjangoClient()
    http.force_login(django_site["users"]["alice"])
    message = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    evil = http.post("/mcp", message, content_type="application/json", HTTP_ACCEPT=ACCEPT,
                     HTTP_ORIGIN="http://evil.example")
    assert evil.status_code == 403 and "evil.example" in evil.json()["error"]["message"]
    same = http.post("/mcp", {**message, "method": "initialize", "params": {
        "protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "b", "version": "1"}}},
        content_type="application/json", HTTP_ACCEPT=ACCEPT, HTTP_ORIGIN="http://testserver")
    assert same.status_code == 200
    http.delete("/mcp", HTTP_MCP_SESSION_ID=same["Mcp-Session-Id"])
    assert DjangoClient().post("/mcp", message, content_type="application/json",
                               HTTP_HOST="evil.example").status_code == 400  # Django's ALLOWED_HOSTS


def test_the_site_pages_still_work(django_site):
    http = DjangoClient()
    assert b"Log in" in http.get("/").content
    http.force_login(django_site["users"]["bob"])
    page = http.get("/").content.decode()
    assert "Hello, bob." in page and "http://testserver/mcp" in page
