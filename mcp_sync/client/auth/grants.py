"""How :class:`OAuthClientAuth <mcp_sync.client.auth.OAuthClientAuth>` gets tokens.

* :class:`AuthorizationCodeGrant` (default): a user approves in a browser; PKCE
  ``S256``, ``state``, ``resource``, and the RFC 9207 ``iss`` check.
* :class:`ClientCredentialsGrant`: machine-to-machine with the client's own
  credentials (a secret or a ``private_key_jwt`` key).
* :class:`JwtBearerGrant`: RFC 7523 JWT bearer with an assertion from elsewhere,
  e.g. a workload identity token (SEP-1933). Errors are raised, never retried.
* :class:`EnterpriseManagedGrant`: enterprise-managed authorization (SEP-990):
  the enterprise IdP exchanges the user's ID token for an identity assertion
  grant (RFC 8693, ``id-jag``), which the MCP server's authorization server
  takes as a JWT bearer grant.

A grant's :meth:`~Grant.obtain` gets a :class:`GrantContext` and returns the
token endpoint's JSON answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .discovery import DiscoveryResult, as_metadata_urls
from .errors import AuthorizationDenied, IssuerMismatch, OAuthError, StateMismatch, TokenError
from .pkce import Pkce, new_state
from .redirect import RedirectHandler
from .storage import ClientInfo

if TYPE_CHECKING:
    from .oauth import OAuthClientAuth

__all__ = [
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "EnterpriseManagedGrant",
    "Grant",
    "GrantContext",
    "JwtBearerGrant",
    "JWT_BEARER",
    "TOKEN_EXCHANGE",
]

log = logging.getLogger("mcp_sync.client.auth")

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPE_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
TOKEN_TYPE_ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"

def _value(source: Any) -> str:
    value: str = source() if callable(source) else source
    return value


@dataclass
class GrantContext:
    """What a grant needs for one token request."""

    auth: "OAuthClientAuth"
    discovery: DiscoveryResult
    client: ClientInfo | None
    #: Space-separated scopes to request, or None to omit ``scope``.
    scope: str | None

    @property
    def issuer(self) -> str:
        return self.discovery.issuer

    @property
    def resource(self) -> str:
        return self.discovery.resource

    @property
    def http(self) -> requests.Session:
        return self.auth.http

    def token_request(self, data: dict[str, str], *, authenticate: bool = True) -> dict[str, Any]:
        """POST ``data`` to the token endpoint (client authentication, ``resource``,
        DPoP and its nonce retry added); the JSON answer, or :class:`TokenError`."""
        return self.auth._token_request(self.discovery, self.client if authenticate else None, data)


class Grant:
    """Base of the grant strategies."""

    #: Sent as ``grant_types`` when registering dynamically.
    registration_grant_types: tuple[str, ...] = ()
    #: Whether the grant needs a client (registered, pre-registered or CIMD).
    needs_client: bool = True
    #: Whether re-authorizing after 403 insufficient_scope makes sense (step-up).
    interactive: bool = False
    #: Whether ``offline_access`` may be added to the requested scopes.
    wants_refresh_tokens: bool = False

    def obtain(self, ctx: GrantContext) -> dict[str, Any]:
        raise NotImplementedError


class AuthorizationCodeGrant(Grant):
    """Authorization code with PKCE through ``redirect_handler`` (see :mod:`.redirect`).

    ``redirect_uri`` defaults to the handler's ``redirect_uri`` attribute.
    """

    registration_grant_types = ("authorization_code", "refresh_token")
    interactive = True
    wants_refresh_tokens = True

    def __init__(self, redirect_handler: RedirectHandler | None = None, redirect_uri: str | None = None) -> None:
        self.redirect_handler = redirect_handler
        self.redirect_uri = redirect_uri or getattr(redirect_handler, "redirect_uri", None)
        if redirect_handler is not None and not self.redirect_uri:
            raise ValueError("pass redirect_uri= (the redirect handler has no redirect_uri attribute)")

    def authorization_url(self, ctx: GrantContext, pkce: Pkce, state: str) -> str:
        metadata = ctx.discovery.as_metadata
        endpoint = metadata.authorization_endpoint
        if not endpoint:
            raise OAuthError(f"the authorization server {ctx.issuer} has no authorization_endpoint")
        assert ctx.client is not None
        params = {
            "response_type": "code",
            "client_id": ctx.client.client_id,
            "redirect_uri": self.redirect_uri,
            "code_challenge": pkce.challenge,
            "code_challenge_method": pkce.method,
            "state": state,
        }
        if ctx.scope:
            params["scope"] = ctx.scope
        params["resource"] = ctx.resource
        return endpoint + ("&" if urlsplit(endpoint).query else "?") + urlencode(params)

    def obtain(self, ctx: GrantContext) -> dict[str, Any]:
        if self.redirect_handler is None:
            raise OAuthError("the MCP server needs authorization, but no redirect_handler was given "
                             "(e.g. LoopbackRedirectHandler() to use a browser)")
        metadata = ctx.discovery.as_metadata
        if metadata.discovered:
            methods = metadata.get("code_challenge_methods_supported")
            if not isinstance(methods, list) or "S256" not in methods:
                raise OAuthError(f"the authorization server {ctx.issuer} does not advertise PKCE S256 "
                                 "(code_challenge_methods_supported); refusing to continue")
        pkce = Pkce.generate()
        state = new_state()
        # The issuer is recorded with the verifier: the response's iss is checked against it.
        expected_issuer = ctx.issuer
        url = self.authorization_url(ctx, pkce, state)
        callback = self.redirect_handler(url)
        params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query, keep_blank_values=True).items()}
        self.check_response(params, expected_issuer=expected_issuer, iss_required=metadata.iss_parameter_supported,
                            state=state)
        data = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": self.redirect_uri or "",
            "code_verifier": pkce.verifier,
        }
        return ctx.token_request(data)

    @staticmethod
    def check_response(params: dict[str, str], *, expected_issuer: str, iss_required: bool, state: str) -> None:
        """Validate an authorization response (RFC 9207 ``iss`` first, then ``state``, then ``error``)."""
        iss = params.get("iss")
        if iss is not None:
            if iss != expected_issuer:  # exact string comparison, no normalisation
                raise IssuerMismatch(f"the authorization response comes from issuer {iss!r}, "
                                     f"not {expected_issuer!r}; ignoring it")
        elif iss_required:
            raise IssuerMismatch(f"the authorization server {expected_issuer} advertises the iss parameter, "
                                 "but the authorization response has none")
        if params.get("state") != state:
            raise StateMismatch("the authorization response's state does not match the request")
        if "error" in params:
            raise AuthorizationDenied(params["error"], params.get("error_description"))
        if not params.get("code"):
            raise OAuthError("the authorization response has no code")


class ClientCredentialsGrant(Grant):
    """OAuth client credentials: the client acts on its own behalf."""

    registration_grant_types = ("client_credentials",)

    def obtain(self, ctx: GrantContext) -> dict[str, Any]:
        if ctx.client is None:
            raise OAuthError("the client credentials grant needs client credentials")
        data = {"grant_type": "client_credentials"}
        if ctx.scope:
            data["scope"] = ctx.scope
        return ctx.token_request(data)


class JwtBearerGrant(Grant):
    """RFC 7523 JWT bearer grant with ``assertion`` (a JWT, or a callable returning a fresh one).

    For workload identity federation: the assertion is the workload's identity
    token, its audience the authorization server. Failures are raised as
    :class:`TokenError`; this grant never retries or falls back to another grant.
    """

    registration_grant_types = (JWT_BEARER,)
    needs_client = False

    def __init__(self, assertion: "str | Callable[[], str]") -> None:
        self.assertion = assertion

    def obtain(self, ctx: GrantContext) -> dict[str, Any]:
        data = {"grant_type": JWT_BEARER, "assertion": _value(self.assertion)}
        if ctx.scope:
            data["scope"] = ctx.scope
        return ctx.token_request(data)


class EnterpriseManagedGrant(Grant):
    """Enterprise-managed authorization: token exchange at the IdP, then a JWT bearer grant.

    ``id_token``: the user's ID token from the enterprise IdP (or a callable).
    ``idp_token_endpoint`` or ``idp_issuer`` (its metadata gives the endpoint).
    ``idp_client_id`` / ``idp_client_secret``: this client at the IdP.
    The MCP server's authorization server gets the resulting identity assertion
    (``id-jag``) with this client's own credentials there.
    """

    registration_grant_types = (JWT_BEARER,)

    def __init__(self, id_token: "str | Callable[[], str]", *, idp_token_endpoint: str | None = None,
                 idp_issuer: str | None = None, idp_client_id: str | None = None,
                 idp_client_secret: str | None = None) -> None:
        if not idp_token_endpoint and not idp_issuer:
            raise ValueError("pass idp_token_endpoint or idp_issuer")
        self.id_token = id_token
        self.idp_token_endpoint = idp_token_endpoint
        self.idp_issuer = idp_issuer
        self.idp_client_id = idp_client_id
        self.idp_client_secret = idp_client_secret

    def _idp_endpoint(self, ctx: GrantContext) -> str:
        if self.idp_token_endpoint:
            return self.idp_token_endpoint
        assert self.idp_issuer is not None
        for url in as_metadata_urls(self.idp_issuer):
            try:
                response = ctx.http.get(url, timeout=ctx.auth.timeout, headers={"Accept": "application/json"})
                doc = response.json() if response.ok else None
            except (requests.RequestException, ValueError):
                continue
            if isinstance(doc, dict) and doc.get("issuer") == self.idp_issuer and doc.get("token_endpoint"):
                self.idp_token_endpoint = str(doc["token_endpoint"])
                return self.idp_token_endpoint
        raise OAuthError(f"no token endpoint found for the identity provider {self.idp_issuer}")

    def identity_assertion(self, ctx: GrantContext) -> str:
        """RFC 8693 token exchange at the IdP: ID token -> identity assertion grant (id-jag)."""
        endpoint = self._idp_endpoint(ctx)
        data = {
            "grant_type": TOKEN_EXCHANGE,
            "requested_token_type": TOKEN_TYPE_ID_JAG,
            "subject_token": _value(self.id_token),
            "subject_token_type": TOKEN_TYPE_ID_TOKEN,
            "audience": ctx.issuer,
            "resource": ctx.resource,
        }
        if ctx.scope:
            data["scope"] = ctx.scope
        headers = {"Accept": "application/json"}
        auth = None
        if self.idp_client_id and self.idp_client_secret:
            auth = (self.idp_client_id, self.idp_client_secret)
        elif self.idp_client_id:
            data["client_id"] = self.idp_client_id
        try:
            response = ctx.http.post(endpoint, data=data, headers=headers, auth=auth, timeout=ctx.auth.timeout)
        except requests.RequestException as exc:
            raise OAuthError(f"token exchange at {endpoint} failed: {exc}") from exc
        with response:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            error = body.get("error", "invalid_response") if isinstance(body, dict) else "invalid_response"
            desc = body.get("error_description") if isinstance(body, dict) else None
            raise TokenError(str(error), desc, response.status_code, body)
        issued = body.get("issued_token_type")
        if issued is not None and issued != TOKEN_TYPE_ID_JAG:
            raise OAuthError(f"the identity provider issued a {issued!r}, not an identity assertion grant")
        return str(body["access_token"])

    def obtain(self, ctx: GrantContext) -> dict[str, Any]:
        assertion = self.identity_assertion(ctx)
        data = {"grant_type": JWT_BEARER, "assertion": assertion}
        if ctx.scope:
            data["scope"] = ctx.scope
        return ctx.token_request(data)
