"""OAuth 2.1 authorization for MCP clients (the MCP authorization spec).

:class:`OAuthClientAuth` is a ``requests`` authentication object: pass it to
``Client.http(url, auth=...)`` (or any ``requests`` call) and it discovers the
authorization server, registers, gets and refreshes tokens, handles step-up and
DPoP, and retries the request.

>>> from mcp_sync import Client
>>> from mcp_sync.client.auth import OAuthClientAuth, LoopbackRedirectHandler, JsonFileTokenStorage
>>> with LoopbackRedirectHandler() as browser:                      # doctest: +SKIP
...     auth = OAuthClientAuth(redirect_handler=browser,
...                            storage=JsonFileTokenStorage("~/.config/my-app/tokens.json"))
...     with Client.http("https://mcp.example.com/mcp", auth=auth) as client:
...         print(client.list_tools())

Machine-to-machine: ``OAuthClientAuth(grant=ClientCredentialsGrant(), client_id=..., client_secret=...)``.
JWT signing (``private_key_jwt``, DPoP) needs ``pip install 'mcp-sync[auth]'``.
"""

from .challenges import Challenge, find_challenge, parse_www_authenticate
from .discovery import (
    AuthorizationServerMetadata,
    DiscoveryResult,
    as_metadata_urls,
    canonical_resource,
    discover,
    prm_urls,
    resource_allowed,
)
from .dpop import DPoPKey, NonceCache
from .errors import (
    AuthorizationDenied,
    DiscoveryError,
    IssuerMismatch,
    MetadataMismatch,
    OAuthError,
    RegistrationError,
    ResourceMismatch,
    StateMismatch,
    TokenError,
)
from .grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    EnterpriseManagedGrant,
    Grant,
    GrantContext,
    JwtBearerGrant,
)
from .oauth import OAuthClientAuth
from .pkce import Pkce, code_challenge, new_code_verifier
from .redirect import HeadlessRedirectHandler, LoopbackRedirectHandler
from .registration import application_type_for, client_metadata_document, register_client
from .storage import ClientInfo, InMemoryTokenStorage, JsonFileTokenStorage, TokenSet, TokenStorage

__all__ = [
    "AuthorizationCodeGrant",
    "AuthorizationDenied",
    "AuthorizationServerMetadata",
    "Challenge",
    "ClientCredentialsGrant",
    "ClientInfo",
    "DPoPKey",
    "DiscoveryError",
    "DiscoveryResult",
    "EnterpriseManagedGrant",
    "Grant",
    "GrantContext",
    "HeadlessRedirectHandler",
    "InMemoryTokenStorage",
    "IssuerMismatch",
    "JsonFileTokenStorage",
    "JwtBearerGrant",
    "LoopbackRedirectHandler",
    "MetadataMismatch",
    "NonceCache",
    "OAuthClientAuth",
    "OAuthError",
    "Pkce",
    "RegistrationError",
    "ResourceMismatch",
    "StateMismatch",
    "TokenError",
    "TokenSet",
    "TokenStorage",
    "application_type_for",
    "as_metadata_urls",
    "canonical_resource",
    "client_metadata_document",
    "code_challenge",
    "discover",
    "find_challenge",
    "new_code_verifier",
    "parse_www_authenticate",
    "prm_urls",
    "register_client",
    "resource_allowed",
]
