"""Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2, OIDC Core §9).

Methods: ``client_secret_basic``, ``client_secret_post``, ``none`` (public
client), ``private_key_jwt`` and ``client_secret_jwt``.
"""

from __future__ import annotations

import base64
import time
from typing import Any, Iterable, MutableMapping
from urllib.parse import quote

from ...auth import jose
from .errors import OAuthError
from .storage import ClientInfo

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "SUPPORTED_METHODS",
    "apply_client_auth",
    "choose_auth_method",
    "client_assertion",
]

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SUPPORTED_METHODS = ("client_secret_basic", "client_secret_post", "none", "private_key_jwt", "client_secret_jwt")


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: each part form-urlencoded before joining with ':'.
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def client_assertion(client_id: str, audience: str, key: Any, alg: str, *, key_id: str | None = None,
                     lifetime: int = 300) -> str:
    """A JWT client assertion: ``iss`` = ``sub`` = client_id, ``aud`` = the authorization server."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime,
              "jti": jose.new_jti()}
    headers: dict[str, Any] = {"typ": "JWT"}
    if key_id:
        headers["kid"] = key_id
    return jose.sign_jwt(claims, key, alg, headers)


def choose_auth_method(client: ClientInfo, supported: Iterable[str] | None, *, has_private_key: bool) -> str:
    """The token endpoint auth method to use with ``client``.

    The method fixed at registration wins; otherwise the best the server supports
    for the credentials at hand (``private_key_jwt`` with a key, then
    ``client_secret_basic``, ``client_secret_post``), ``none`` for public clients.
    ``supported`` None means the server did not say (RFC 8414 default: basic).
    """
    if client.token_endpoint_auth_method:
        return client.token_endpoint_auth_method
    methods = list(supported) if supported is not None else ["client_secret_basic"]
    if has_private_key and "private_key_jwt" in methods:
        return "private_key_jwt"
    if client.client_secret:
        for method in ("client_secret_basic", "client_secret_post"):
            if method in methods:
                return method
        if "none" in methods:
            return "none"
        return "client_secret_basic"
    return "none"


def apply_client_auth(
    method: str,
    client: ClientInfo,
    data: MutableMapping[str, str],
    headers: MutableMapping[str, str],
    *,
    audience: str,
    private_key: Any = None,
    signing_alg: str | None = None,
    key_id: str | None = None,
) -> None:
    """Add ``client``'s authentication for ``method`` to a token request (in place)."""
    if method == "client_secret_basic":
        if not client.client_secret:
            raise OAuthError("client_secret_basic needs a client secret")
        headers["Authorization"] = _basic(client.client_id, client.client_secret)
        data.pop("client_id", None)
    elif method == "client_secret_post":
        if not client.client_secret:
            raise OAuthError("client_secret_post needs a client secret")
        data["client_id"] = client.client_id
        data["client_secret"] = client.client_secret
    elif method == "none":
        data["client_id"] = client.client_id
    elif method == "private_key_jwt":
        if private_key is None:
            raise OAuthError("private_key_jwt needs a private key")
        key = jose.load_private_key(private_key)
        alg = signing_alg or jose.default_alg(key)
        data["client_id"] = client.client_id
        data["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        data["client_assertion"] = client_assertion(client.client_id, audience, key, alg, key_id=key_id)
    elif method == "client_secret_jwt":
        if not client.client_secret:
            raise OAuthError("client_secret_jwt needs a client secret")
        data["client_id"] = client.client_id
        data["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        data["client_assertion"] = client_assertion(
            client.client_id, audience, client.client_secret.encode("utf-8"), signing_alg or "HS256")
    else:
        raise OAuthError(f"unsupported token endpoint auth method {method!r}")
