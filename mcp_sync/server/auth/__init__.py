"""An MCP server as an OAuth 2.1 resource server (the MCP authorization spec, server side).

* :class:`TokenVerifier` hook: ``verify(token) -> AccessInfo(subject, scopes, expires_at, claims)``;
  :class:`JwtVerifier` checks JWT access tokens (issuer, audience = this server, expiry;
  JWKS URL, JWKS or a static key); :class:`StaticTokenVerifier` for tests.
* :class:`ProtectedResourceMetadata` (RFC 9728) and :class:`ProtectedResourceMetadataApp`
  serving it at its well-known URL.
* :class:`BearerAuthMiddleware`: 401 with ``WWW-Authenticate: Bearer resource_metadata=...,
  scope=...``, 403 ``insufficient_scope``, and the verified :class:`AccessInfo` in
  ``environ["mcp_sync.auth"]`` (handlers see it as ``request.extra["auth"]``).
* :func:`protect`: all of it around a WSGI app in one call.

>>> from mcp_sync.server.auth import JwtVerifier, protect                    # doctest: +SKIP
>>> app = protect(server.wsgi_app(),                                          # doctest: +SKIP
...               JwtVerifier(issuer=ISSUER, audience=RESOURCE, jwks_uri=ISSUER + "/jwks"),
...               resource=RESOURCE, authorization_servers=[ISSUER], scopes_supported=["mcp"])
"""

from .jwt import JwtVerifier
from .metadata import PRM_WELL_KNOWN, ProtectedResourceMetadata, ProtectedResourceMetadataApp, metadata_url_for
from .middleware import AUTH_ENVIRON_KEY, BearerAuthMiddleware, protect, scope_rules, www_authenticate
from .verifier import AccessInfo, InvalidToken, StaticTokenVerifier, TokenVerifier

__all__ = [
    "AUTH_ENVIRON_KEY",
    "AccessInfo",
    "BearerAuthMiddleware",
    "InvalidToken",
    "JwtVerifier",
    "PRM_WELL_KNOWN",
    "ProtectedResourceMetadata",
    "ProtectedResourceMetadataApp",
    "StaticTokenVerifier",
    "TokenVerifier",
    "metadata_url_for",
    "protect",
    "scope_rules",
    "www_authenticate",
]
