"""A Flask application whose MCP endpoint requires an OAuth access token (a JWT).

The MCP server is an OAuth resource server: its tokens come from an
authorization server you already run (Keycloak, Auth0, Entra ID, Okta...).
The app

* serves its protected-resource metadata (RFC 9728) at
  ``/.well-known/oauth-protected-resource/mcp``, naming that authorization server;
* answers requests to ``/mcp`` without a valid token with **401** and
  ``WWW-Authenticate: Bearer resource_metadata="...", scope="mcp:read"`` -- MCP
  clients (e.g. ``mcp_sync.client.auth.OAuthClientAuth``) discover everything from there;
* checks every token with :class:`~mcp_sync.server.auth.JwtVerifier`: signature
  (the issuer's JWKS), issuer, audience (= this server: tokens for other services
  are refused), expiry;
* needs ``mcp:write`` for the ``add_note`` tool: a token without it gets **403**
  ``insufficient_scope`` and the client re-authorizes with more scopes (step-up).

Configuration (environment): ``MCP_RESOURCE`` (this endpoint's public URL,
default ``http://127.0.0.1:8000/mcp``), ``MCP_AUTH_ISSUER`` (the authorization
server), ``MCP_AUTH_JWKS_URI`` (default ``<issuer>/.well-known/jwks.json``)::

    MCP_AUTH_ISSUER=https://auth.example.com/realms/demo \\
        gunicorn -k gthread --threads 8 -w 1 -b 127.0.0.1:8000 examples.flask_auth_app:app

A client::

    from mcp_sync import Client
    from mcp_sync.client.auth import OAuthClientAuth, LoopbackRedirectHandler

    with LoopbackRedirectHandler() as browser:
        auth = OAuthClientAuth(redirect_handler=browser)
        with Client.http("http://127.0.0.1:8000/mcp", auth=auth) as client:
            print(client.call_tool("whoami", {}))

Tool handlers find the verified token as ``request.extra["auth"]`` (an
:class:`~mcp_sync.server.auth.AccessInfo`: ``subject``, ``scopes``,
``expires_at``, ``claims``), put there from ``environ["mcp_sync.auth"]``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from flask import Flask, jsonify
from werkzeug.middleware.dispatcher import DispatcherMiddleware

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Server
from mcp_sync.errors import INVALID_PARAMS, McpError
from mcp_sync.server.auth import (
    AUTH_ENVIRON_KEY,
    BearerAuthMiddleware,
    JwtVerifier,
    ProtectedResourceMetadata,
    TokenVerifier,
    scope_rules,
)

RESOURCE = os.environ.get("MCP_RESOURCE", "http://127.0.0.1:8000/mcp")
ISSUER = os.environ.get("MCP_AUTH_ISSUER", "http://127.0.0.1:9000")
JWKS_URI = os.environ.get("MCP_AUTH_JWKS_URI") or ISSUER.rstrip("/") + "/.well-known/jwks.json"

READ, WRITE = "mcp:read", "mcp:write"

TOOLS = [
    {"name": "whoami", "description": "Who the access token speaks for.", "inputSchema": {"type": "object"}},
    {"name": "add_note", "description": "Store a note (needs the mcp:write scope).",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
]


class NotesServer(Server):
    def capabilities(self) -> dict[str, Any]:
        return {"tools": {}}


def build_server() -> Server:
    """The MCP server (on the low-level method API)."""
    server = NotesServer("flask-auth-demo", version="1.0")
    notes: list[dict[str, Any]] = []
    lock = threading.Lock()

    @server.method("tools/list")
    def list_tools(connection: Any, request: Any) -> dict:
        return {"tools": TOOLS}

    @server.method("tools/call")
    def call_tool(connection: Any, request: Any) -> dict:
        name = request.params.get("name")
        args = request.params.get("arguments") or {}
        access = request.extra.get("auth")  # AccessInfo from environ["mcp_sync.auth"]
        subject = getattr(access, "subject", None)
        if name == "whoami":
            info = {"subject": subject, "scopes": sorted(getattr(access, "scopes", ()))}
            return {"content": [{"type": "text", "text": json.dumps(info)}], "structuredContent": info}
        if name == "add_note":
            with lock:
                notes.append({"by": subject, "text": str(args.get("text", ""))})
                count = len(notes)
            return {"content": [{"type": "text", "text": f"{count} note(s) stored"}]}
        raise McpError(INVALID_PARAMS, f"unknown tool {name!r}")

    return server


def create_app(*, resource: str = RESOURCE, issuer: str = ISSUER, verifier: TokenVerifier | None = None) -> Flask:
    """The Flask app; ``verifier`` defaults to a :class:`JwtVerifier` for ``issuer``'s JWKS."""
    if verifier is None:
        verifier = JwtVerifier(issuer=issuer, audience=resource, jwks_uri=JWKS_URI)
    metadata = ProtectedResourceMetadata(resource=resource, authorization_servers=[issuer],
                                         scopes_supported=[READ, WRITE], resource_name="Flask MCP notes demo")
    mcp = build_server()
    mcp_app = mcp.wsgi_app(path="/")

    app = Flask(__name__)

    @app.get(metadata.paths[0])
    def protected_resource_metadata():
        response = jsonify(metadata.to_dict())
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.get("/")
    def index():
        return jsonify(service="flask-auth-demo", mcp_endpoint="/mcp", resource_metadata=metadata.url)

    guarded = BearerAuthMiddleware(
        mcp_app, verifier,
        resource_metadata_url=metadata.url,
        required_scopes=[READ],
        scopes_for=scope_rules(tools={"add_note": [WRITE]}),
    )
    # /mcp is the root of the mounted MCP app (SCRIPT_NAME="/mcp", PATH_INFO="").
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/mcp": guarded})  # type: ignore[method-assign]
    app.extensions["mcp_app"] = mcp_app  # call .close() on shutdown
    app.extensions["mcp_auth_key"] = AUTH_ENVIRON_KEY
    return app


app = create_app()

if __name__ == "__main__":
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", 8000, app, threaded=True)
