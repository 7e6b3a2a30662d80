"""Token verification hook of an MCP server acting as an OAuth resource server.

A verifier is anything with ``verify(token) -> AccessInfo``; it raises
:class:`InvalidToken` (or returns None) for a token it does not accept. The
middleware then answers 401; scopes are checked by the middleware (403).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

from ...errors import AuthError

__all__ = ["AccessInfo", "InvalidToken", "StaticTokenVerifier", "TokenVerifier"]


class InvalidToken(AuthError):
    """The access token is malformed, expired, revoked, or not for this server."""

    def __init__(self, description: str = "invalid access token") -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class AccessInfo:
    """Who a verified access token speaks for, and what it allows.

    ``subject`` (the ``sub`` claim: the user or the client), ``scopes``,
    ``expires_at`` (epoch seconds or None), ``claims`` (everything the token or
    the introspection said), ``client_id`` when known.
    """

    subject: str | None
    scopes: frozenset[str] = frozenset()
    expires_at: float | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    client_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.scopes, frozenset):
            object.__setattr__(self, "scopes", frozenset(self.scopes))

    def has_scopes(self, scopes: Iterable[str]) -> bool:
        return set(scopes) <= self.scopes

    def expired(self, leeway: float = 0.0) -> bool:
        return self.expires_at is not None and time.time() > self.expires_at + leeway


@runtime_checkable
class TokenVerifier(Protocol):
    def verify(self, token: str) -> AccessInfo | None: ...


class StaticTokenVerifier:
    """Accepts a fixed set of tokens (tests, development, service-to-service secrets).

    ``tokens`` maps each token to its :class:`AccessInfo` (or to a list of scopes).
    """

    def __init__(self, tokens: Mapping[str, AccessInfo | Iterable[str]]) -> None:
        self._tokens: dict[str, AccessInfo] = {}
        for token, info in tokens.items():
            if not isinstance(info, AccessInfo):
                info = AccessInfo(subject=None, scopes=frozenset(info))
            self._tokens[token] = info

    def verify(self, token: str) -> AccessInfo:
        for known, info in self._tokens.items():
            if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                return info
        raise InvalidToken("unknown access token")
