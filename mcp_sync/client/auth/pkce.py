"""PKCE (RFC 7636) with the ``S256`` method, and ``state`` values."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ...auth.jose import b64url_encode

__all__ = ["Pkce", "code_challenge", "new_code_verifier", "new_state"]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def new_code_verifier(length: int = 64) -> str:
    """A random code verifier of ``length`` (43..128) unreserved characters."""
    if not 43 <= length <= 128:
        raise ValueError("a PKCE code verifier has 43 to 128 characters")
    verifier = secrets.token_urlsafe(length)[:length]  # [A-Za-z0-9_-], ~6 bits per character
    return verifier


def code_challenge(verifier: str) -> str:
    """The ``S256`` challenge: BASE64URL(SHA256(ASCII(verifier)))."""
    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _UNRESERVED:
        raise ValueError("not a valid PKCE code verifier")
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Pkce:
    """A verifier and its S256 challenge."""

    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def generate(cls) -> "Pkce":
        verifier = new_code_verifier()
        return cls(verifier, code_challenge(verifier))
