"""Finding the authorization server of an MCP server.

1. Protected-resource metadata (RFC 9728): the ``resource_metadata`` URL of the
   401 challenge, else ``/.well-known/oauth-protected-resource/<path>`` then
   ``/.well-known/oauth-protected-resource`` on the server's origin. Its
   ``resource`` must name the MCP server (same origin, path a prefix of the
   server's path).
2. Authorization-server metadata (RFC 8414 and OpenID Connect Discovery) for
   the issuer listed there, in the order of the MCP authorization spec; a
   document whose ``issuer`` is not that issuer is rejected.
3. No protected-resource metadata at all (2025-03-26 servers): the server's
   origin is the issuer; without metadata there either, the default endpoints
   ``/authorize``, ``/token`` and ``/register`` on that origin are used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

import requests

from .errors import DiscoveryError, MetadataMismatch, ResourceMismatch

__all__ = [
    "AuthorizationServerMetadata",
    "DiscoveryResult",
    "as_metadata_urls",
    "canonical_resource",
    "discover",
    "fetch_as_metadata",
    "fetch_protected_resource_metadata",
    "prm_urls",
    "resource_allowed",
]

log = logging.getLogger("mcp_sync.client.auth")

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))


def canonical_resource(url: str) -> str:
    """The canonical URI of an MCP server (RFC 8707 / MCP): lower-case scheme and host,
    no fragment, no query, and no lone trailing ``/``."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    path = parts.path
    if path == "/":
        path = ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def prm_urls(server_url: str) -> list[str]:
    """Where to look for protected-resource metadata, in order (path-suffixed, then root)."""
    parts = urlsplit(server_url)
    origin = _origin(server_url)
    path = parts.path.rstrip("/")
    urls = []
    if path:
        urls.append(origin + PRM_WELL_KNOWN + path)
    urls.append(origin + PRM_WELL_KNOWN)
    return urls


def as_metadata_urls(issuer: str) -> list[str]:
    """Where to look for authorization-server metadata of ``issuer``, in the spec's order."""
    parts = urlsplit(issuer)
    origin = _origin(issuer)
    path = parts.path.rstrip("/")
    if path:
        return [
            origin + OAUTH_WELL_KNOWN + path,
            origin + OIDC_WELL_KNOWN + path,
            origin + path + OIDC_WELL_KNOWN,
        ]
    return [origin + OAUTH_WELL_KNOWN, origin + OIDC_WELL_KNOWN]


def _host_port(parts: Any) -> tuple[str, int | None]:
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return host, port if port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())


def resource_allowed(resource: str, server_url: str) -> bool:
    """Whether a protected-resource metadata ``resource`` may stand for ``server_url``:
    same scheme, host and port, and its path is ``server_url``'s path or a parent of it
    (on a ``/`` boundary). Fragments are never allowed."""
    try:
        res, srv = urlsplit(resource), urlsplit(server_url)
    except ValueError:
        return False
    if res.fragment or not res.scheme or not res.netloc:
        return False
    if res.scheme.lower() != srv.scheme.lower() or _host_port(res) != _host_port(srv):
        return False
    res_path = res.path.rstrip("/")
    srv_path = srv.path.rstrip("/")
    return srv_path == res_path or srv_path.startswith(res_path + "/")


@dataclass
class AuthorizationServerMetadata:
    """What the client uses of an authorization server's metadata (``raw`` keeps it all).

    ``discovered`` is False when no metadata document was found and the
    2025-03-26 default endpoints are used.
    """

    issuer: str
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    registration_endpoint: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    discovered: bool = True

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> "AuthorizationServerMetadata":
        return cls(
            issuer=str(doc["issuer"]),
            authorization_endpoint=doc.get("authorization_endpoint"),
            token_endpoint=doc.get("token_endpoint"),
            registration_endpoint=doc.get("registration_endpoint"),
            raw=dict(doc),
        )

    @classmethod
    def legacy_defaults(cls, issuer: str) -> "AuthorizationServerMetadata":
        """No metadata published: the default endpoints ``/authorize``, ``/token`` and
        ``/register`` under ``issuer`` (the 2025-03-26 fallback)."""
        base = issuer.rstrip("/")
        return cls(issuer=issuer, authorization_endpoint=base + "/authorize", token_endpoint=base + "/token",
                   registration_endpoint=base + "/register", raw={}, discovered=False)

    def get(self, name: str, default: Any = None) -> Any:
        return self.raw.get(name, default)

    def supports(self, name: str, value: str) -> bool:
        values = self.raw.get(name)
        return isinstance(values, list) and value in values

    @property
    def scopes_supported(self) -> list[str] | None:
        value = self.raw.get("scopes_supported")
        return [str(v) for v in value] if isinstance(value, list) else None

    @property
    def iss_parameter_supported(self) -> bool:
        return self.raw.get("authorization_response_iss_parameter_supported") is True


@dataclass
class DiscoveryResult:
    """Everything discovery found for one MCP server."""

    server_url: str
    #: The value sent as ``resource`` (the PRM ``resource`` verbatim, else the canonical server URI).
    resource: str
    as_metadata: AuthorizationServerMetadata
    resource_metadata: dict[str, Any] | None = None
    resource_metadata_url: str | None = None

    @property
    def issuer(self) -> str:
        return self.as_metadata.issuer

    @property
    def scopes_supported(self) -> list[str] | None:
        """``scopes_supported`` of the protected-resource metadata."""
        value = (self.resource_metadata or {}).get("scopes_supported")
        return [str(v) for v in value] if isinstance(value, list) else None


