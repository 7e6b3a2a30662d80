"""Errors of the OAuth client.

All derive from :class:`OAuthError`, itself a ``requests.RequestException``, so
code (and transports) that handle ``requests`` failures handle these too.
"""

from __future__ import annotations

from typing import Any

import requests

from ...errors import AuthError

__all__ = [
    "AuthorizationDenied",
    "DiscoveryError",
    "IssuerMismatch",
    "MetadataMismatch",
    "OAuthError",
    "RegistrationError",
    "ResourceMismatch",
    "StateMismatch",
    "TokenError",
]


class OAuthError(requests.RequestException, AuthError):
    """Authorization with the MCP server's authorization server failed."""


class DiscoveryError(OAuthError):
    """Protected-resource or authorization-server metadata could not be found or used."""


class ResourceMismatch(DiscoveryError):
    """The protected-resource metadata names a resource other than the MCP server (RFC 9728 §3.3)."""


class MetadataMismatch(DiscoveryError):
    """Authorization-server metadata whose ``issuer`` is not the issuer it was fetched for (RFC 8414 §3.3)."""


class RegistrationError(OAuthError):
    """No usable client credentials: registration failed or is impossible."""


class AuthorizationDenied(OAuthError):
    """The authorization endpoint answered with an error (``error`` in the redirect)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(f"authorization failed: {error}" + (f" ({description})" if description else ""))


class IssuerMismatch(OAuthError):
    """The authorization response's ``iss`` is missing or differs from the issuer (RFC 9207)."""


class StateMismatch(OAuthError):
    """The authorization response's ``state`` is not the one sent (possible CSRF)."""


class TokenError(OAuthError):
    """The token endpoint refused a request (``error`` per RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str | None = None, status: int | None = None,
                 body: Any = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        self.body = body
        text = f"token request failed: {error}"
        if description:
            text += f" ({description})"
        if status is not None:
            text += f" [HTTP {status}]"
        super().__init__(text)
