"""DPoP (RFC 9449): sender-constrained tokens.

A :class:`DPoPKey` signs one fresh proof JWT per HTTP request (``typ`` ``dpop+jwt``,
the public JWK in the header; claims ``jti``, ``htm``, ``htu``, ``iat``, plus
``ath`` when presenting an access token and ``nonce`` when a server asked for
one). :class:`NonceCache` remembers the latest ``DPoP-Nonce`` per server origin.
Needs the ``cryptography`` package (``mcp-sync[auth]``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ...auth import jose

__all__ = ["DPoPKey", "NonceCache", "access_token_hash", "htu_of"]


def htu_of(url: str) -> str:
    """The ``htu`` of a request URL: without query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url SHA-256 of the ASCII access token."""
    return jose.b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())


class DPoPKey:
    """A key pair for DPoP proofs (a new P-256 key unless one is given)."""

    def __init__(self, private_key: Any = None, alg: str | None = None) -> None:
        if private_key is None:
            alg = alg or "ES256"
            private_key = jose.generate_private_key(alg)
        else:
            private_key = jose.load_private_key(private_key)
        self.private_key = private_key
        self.alg = alg or jose.default_alg(private_key)
        if self.alg not in jose.ASYMMETRIC_ALGORITHMS:
            raise jose.JoseError(f"DPoP needs an asymmetric algorithm, not {self.alg!r}")
        self.public_jwk = jose.public_jwk(private_key)
        self.thumbprint = jose.jwk_thumbprint(self.public_jwk)

    def proof(self, method: str, url: str, *, access_token: str | None = None, nonce: str | None = None,
              iat: int | None = None) -> str:
        """A fresh proof for one request (``method`` ``url``)."""
        claims: dict[str, Any] = {
            "jti": jose.new_jti(),
            "htm": method.upper(),
            "htu": htu_of(url),
            "iat": int(time.time()) if iat is None else iat,
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is not None:
            claims["nonce"] = nonce
        return jose.sign_jwt(claims, self.private_key, self.alg, {"typ": "dpop+jwt", "jwk": self.public_jwk})

    def private_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM (to persist it with the tokens bound to it)."""
        from cryptography.hazmat.primitives import serialization

        pem: str = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return pem


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class NonceCache:
    """The latest ``DPoP-Nonce`` each server (origin) sent."""

    def __init__(self) -> None:
        self._nonces: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> str | None:
        with self._lock:
            return self._nonces.get(_origin(url))

    def update(self, url: str, headers: Any) -> str | None:
        """Record the ``DPoP-Nonce`` of a response (``headers`` of ``requests``); returns it."""
        nonce = headers.get("DPoP-Nonce") if headers is not None else None
        if nonce:
            with self._lock:
                self._nonces[_origin(url)] = nonce
        return nonce
