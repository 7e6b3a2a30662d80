"""Where tokens and client registrations are kept.

A storage is a small key-value store of JSON-able dicts (:class:`TokenStorage`).
:class:`OAuthClientAuth <mcp_sync.client.auth.OAuthClientAuth>` keeps

* ``tokens|<resource>``: the :class:`TokenSet` for an MCP server (with the issuer
  that issued it), and
* ``client|<issuer>``: the :class:`ClientInfo` registered with an authorization
  server, so credentials are never presented to another one.

:class:`InMemoryTokenStorage` is the default; :class:`JsonFileTokenStorage` keeps
everything in one JSON file (mode 0600, replaced atomically) so a script or a
notebook does not have to log in again on every run.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, runtime_checkable

__all__ = [
    "ClientInfo",
    "InMemoryTokenStorage",
    "JsonFileTokenStorage",
    "TokenSet",
    "TokenStorage",
]


@runtime_checkable
class TokenStorage(Protocol):
    """A thread-safe key-value store of JSON-able dicts."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def set(self, key: str, value: Mapping[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...


class InMemoryTokenStorage:
    """Keeps everything in this process's memory (the default)."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._data.get(key)
            return json.loads(json.dumps(value)) if value is not None else None

    def set(self, key: str, value: Mapping[str, Any]) -> None:
        with self._lock:
            self._data[key] = json.loads(json.dumps(dict(value)))

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._data)


class JsonFileTokenStorage:
    """Keeps everything in one JSON file, readable by its owner only.

    Every write replaces the file atomically; reads see other processes' writes.
    The file holds secrets (tokens, client secrets): keep it out of shared places.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=str(self.path.parent))
        try:
            # mkstemp creates the file with mode 0600
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._load().get(key)
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: Mapping[str, Any]) -> None:
        with self._lock:
            data = self._load()
            data[key] = json.loads(json.dumps(dict(value)))
            self._save(data)

    def delete(self, key: str) -> None:
        with self._lock:
            data = self._load()
            if key in data:
                del data[key]
                self._save(data)

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._load())


@dataclass
class TokenSet:
    """Tokens from a token endpoint, with where they came from and what they are for."""

    access_token: str
    token_type: str = "Bearer"
    expires_at: float | None = None
    refresh_token: str | None = None
    scope: str | None = None
    #: The authorization server that issued them.
    issuer: str | None = None
    #: The MCP server (resource indicator) they were requested for.
    resource: str | None = None
    #: The scopes that were requested (for step-up unions).
    requested_scope: str | None = None
    #: RFC 7638 thumbprint of the DPoP key the token is bound to (DPoP tokens only).
    dpop_jkt: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, body: Mapping[str, Any], *, issuer: str | None = None, resource: str | None = None,
                      requested_scope: str | None = None, previous: "TokenSet | None" = None,
                      dpop_jkt: str | None = None) -> "TokenSet":
        expires_at = None
        expires_in = body.get("expires_in")
        if isinstance(expires_in, (int, float)) or (isinstance(expires_in, str) and expires_in.isdigit()):
            expires_at = time.time() + float(expires_in)
        refresh = body.get("refresh_token")
        if refresh is None and previous is not None:
            refresh = previous.refresh_token  # the AS did not rotate it
        known = {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
        return cls(
            access_token=str(body["access_token"]),
            token_type=str(body.get("token_type") or "Bearer"),
            expires_at=expires_at,
            refresh_token=refresh,
            scope=body["scope"] if isinstance(body.get("scope"), str) else (
                previous.scope if previous is not None else requested_scope),
            issuer=issuer,
            resource=resource,
            requested_scope=requested_scope,
            dpop_jkt=dpop_jkt,
            extra={k: v for k, v in body.items() if k not in known},
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TokenSet":
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def expired(self, skew: float = 30.0) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at - skew

    @property
    def is_dpop(self) -> bool:
        return self.token_type.lower() == "dpop"

    @property
    def scopes(self) -> list[str]:
        return (self.scope or "").split()


@dataclass
class ClientInfo:
    """Credentials of this client at one authorization server."""

    client_id: str
    client_secret: str | None = None
    #: How to authenticate at the token endpoint (None: choose from the server's metadata).
    token_endpoint_auth_method: str | None = None
    #: The issuer these credentials belong to (None: not bound yet).
    issuer: str | None = None
    #: "preregistered", "dcr" or "cimd".
    source: str = "preregistered"
    client_secret_expires_at: float | None = None
    registration: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ClientInfo":
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def expired(self) -> bool:
        exp = self.client_secret_expires_at
        if not exp:  # None or 0: never expires
            return False
        return time.time() >= float(exp)
