"""An MCP client that authorizes with OAuth: the conformance harness's ``auth/*`` client scenarios.

Usage (the harness appends the server URL)::

    python examples/auth_client_scenarios.py http://localhost:PORT/mcp

Environment (set by the harness):

* ``MCP_CONFORMANCE_SCENARIO``: the scenario name (``auth/...``).
* ``MCP_CONFORMANCE_PROTOCOL_VERSION``: ``2025-11-25`` (initialize + session) or
  ``2026-07-28`` (stateless requests): both through ``mcp_sync.Client.http``.
* ``MCP_CONFORMANCE_CONTEXT``: JSON with what some scenarios hand the client
  (pre-registered credentials, a private key, ID tokens, workload JWTs).

Whatever the scenario, the client connects with :class:`OAuthClientAuth`,
lists the tools and calls the first one, and exits 0. It exits 1 with the error
on stderr when authorization is refused (which several scenarios expect).
The authorization step is headless: the authorization URL is fetched without
following redirects and ``code``, ``state`` and ``iss`` are read from ``Location``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync.client.auth import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    EnterpriseManagedGrant,
    HeadlessRedirectHandler,
    JwtBearerGrant,
    OAuthClientAuth,
    OAuthError,
)

# The client ID metadata document URL the harness expects (it is never fetched by the client).
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
REDIRECT_URI = "http://localhost:3000/callback"
CLIENT_INFO = {"name": "mcp-sync-auth-conformance", "version": "1.0.0"}


def build_auth(scenario: str, context: dict[str, Any]) -> OAuthClientAuth:
    """The OAuthClientAuth for a scenario, from the data in its context."""
    common: dict[str, Any] = {"client_name": "mcp-sync conformance client", "timeout": 15.0}
    if context.get("idp_id_token"):  # enterprise-managed authorization (SEP-990)
        grant = EnterpriseManagedGrant(
            context["idp_id_token"],
            idp_token_endpoint=context.get("idp_token_endpoint"),
            idp_issuer=context.get("idp_issuer"),
            idp_client_id=context.get("idp_client_id"),
        )
        return OAuthClientAuth(grant=grant, client_id=context["client_id"], client_secret=context.get("client_secret"),
                               **common)
    if context.get("valid_jwt"):  # workload identity federation: RFC 7523 JWT bearer
        return OAuthClientAuth(grant=JwtBearerGrant(context["valid_jwt"]), client_id=context.get("client_id"),
                               **common)
    if scenario.startswith("auth/client-credentials") or context.get("private_key_pem"):
        return OAuthClientAuth(
            grant=ClientCredentialsGrant(),
            client_id=context["client_id"],
            client_secret=context.get("client_secret"),
            private_key=context.get("private_key_pem"),
            signing_alg=context.get("signing_algorithm"),
            **common,
        )
    grant = AuthorizationCodeGrant(HeadlessRedirectHandler(REDIRECT_URI, timeout=15.0))
    return OAuthClientAuth(
        grant=grant,
        client_id=context.get("client_id"),
        client_secret=context.get("client_secret"),
        client_issuer=context.get("issuer"),
        client_metadata_url=CLIENT_METADATA_URL,
        **common,
    )


def run(url: str, auth: OAuthClientAuth, version: str) -> None:
    """tools/list + tools/call through mcp_sync.Client, whichever era ``version`` belongs to.

    ``protocol_version=`` pins the revision: 2025-11-25 and older open an
    ``initialize`` session; 2026-07-28 sends stateless requests (``server/discover``
    first). The same OAuth object authorizes both.
    """
    from mcp_sync import Client

    with Client.http(url, auth=auth, timeout=20.0, protocol_version=version, name=CLIENT_INFO["name"],
                     version=CLIENT_INFO["version"]) as client:
        print(f"connected: {client.era} era, protocol {client.protocol_version}")
        tools = client.list_tools()
        print(f"tools: {[t.name for t in tools]}")
        if tools:
            result = client.call_tool(tools[0].name, {})
            print(f"called {tools[0].name}: {result}")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(f"usage: {argv[0]} SERVER_URL", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if os.environ.get("MCP_AUTH_DEBUG") else logging.WARNING,
                        stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    url = argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION", "2025-11-25")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    auth = build_auth(scenario, context)
    try:
        run(url, auth, version)
    except OAuthError as exc:
        print(f"authorization failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the harness reads stderr
        print(f"failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        auth.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