def _get_json(http: requests.Session, url: str, timeout: float, headers: Mapping[str, str] | None) -> dict[str, Any] | None:
    """The JSON object at ``url``, or None for a non-2xx answer or a non-object body."""
    try:
        response = http.get(url, headers={"Accept": "application/json", **(headers or {})}, timeout=timeout,
                            allow_redirects=True)
    except requests.RequestException as exc:
        log.debug("GET %s failed: %s", url, exc)
        return None
    with response:
        if not 200 <= response.status_code < 300:
            log.debug("GET %s: HTTP %s", url, response.status_code)
            return None
        try:
            doc = response.json()
        except ValueError:
            log.debug("GET %s: not JSON", url)
            return None
    return doc if isinstance(doc, dict) else None


def fetch_protected_resource_metadata(
    http: requests.Session,
    server_url: str,
    resource_metadata_url: str | None = None,
    *,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """(document, url) of the server's protected-resource metadata, or (None, None).

    Tries ``resource_metadata_url`` (from the challenge) first, then the well-known URLs.
    Raises :class:`ResourceMismatch` when the document's ``resource`` does not name the server.
    """
    candidates = ([resource_metadata_url] if resource_metadata_url else []) + prm_urls(server_url)
    seen: set[str] = set()
    for url in candidates:
        if url in seen:
            continue
        seen.add(url)
        doc = _get_json(http, url, timeout, headers)
        if doc is None:
            continue
        resource = doc.get("resource")
        if resource is not None and not (isinstance(resource, str) and resource_allowed(resource, server_url)):
            raise ResourceMismatch(
                f"the protected-resource metadata at {url} is for {resource!r}, not for {server_url}")
        if not isinstance(doc.get("authorization_servers"), list) or not doc["authorization_servers"]:
            log.debug("protected-resource metadata at %s lists no authorization_servers", url)
        return doc, url
    return None, None


def fetch_as_metadata(
    http: requests.Session,
    issuer: str,
    *,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> AuthorizationServerMetadata | None:
    """The metadata of ``issuer`` (RFC 8414 / OIDC discovery order), or None when none is published.

    A document whose ``issuer`` is not exactly ``issuer`` is skipped; when every
    document found was such a mismatch, :class:`MetadataMismatch` is raised.
    """
    mismatched: list[tuple[str, Any]] = []
    for url in as_metadata_urls(issuer):
        doc = _get_json(http, url, timeout, headers)
        if doc is None:
            continue
        if doc.get("issuer") != issuer:
            mismatched.append((url, doc.get("issuer")))
            log.warning("ignoring authorization server metadata at %s: its issuer %r is not %r",
                        url, doc.get("issuer"), issuer)
            continue
        return AuthorizationServerMetadata.from_document(doc)
    if mismatched:
        url, got = mismatched[0]
        raise MetadataMismatch(f"authorization server metadata at {url} names issuer {got!r}, expected {issuer!r}")
    return None


def discover(
    http: requests.Session,
    server_url: str,
    *,
    resource_metadata_url: str | None = None,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
    choose_issuer: Any = None,
    as_cache: dict[str, AuthorizationServerMetadata] | None = None,
) -> DiscoveryResult:
    """Run the whole discovery for the MCP server at ``server_url``.

    ``choose_issuer(list_of_issuers) -> issuer`` picks among several authorization
    servers (default: the first). ``as_cache`` (issuer -> metadata) avoids refetching.
    """
    prm, prm_url = fetch_protected_resource_metadata(http, server_url, resource_metadata_url,
                                                     timeout=timeout, headers=headers)
    if prm is not None:
        servers = [s for s in prm.get("authorization_servers") or [] if isinstance(s, str) and s]
        if not servers:
            raise DiscoveryError(f"the protected-resource metadata at {prm_url} lists no authorization server")
        issuer = choose_issuer(servers) if choose_issuer else servers[0]
        declared = prm.get("resource")
        resource = declared if isinstance(declared, str) else canonical_resource(server_url)
        metadata = as_cache.get(issuer) if as_cache is not None else None
        if metadata is None:
            metadata = fetch_as_metadata(http, issuer, timeout=timeout, headers=headers)
            if metadata is None:
                log.info("no metadata for authorization server %s: using its default endpoints", issuer)
                metadata = AuthorizationServerMetadata.legacy_defaults(issuer)
            elif as_cache is not None:
                as_cache[issuer] = metadata
        return DiscoveryResult(server_url=server_url, resource=resource, as_metadata=metadata,
                               resource_metadata=prm, resource_metadata_url=prm_url)
    # 2025-03-26: the MCP server's origin is the authorization server.
    issuer = _origin(server_url)
    metadata = as_cache.get(issuer) if as_cache is not None else None
    if metadata is None:
        metadata = fetch_as_metadata(http, issuer, timeout=timeout, headers=headers)
        if metadata is None:
            metadata = AuthorizationServerMetadata.legacy_defaults(issuer)
        elif as_cache is not None:
            as_cache[issuer] = metadata
    return DiscoveryResult(server_url=server_url, resource=canonical_resource(server_url), as_metadata=metadata)
