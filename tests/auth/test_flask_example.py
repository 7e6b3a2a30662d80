"""examples/flask_auth_app.py end to end: mcp_sync.Client.http + OAuthClientAuth against the Flask app
(JwtVerifier on the mock authorization server's JWKS), over real HTTP on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from mcp_sync import Client
from mcp_sync.client.auth import parse_www_authenticate
from mcp_sync.server.auth import JwtVerifier
from tests.auth.mock_servers import MockAuthServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_auth_app.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("flask_auth_app_under_test", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def flask_app():
    example = _load_example()
    auth_server = MockAuthServer().start()
    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], threaded=True)
    resource = f"http://127.0.0.1:{server.server_port}/mcp"
    verifier = JwtVerifier(issuer=auth_server.issuer, audience=resource, jwks_uri=auth_server.url + "/jwks")
    app = example.create_app(resource=resource, issuer=auth_server.issuer, verifier=verifier)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="flask-auth-example", daemon=True)
    thread.start()
    try:
        yield resource, auth_server
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        app.extensions["mcp_app"].close()
        auth_server.stop()


def test_unauthenticated_requests_get_the_challenge(flask_app):
    resource, auth_server = flask_app
    response = requests.post(resource, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
                             timeout=5)
    assert response.status_code == 401
    [challenge] = parse_www_authenticate(response.headers["WWW-Authenticate"])
    base = resource.rsplit("/mcp", 1)[0]
    assert challenge.resource_metadata == base + "/.well-known/oauth-protected-resource/mcp"
    assert challenge.scope == ["mcp:read"]
    doc = requests.get(challenge.resource_metadata, timeout=5).json()
    assert doc["resource"] == resource and doc["authorization_servers"] == [auth_server.issuer]
    assert requests.get(base + "/", timeout=5).json()["mcp_endpoint"] == "/mcp"


def test_client_authorizes_and_steps_up(flask_app, make_auth):
    resource, auth_server = flask_app
    auth = make_auth()
    with Client.http(resource, auth=auth, timeout=20) as client:
        names = [tool.name for tool in client.list_tools()]
        assert names == ["whoami", "add_note"]
        who = client.call_tool("whoami", {})
        assert not who.is_error
        added = client.call_tool("add_note", {"text": "hello"})  # needs mcp:write: 403, step-up, retry
        assert not added.is_error
    scopes = [r.query.get("scope") for r in auth_server.authorization_requests]
    assert scopes == ["mcp:read", "mcp:read mcp:write"]
    assert auth.tokens.scopes == ["mcp:read", "mcp:write"]
    assert len(auth_server.registrations) == 1
