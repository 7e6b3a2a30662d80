"""Signed, expiring, request-bound MRTR ``requestState`` tokens, without I/O.

A server that answers with an ``InputRequiredResult`` may hand the client an
opaque ``requestState`` string that the client echoes on its retry. To the
server that string is attacker-controlled input, so it is sealed here:

* **signed, not encrypted**: HMAC-SHA256 over the token body. The client
  cannot change a single byte without detection, but it *can read* the
  payload (url-safe base64 of JSON). Never put secrets in it; put a handle
  to server-side data instead if the content is confidential.
* **expiring**: issued-at and expiry timestamps; expired tokens are refused.
* **bound**: a SHA-256 digest of the originating request (method, tool /
  prompt name or resource URI, arguments, principal) is inside the signed
  body, so a token minted for one call cannot be replayed on another call,
  another tool, or by another user.

Token layout (``.``-separated, all url-safe base64 without padding)::

    v1.<body>.<signature>      body = JSON {"v":1,"iat":..,"exp":..,"nonce":..,"bind":..,"p":payload}

Every refusal raises :class:`RequestStateError`, an ``McpError`` with code
-32602 (Invalid params), which is what the conformance scenario
``input-required-result-tampered-state`` expects ("-32602 or similar"): the
server answers that error to the retry. Single use is not enforced here;
servers that need it can remember :attr:`SealedState.nonce` until expiry.

Several workers (processes, hosts) behind one endpoint must share the secret:
pass the same ``secret`` to each :class:`RequestStateSealer`. The default is
a random per-process secret, which only works when retries reach the same
process.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from ..errors import INVALID_PARAMS, McpError

VERSION = "v1"
#: Longest token accepted (bytes of text); anything longer is refused unread.
MAX_TOKEN_LENGTH = 64 * 1024
#: Default lifetime of a token, in seconds.
DEFAULT_MAX_AGE = 600.0
#: Tolerated clock difference between workers, in seconds.
DEFAULT_LEEWAY = 30.0
MIN_SECRET_LENGTH = 16

_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_KEY_LABEL = b"mcp_sync requestState v1"

# hashlib and hmac are imported on first use: they load OpenSSL's libcrypto
# (~3.5 MB of resident memory), and every Server makes a sealer whether or not
# a 2026-07-28 request ever needs one.


class RequestStateError(McpError):
    """The ``requestState`` of a retry is unusable; answer it as a -32602 error."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(INVALID_PARAMS, message, {"reason": reason})
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.reason))


class TamperedState(RequestStateError):
    """Not a token this server issued, or modified since (bad format or bad signature)."""

    def __init__(self, message: str = "Invalid requestState: integrity check failed",
                 reason: str = "tampered") -> None:
        super().__init__(message, reason)


class ExpiredState(RequestStateError):
    """A genuine token that is past its expiry (or issued implausibly far in the future)."""

    def __init__(self, message: str = "Invalid requestState: expired", reason: str = "expired") -> None:
        super().__init__(message, reason)


class StateBindingMismatch(RequestStateError):
    """A genuine token presented with a different request or principal than it was issued for."""

    def __init__(self, message: str = "Invalid requestState: issued for a different request",
                 reason: str = "binding") -> None:
        super().__init__(message, reason)


@dataclass(frozen=True)
class SealedState:
    """An opened token."""

    payload: dict[str, Any]
    issued_at: int
    expires_at: int
    #: Random per token; remember it until ``expires_at`` to enforce single use.
    nonce: str


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not url-safe base64")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(data) != text:  # reject non-canonical encodings (stray trailing bits)
        raise ValueError("non-canonical base64")
    return data


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _digest(bind: Mapping[str, Any]) -> str:
    import hashlib

    return _b64encode(hashlib.sha256(_canonical(dict(bind))).digest())


def request_binding(method: str, params: Mapping[str, Any] | None, principal: str | None = None, *,
                    include_arguments: bool = True) -> dict[str, Any]:
    """What a token is bound to: the originating request and the caller.

    ``method`` plus the request's target (``name`` for ``tools/call`` and
    ``prompts/get``, ``uri`` for ``resources/read``), its ``arguments``
    (when ``include_arguments``; MRTR retries repeat the same params), and
    ``principal`` (the authenticated subject, e.g. a token's ``sub``; None
    for unauthenticated servers). ``_meta``, ``inputResponses`` and
    ``requestState`` are never part of it.
    """
    params = params or {}
    bind: dict[str, Any] = {"method": method, "principal": principal}
    if method == "resources/read":
        bind["uri"] = params.get("uri")
    else:
        bind["name"] = params.get("name")
    if include_arguments:
        bind["arguments"] = params.get("arguments") or {}
    return bind


