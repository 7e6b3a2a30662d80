"""WSGI middleware requiring a valid access token on an MCP endpoint.

* No or bad token: **401** with ``WWW-Authenticate: Bearer resource_metadata="...",
  scope="..."`` (plus ``error="invalid_token"`` when a token was presented).
* A valid token lacking scopes: **403** with ``Bearer error="insufficient_scope",
  scope="...", resource_metadata="..."`` (the scopes needed plus those the token
  already has, so a client re-authorizing gets all of them).
* Otherwise the request goes on with ``environ["mcp_sync.auth"]`` set to the
  :class:`~.verifier.AccessInfo`; the HTTP layer passes it to handlers as
  ``request.extra["auth"]``.

Scopes needed per request: ``required_scopes`` always, plus
``scopes_for(environ, message)`` where ``message`` is the parsed JSON-RPC body
(see :func:`scope_rules`, e.g. a ``tools/call`` of one tool needing more).
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any, Callable, Iterable, Mapping, Sequence

from .metadata import ProtectedResourceMetadata, ProtectedResourceMetadataApp
from .verifier import AccessInfo, InvalidToken, TokenVerifier

__all__ = ["AUTH_ENVIRON_KEY", "BearerAuthMiddleware", "protect", "scope_rules", "www_authenticate"]

log = logging.getLogger("mcp_sync.server.auth")

#: Where the verified :class:`AccessInfo` is put in the WSGI environ.
AUTH_ENVIRON_KEY = "mcp_sync.auth"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ScopesFor = Callable[[Mapping[str, Any], "dict[str, Any] | None"], Iterable[str]]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def www_authenticate(*, resource_metadata: str | None = None, scope: Iterable[str] | None = None,
                     error: str | None = None, error_description: str | None = None,
                     scheme: str = "Bearer") -> str:
    """A ``WWW-Authenticate`` challenge value (RFC 6750 §3 with RFC 9728 ``resource_metadata``)."""
    params = []
    if error:
        params.append(f"error={_quote(error)}")
    if error_description:
        params.append(f"error_description={_quote(error_description)}")
    scopes = [s for s in (scope or []) if s]
    if scopes:
        params.append(f"scope={_quote(' '.join(scopes))}")
    if resource_metadata:
        params.append(f"resource_metadata={_quote(resource_metadata)}")
    return scheme + (" " + ", ".join(params) if params else "")


def scope_rules(methods: Mapping[str, Sequence[str]] | None = None,
                tools: Mapping[str, Sequence[str]] | None = None) -> ScopesFor:
    """A ``scopes_for`` hook: extra scopes per JSON-RPC method and per tool name (``tools/call``)."""
    methods = dict(methods or {})
    tools = dict(tools or {})

    def scopes_for(environ: Mapping[str, Any], message: dict[str, Any] | None) -> list[str]:
        if not isinstance(message, dict):
            return []
        method = message.get("method")
        needed = list(methods.get(method, ())) if isinstance(method, str) else []
        if method == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            if isinstance(name, str):
                needed.extend(tools.get(name, ()))
        return needed

    return scopes_for


def _request_origin(environ: Mapping[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != {"http": "80", "https": "443"}.get(scheme):
            host = f"{host}:{port}"
    return f"{scheme}://{host}"


class BearerAuthMiddleware:
    """Require a valid token (checked by ``verifier``) on every request to ``app``.

    ``resource_metadata_url``: the URL of the protected-resource metadata (for
    challenges); a callable ``(environ) -> url`` also works, and None derives it
    from the request (``<origin>/.well-known/oauth-protected-resource<path>``).
    ``required_scopes``: needed on every request (announced on 401).
    ``scopes_for``: extra scopes per request (see :func:`scope_rules`).
    ``exempt_methods``: HTTP methods passed through unauthenticated (CORS preflights).
    ``max_body``: largest body buffered to find the JSON-RPC message for ``scopes_for``.
    """

    def __init__(
        self,
        app: WsgiApp,
        verifier: TokenVerifier,
        *,
        resource_metadata_url: str | Callable[[Mapping[str, Any]], str] | None = None,
        required_scopes: Sequence[str] = (),
        scopes_for: ScopesFor | None = None,
        exempt_methods: Sequence[str] = ("OPTIONS",),
        max_body: int = 4 * 1024 * 1024,
        leeway: float = 0.0,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.resource_metadata_url = resource_metadata_url
        self.required_scopes = list(required_scopes)
        self.scopes_for = scopes_for
        self.exempt_methods = {m.upper() for m in exempt_methods}
        self.max_body = max_body
        self.leeway = leeway

    def _metadata_url(self, environ: Mapping[str, Any]) -> str:
        if callable(self.resource_metadata_url):
            return self.resource_metadata_url(environ)
        if self.resource_metadata_url:
            return self.resource_metadata_url
        path: str = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).rstrip("/")
        return _request_origin(environ) + "/.well-known/oauth-protected-resource" + path

    def _deny(self, environ: Mapping[str, Any], start_response: Callable[..., Any], status: int, *,
              error: str | None, description: str | None, scopes: Iterable[str]) -> list[bytes]:
        header = www_authenticate(resource_metadata=self._metadata_url(environ), scope=scopes, error=error,
                                  error_description=description)
        payload: dict[str, str] = {"error": error or "invalid_token"}
        if description:
            payload["error_description"] = description
        body = json.dumps(payload).encode("utf-8")
        reason = "Unauthorized" if status == 401 else "Forbidden"
        start_response(f"{status} {reason}", [
            ("WWW-Authenticate", header),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ])
        return [body]

    def _message(self, environ: dict[str, Any]) -> dict[str, Any] | None:
        """The JSON-RPC message of a POST (the body is buffered and put back)."""
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0 or length > self.max_body:
            return None
        stream = environ["wsgi.input"]
        body = stream.read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            message = json.loads(body)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    def authenticate(self, environ: Mapping[str, Any]) -> AccessInfo:
        """The verified access of a request; raises :class:`InvalidToken`."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("expected an Authorization: Bearer token")
        info = self.verifier.verify(token)
        if info is None:
            raise InvalidToken("invalid access token")
        if info.expired(self.leeway):
            raise InvalidToken("the access token has expired")
        return info

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET").upper() in self.exempt_methods:
            return self.app(environ, start_response)
        presented = bool(environ.get("HTTP_AUTHORIZATION"))
        try:
            info = self.authenticate(environ)
        except InvalidToken as exc:
            if not presented:
                return self._deny(environ, start_response, 401, error=None, description=None,
                                  scopes=self.required_scopes)
            return self._deny(environ, start_response, 401, error="invalid_token", description=exc.description,
                              scopes=self.required_scopes)
        needed = list(self.required_scopes)
        if self.scopes_for is not None:
            for scope in self.scopes_for(environ, self._message(environ)):
                if scope not in needed:
                    needed.append(scope)
        missing = [s for s in needed if s not in info.scopes]
        if missing:
            # Ask for what is needed plus what the token already has (never offline_access).
            wanted = [s for s in sorted(info.scopes) if s != "offline_access"] + [s for s in needed
                                                                                   if s not in info.scopes]
            return self._deny(environ, start_response, 403, error="insufficient_scope",
                              description=f"requires scope {' '.join(missing)}", scopes=wanted)
        environ[AUTH_ENVIRON_KEY] = info
        return self.app(environ, start_response)


