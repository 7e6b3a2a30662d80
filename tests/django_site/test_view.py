"""McpView on its own: configuration errors, login_required, a body middleware already read, GET/DELETE, wsgi_response."""

from __future__ import annotations

import json

import pytest

from tests.django_site.test_django_test_client import ACCEPT, VERSION

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


@pytest.fixture
def factory(django_site):
    from django.test import RequestFactory

    return RequestFactory()


def post(factory, message, **headers):
    return factory.post("/mcp", json.dumps(message), content_type="application/json", HTTP_ACCEPT=ACCEPT, **headers)


def test_a_missing_or_wrong_server_setting_says_what_to_fix(factory):
    from django.test import override_settings

    from mcp_sync.integrations.django import McpView

    with override_settings(MCP_SYNC_SERVER=None):
        with pytest.raises(RuntimeError, match="settings.MCP_SYNC_SERVER is not set"):
            McpView()(post(factory, INITIALIZE))
    with override_settings(MCP_SYNC_SERVER="mcpsite.mcp.add"):
        with pytest.raises(TypeError, match="must be an mcp_sync.Server or its dotted path, not a function"):
            McpView()(post(factory, INITIALIZE))


def test_login_required_refuses_anonymous_requests(factory, django_site):
    from django.contrib.auth.models import AnonymousUser

    from mcp_sync.integrations.django import McpView
    from mcpsite.mcp import server

    view = McpView(server, login_required=True)
    try:
        request = post(factory, INITIALIZE)
        request.user = AnonymousUser()
        refused = view(request)
        assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Bearer"
        assert json.loads(refused.content)["error"]["code"] == -32600

        request = post(factory, INITIALIZE)
        request.user = django_site["users"]["alice"]
        answer = view(request)
        assert answer.status_code == 200 and json.loads(answer.content)["result"]["protocolVersion"] == VERSION
    finally:
        view.close()
        server.close()


def test_a_body_that_middleware_already_read_still_reaches_the_server(factory):
    from mcp_sync.integrations.django import McpView
    from mcpsite.mcp import server

    view = McpView(server)
    try:
        request = post(factory, INITIALIZE)
        assert json.loads(request.body)["method"] == "initialize"  # what a logging middleware might do
        answer = view(request)
        assert answer.status_code == 200, answer.content
        session_id = answer["Mcp-Session-Id"]

        # The session's GET stream is an SSE response; closing it (what Django does) releases it.
        stream = view(factory.get("/mcp", HTTP_ACCEPT="text/event-stream", HTTP_MCP_SESSION_ID=session_id,
                                  HTTP_MCP_PROTOCOL_VERSION=VERSION))
        assert stream.status_code == 200 and stream.streaming and stream["Content-Type"] == "text/event-stream"
        stream.close()
        ended = view(factory.delete("/mcp", HTTP_MCP_SESSION_ID=session_id, HTTP_MCP_PROTOCOL_VERSION=VERSION))
        assert ended.status_code == 200
        assert view.app.sessions() == []
    finally:
        view.close()
        server.close()


def test_wsgi_response_handles_late_start_and_drops_hop_by_hop_headers(django_site):
    from mcp_sync.integrations.django import wsgi_response

    closed = []

    class Body:
        def __init__(self, start_response):
            self.start_response = start_response

        def __iter__(self):
            self.start_response("201 Created", [("Content-Type", "text/plain"), ("Connection", "close"),
                                                ("X-Kept", "yes")])
            yield b"one "
            yield b"two"

        def close(self):
            closed.append(True)

    response = wsgi_response(lambda environ, start_response: Body(start_response), {})
    assert response.status_code == 201 and response["X-Kept"] == "yes" and not response.has_header("Connection")
    assert b"".join(response.streaming_content) == b"one two"
    response.close()
    assert closed == [True]

    def not_found(environ, start_response):
        start_response("404 Not Found", [])
        return [b"no"]

    listed = wsgi_response(not_found, {})
    assert listed.status_code == 404 and listed.content == b"no" and not listed.streaming
