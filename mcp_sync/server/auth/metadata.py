"""Protected-resource metadata (RFC 9728) of an MCP server, and a WSGI app serving it.

For the resource ``https://host/mcp`` the document lives at
``https://host/.well-known/oauth-protected-resource/mcp`` (path-suffixed); the
app answers there and, by default, at the root well-known URL too (clients try
the root after the path-suffixed one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

__all__ = ["PRM_WELL_KNOWN", "ProtectedResourceMetadata", "ProtectedResourceMetadataApp", "metadata_url_for"]

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"

StartResponse = Callable[..., Any]


def metadata_url_for(resource: str) -> str:
    """The path-suffixed well-known URL of ``resource``'s metadata."""
    parts = urlsplit(resource)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, PRM_WELL_KNOWN + path, "", ""))


@dataclass
class ProtectedResourceMetadata:
    """The RFC 9728 document: ``resource`` (the MCP server's canonical URI) and at
    least one ``authorization_servers`` issuer; ``scopes_supported`` should not
    list ``offline_access``. ``extra`` fields are added verbatim."""

    resource: str
    authorization_servers: list[str]
    scopes_supported: list[str] | None = None
    bearer_methods_supported: list[str] = field(default_factory=lambda: ["header"])
    resource_name: str | None = None
    resource_documentation: str | None = None
    dpop_signing_alg_values_supported: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.authorization_servers:
            raise ValueError("list at least one authorization server")
        if urlsplit(self.resource).fragment:
            raise ValueError("the resource URI must not have a fragment")

    @property
    def url(self) -> str:
        """Where the document is served (the ``resource_metadata`` of challenges)."""
        return metadata_url_for(self.resource)

    @property
    def paths(self) -> list[str]:
        path = urlsplit(self.resource).path.rstrip("/")
        return [PRM_WELL_KNOWN + path] if path else [PRM_WELL_KNOWN]

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"resource": self.resource, "authorization_servers": list(self.authorization_servers)}
        if self.scopes_supported is not None:
            doc["scopes_supported"] = list(self.scopes_supported)
        if self.bearer_methods_supported:
            doc["bearer_methods_supported"] = list(self.bearer_methods_supported)
        if self.resource_name:
            doc["resource_name"] = self.resource_name
        if self.resource_documentation:
            doc["resource_documentation"] = self.resource_documentation
        if self.dpop_signing_alg_values_supported:
            doc["dpop_signing_alg_values_supported"] = list(self.dpop_signing_alg_values_supported)
        doc.update(self.extra)
        return doc

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict()).encode("utf-8")


class ProtectedResourceMetadataApp:
    """WSGI: serves ``metadata`` at its well-known path(s), passes everything else to ``app``
    (404 when there is none). Matches the full path (``SCRIPT_NAME`` + ``PATH_INFO``), so it
    works mounted anywhere. ``serve_root``: also answer at ``/.well-known/oauth-protected-resource``."""

    def __init__(self, metadata: ProtectedResourceMetadata | Iterable[ProtectedResourceMetadata],
                 app: Callable[..., Iterable[bytes]] | None = None, *, serve_root: bool = True) -> None:
        docs = [metadata] if isinstance(metadata, ProtectedResourceMetadata) else list(metadata)
        self.routes: dict[str, ProtectedResourceMetadata] = {}
        for doc in docs:
            for path in doc.paths:
                self.routes.setdefault(path, doc)
        if serve_root and docs:
            self.routes.setdefault(PRM_WELL_KNOWN, docs[0])
        self.app = app

    def match(self, environ: Mapping[str, Any]) -> ProtectedResourceMetadata | None:
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        return self.routes.get(path)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        doc = self.match(environ)
        if doc is None:
            if self.app is not None:
                return self.app(environ, start_response)
            return _plain(start_response, "404 Not Found", b"not found")
        method = environ.get("REQUEST_METHOD", "GET")
        cors = [("Access-Control-Allow-Origin", "*")]
        if method == "OPTIONS":
            start_response("204 No Content", cors + [("Access-Control-Allow-Methods", "GET, OPTIONS"),
                                                     ("Access-Control-Allow-Headers", "*")])
            return [b""]
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD, OPTIONS"), ("Content-Length", "0")])
            return [b""]
        body = doc.to_json()
        start_response("200 OK", cors + [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "public, max-age=3600"),
        ])
        return [b"" if method == "HEAD" else body]


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
