"""Client registration: Dynamic Client Registration (RFC 7591) and Client ID
Metadata Documents (the client_id is an https URL of a JSON document).

Order used by :class:`OAuthClientAuth <mcp_sync.client.auth.OAuthClientAuth>`:
pre-registered credentials, then a client ID metadata document when the
authorization server advertises ``client_id_metadata_document_supported``, then
dynamic registration when it has a ``registration_endpoint``.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

import requests

from .errors import RegistrationError
from .storage import ClientInfo

__all__ = ["application_type_for", "client_metadata_document", "register_client"]


def _is_loopback_host(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def application_type_for(redirect_uris: Iterable[str]) -> str:
    """``native`` when every redirect URI is a loopback or private-scheme URI (desktop, CLI,
    scripts), else ``web``."""
    uris = list(redirect_uris)
    if not uris:
        return "native"
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme in ("http", "https") and not _is_loopback_host(parts.hostname or ""):
            return "web"
    return "native"


def client_metadata_document(client_id_url: str, *, client_name: str, redirect_uris: list[str],
                             grant_types: list[str] | None = None,
                             token_endpoint_auth_method: str = "none",
                             **extra: Any) -> dict[str, Any]:
    """The JSON a client publishes at ``client_id_url`` (its client ID metadata document)."""
    doc: dict[str, Any] = {
        "client_id": client_id_url,
        "client_name": client_name,
        "redirect_uris": list(redirect_uris),
        "grant_types": grant_types or ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": token_endpoint_auth_method,
    }
    doc.update(extra)
    return doc


def register_client(http: requests.Session, registration_endpoint: str, metadata: Mapping[str, Any], *,
                    issuer: str, timeout: float = 30.0,
                    initial_access_token: str | None = None) -> ClientInfo:
    """Register with ``metadata`` at ``registration_endpoint``; the credentials are bound to ``issuer``."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if initial_access_token:
        headers["Authorization"] = f"Bearer {initial_access_token}"
    try:
        response = http.post(registration_endpoint, json=dict(metadata), headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise RegistrationError(f"dynamic client registration at {registration_endpoint} failed: {exc}") from exc
    with response:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code not in (200, 201) or not isinstance(body, dict) or not body.get("client_id"):
            detail = ""
            if isinstance(body, dict) and body.get("error"):
                detail = f": {body.get('error')} {body.get('error_description') or ''}".rstrip()
            raise RegistrationError(
                f"dynamic client registration at {registration_endpoint} failed (HTTP {response.status_code}){detail}")
    expires = body.get("client_secret_expires_at")
    return ClientInfo(
        client_id=str(body["client_id"]),
        client_secret=body.get("client_secret"),
        token_endpoint_auth_method=body.get("token_endpoint_auth_method") or metadata.get("token_endpoint_auth_method"),
        issuer=issuer,
        source="dcr",
        client_secret_expires_at=float(expires) if isinstance(expires, (int, float)) and expires else None,
        registration={**body, "registered_at": time.time()},
    )