class RequestStateSealer:
    """Seals and opens ``requestState`` tokens with HMAC-SHA256.

    ``secret``: bytes (or a str, UTF-8 encoded) of at least 16 bytes, shared
    by every worker that may receive the retry; None draws a random
    per-process secret. ``old_secrets`` are still accepted when opening
    (for rotation) but never used to seal. ``max_age`` is the token lifetime
    in seconds; ``clock`` returns the current Unix time (injectable for tests).
    """

    def __init__(self, secret: bytes | str | None = None, *, max_age: float = DEFAULT_MAX_AGE,
                 leeway: float = DEFAULT_LEEWAY, old_secrets: Iterable[bytes | str] = (),
                 clock: Callable[[], float] = time.time) -> None:
        if max_age <= 0:
            raise ValueError("max_age must be positive")
        # Checked now, turned into keys on first use (hmac loads OpenSSL).
        self._secrets = [self._check_secret(secret if secret is not None else os.urandom(32))]
        self._secrets += [self._check_secret(s) for s in old_secrets]
        self._derived: list[bytes] | None = None
        self.max_age = max_age
        self.leeway = leeway
        self._clock = clock

    @staticmethod
    def _check_secret(secret: bytes | str) -> bytes:
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if not isinstance(secret, (bytes, bytearray)):
            raise TypeError("secret must be bytes or str")
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret must be at least {MIN_SECRET_LENGTH} bytes")
        return bytes(secret)

    @staticmethod
    def _derive(secret: bytes | str) -> bytes:
        import hashlib
        import hmac

        # A key of its own, so the shared secret can safely serve other purposes too.
        return hmac.new(RequestStateSealer._check_secret(secret), _KEY_LABEL, hashlib.sha256).digest()

    @property
    def _keys(self) -> list[bytes]:
        """The signing key (first) and the keys of ``old_secrets``."""
        keys = self._derived
        if keys is None:
            keys = self._derived = [self._derive(s) for s in self._secrets]
        return keys

    @staticmethod
    def _sign(key: bytes, signed: bytes) -> bytes:
        import hashlib
        import hmac

        return hmac.new(key, signed, hashlib.sha256).digest()

    def seal(self, payload: Mapping[str, Any], *, bind: Mapping[str, Any], max_age: float | None = None) -> str:
        """A token carrying ``payload`` (JSON-serializable), bound to ``bind``.

        Use :func:`request_binding` for ``bind``. Each call yields a different
        token, even for the same payload.
        """
        now = int(self._clock())
        lifetime = self.max_age if max_age is None else max_age
        body = {
            "v": 1,
            "iat": now,
            "exp": now + max(1, int(lifetime)),
            "nonce": _b64encode(os.urandom(12)),  # secrets.token_bytes(12)
            "bind": _digest(bind),
            "p": dict(payload),
        }
        encoded = _b64encode(_canonical(body))
        signed = f"{VERSION}.{encoded}".encode("ascii")
        token = f"{VERSION}.{encoded}.{_b64encode(self._sign(self._keys[0], signed))}"
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError("requestState payload too large")
        return token

    def open(self, token: Any, *, bind: Mapping[str, Any]) -> dict[str, Any]:
        """The payload of a token this sealer issued for ``bind``; raises :class:`RequestStateError`."""
        return self.open_state(token, bind=bind).payload

    def open_state(self, token: Any, *, bind: Mapping[str, Any]) -> SealedState:
        """Like :meth:`open`, also returning issue/expiry times and the nonce."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise TamperedState()
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise TamperedState()
        try:
            signature = _b64decode(parts[2])
        except (ValueError, binascii.Error):
            raise TamperedState() from None
        import hmac

        signed = f"{parts[0]}.{parts[1]}".encode("ascii")
        if not any(hmac.compare_digest(self._sign(key, signed), signature) for key in self._keys):
            raise TamperedState()
        # Authentic from here on: a failure below is our own bug or an old format.
        try:
            body = json.loads(_b64decode(parts[1]))
            issued, expires, nonce, digest = body["iat"], body["exp"], body["nonce"], body["bind"]
            payload = body["p"]
            if body.get("v") != 1 or not isinstance(payload, dict):
                raise ValueError("unknown token body")
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise TamperedState("Invalid requestState: unreadable token", "format") from None
        now = self._clock()
        if now > expires or issued > now + self.leeway:
            raise ExpiredState()
        if not hmac.compare_digest(str(digest), _digest(bind)):
            raise StateBindingMismatch()
        return SealedState(payload=payload, issued_at=issued, expires_at=expires, nonce=nonce)
