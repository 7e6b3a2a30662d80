"""Verifying JWT access tokens (RFC 9068 profile, or any signed JWT with the usual claims).

:class:`JwtVerifier` checks the signature (a JWKS URL, a JWKS document, or a
static key), ``iss``, ``aud`` (the MCP server's resource URI: tokens for other
resources are refused -- no token passthrough), ``exp`` and ``nbf``. Scopes come
from ``scope`` (space-separated) or ``scp`` (a list). RS*/ES*/PS*/EdDSA keys
need ``cryptography`` (``mcp-sync[auth]``); HS* secrets work without it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Iterable, Mapping, Sequence

import requests

from ...auth import jose
from .verifier import AccessInfo, InvalidToken

__all__ = ["JwtVerifier"]

log = logging.getLogger("mcp_sync.server.auth")


def _comparable(uri: str) -> str:
    """A resource URI without fragment and one trailing slash (``https://x/mcp/`` == ``https://x/mcp``)."""
    uri = uri.split("#", 1)[0]
    return uri[:-1] if uri.endswith("/") else uri


class JwtVerifier:
    """Verify JWT access tokens issued by ``issuer`` for ``audience``.

    Keys: ``jwks_uri`` (fetched lazily, cached ``jwks_cache_seconds``, refetched
    at most every ``jwks_min_refresh_seconds`` when a token names an unknown
    ``kid``), or ``jwks`` (a JWKS dict), or ``key`` (PEM, JWK dict, key object,
    or ``bytes`` for HS*). ``audience``: one URI or several accepted ones.
    ``algorithms``: accepted ``alg`` values. ``leeway``: clock skew, seconds.
    ``required_claims``: must be present (default ``exp``). ``token_type``:
    when set (e.g. ``"at+jwt"``), the header ``typ`` must match.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Sequence[str],
        jwks_uri: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        key: Any = None,
        algorithms: Sequence[str] = ("RS256", "ES256"),
        leeway: float = 60.0,
        required_claims: Iterable[str] = ("exp",),
        token_type: str | None = None,
        jwks_cache_seconds: float = 3600.0,
        jwks_min_refresh_seconds: float = 30.0,
        timeout: float = 10.0,
        http: requests.Session | None = None,
    ) -> None:
        if sum(x is not None for x in (jwks_uri, jwks, key)) != 1:
            raise ValueError("pass exactly one of jwks_uri, jwks, key")
        if "none" in algorithms:
            raise ValueError("the 'none' algorithm is never accepted")
        self.issuer = issuer
        self.audiences = [audience] if isinstance(audience, str) else list(audience)
        self.jwks_uri = jwks_uri
        self.algorithms = tuple(algorithms)
        self.leeway = leeway
        self.required_claims = tuple(required_claims)
        self.token_type = token_type
        self.jwks_cache_seconds = jwks_cache_seconds
        self.jwks_min_refresh_seconds = jwks_min_refresh_seconds
        self.timeout = timeout
        self._http = http
        self._static_key = jose.load_public_key(key) if key is not None else None
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] = list((jwks or {}).get("keys", [])) if jwks is not None else []
        self._fetched_at = 0.0

    # -- keys --------------------------------------------------------------------------

    def _fetch_jwks(self) -> None:
        assert self.jwks_uri is not None
        http = self._http or requests
        try:
            response = http.get(self.jwks_uri, timeout=self.timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            doc = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("fetching the JWKS at %s failed: %s", self.jwks_uri, exc)
            return
        keys = doc.get("keys") if isinstance(doc, dict) else None
        if isinstance(keys, list):
            self._keys = [k for k in keys if isinstance(k, dict)]
            self._fetched_at = time.monotonic()

    def _candidates(self, header: Mapping[str, Any]) -> list[Any]:
        if self._static_key is not None:
            return [self._static_key]
        kid = header.get("kid")
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if self.jwks_uri is not None:
                stale = not self._keys or age > self.jwks_cache_seconds
                unknown_kid = kid is not None and not any(k.get("kid") == kid for k in self._keys)
                if stale or (unknown_kid and age > self.jwks_min_refresh_seconds):
                    self._fetch_jwks()
            keys = list(self._keys)
        alg = header.get("alg")
        found = []
        for jwk in keys:
            if kid is not None and jwk.get("kid") != kid:
                continue
            if jwk.get("use") not in (None, "sig") or (jwk.get("alg") not in (None, alg)):
                continue
            try:
                found.append(jose.public_key_from_jwk(jwk))
            except jose.JoseError:
                continue
        return found

    # -- verification ----------------------------------------------------------------------

    def verify(self, token: str) -> AccessInfo:
        try:
            header, _ = jose.decode_unverified(token)
        except jose.JoseError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        if self.token_type is not None and str(header.get("typ", "")).lower() not in (
                self.token_type.lower(), "application/" + self.token_type.lower()):
            raise InvalidToken("wrong token type")
        claims: dict[str, Any] | None = None
        for key in self._candidates(header):
            try:
                _, claims = jose.verify_jws(token, key, self.algorithms)
                break
            except jose.JoseError:
                continue
        if claims is None:
            raise InvalidToken("the token signature does not verify")
        return self.check_claims(claims)

    def check_claims(self, claims: Mapping[str, Any]) -> AccessInfo:
        now = time.time()
        for name in self.required_claims:
            if name not in claims:
                raise InvalidToken(f"the token has no {name!r} claim")
        if claims.get("iss") != self.issuer:
            raise InvalidToken("the token comes from another issuer")
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []
        wanted = {_comparable(a) for a in self.audiences}
        if not any(_comparable(a) in wanted for a in auds):
            raise InvalidToken("the token was not issued for this server")
        exp = claims.get("exp")
        if exp is not None:
            if not isinstance(exp, (int, float)) or now > exp + self.leeway:
                raise InvalidToken("the token has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and now + self.leeway < nbf:
            raise InvalidToken("the token is not valid yet")
        scope = claims.get("scope")
        if isinstance(scope, str):
            scopes = frozenset(scope.split())
        elif isinstance(claims.get("scp"), list):
            scopes = frozenset(str(s) for s in claims["scp"])
        elif isinstance(claims.get("scp"), str):
            scopes = frozenset(claims["scp"].split())
        else:
            scopes = frozenset()
        client_id = claims.get("client_id") or claims.get("azp")
        return AccessInfo(
            subject=claims.get("sub") if isinstance(claims.get("sub"), str) else None,
            scopes=scopes,
            expires_at=float(exp) if isinstance(exp, (int, float)) else None,
            claims=dict(claims),
            client_id=str(client_id) if client_id is not None else None,
        )