def protect(
    app: WsgiApp,
    verifier: TokenVerifier,
    *,
    resource: str,
    authorization_servers: Sequence[str],
    scopes_supported: Sequence[str] | None = None,
    required_scopes: Sequence[str] = (),
    scopes_for: ScopesFor | None = None,
    resource_name: str | None = None,
    serve_root_metadata: bool = True,
    **metadata_extra: Any,
) -> WsgiApp:
    """``app`` behind :class:`BearerAuthMiddleware`, with its protected-resource metadata served.

    Use it as the outermost WSGI app at the server's root (the metadata lives at
    ``/.well-known/oauth-protected-resource<path of resource>``)::

        app = protect(server.wsgi_app(), JwtVerifier(issuer=..., audience=RESOURCE, jwks_uri=...),
                      resource=RESOURCE, authorization_servers=[ISSUER], scopes_supported=["mcp"])
    """
    metadata = ProtectedResourceMetadata(
        resource=resource,
        authorization_servers=list(authorization_servers),
        scopes_supported=list(scopes_supported) if scopes_supported is not None else None,
        resource_name=resource_name,
        extra=dict(metadata_extra),
    )
    guarded = BearerAuthMiddleware(app, verifier, resource_metadata_url=metadata.url,
                                   required_scopes=required_scopes, scopes_for=scopes_for)
    return ProtectedResourceMetadataApp(metadata, guarded, serve_root=serve_root_metadata)
