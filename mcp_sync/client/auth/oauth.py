"""``OAuthClientAuth``: MCP authorization as a ``requests`` authentication object.

Give it to ``Client.http(url, auth=...)``, to a ``requests.Session`` or to a
single ``requests`` call. It adds ``Authorization`` (and ``DPoP``) to requests
for the MCP server's origin and, on the server's answer:

* **401**: discovers the authorization server (protected-resource metadata,
  then authorization-server metadata), gets tokens (refresh first when it
  can, else the configured grant), and re-sends the request once;
* **401 ``use_dpop_nonce``**: re-sends with the server's DPoP nonce;
* **403 ``insufficient_scope``**: re-authorizes with the union of the scopes
  requested so far and the challenged ones, at most ``max_step_up`` times
  per request.

Errors of the authorization itself raise :class:`~.errors.OAuthError` (a
``requests.RequestException``). Thread-safe: concurrent requests share one
flow (the first 401 runs it; the others wait and reuse its tokens).
"""

from __future__ import annotations

import logging
import warnings
import threading
import time
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.cookies import extract_cookies_to_jar

from . import discovery as _discovery
from .challenges import Challenge, find_challenge
from .discovery import DiscoveryResult, canonical_resource
from .dpop import DPoPKey, NonceCache
from .errors import OAuthError, RegistrationError, TokenError
from .grants import AuthorizationCodeGrant, Grant, GrantContext
from .redirect import RedirectHandler
from .registration import application_type_for, register_client
from .storage import ClientInfo, InMemoryTokenStorage, TokenSet, TokenStorage
from .token_auth import apply_client_auth, choose_auth_method

__all__ = ["OAuthClientAuth"]

log = logging.getLogger("mcp_sync.client.auth")

OFFLINE_ACCESS = "offline_access"
#: Seconds authorization-server metadata is reused before being fetched again.
AS_METADATA_TTL = 3600.0


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _union(*groups: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for group in groups:
        for scope in group or ():
            if scope and scope not in out:
                out.append(scope)
    return out


def _sent_token(request: requests.PreparedRequest) -> str | None:
    value = request.headers.get("Authorization")
    if not value or " " not in value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "dpop") else None


class OAuthClientAuth(requests.auth.AuthBase):
    """OAuth 2.1 authorization for an MCP server (a ``requests`` auth object).

    ``server_url``: the MCP endpoint (default: the URL of the first request).

    How tokens are obtained:

    * ``grant``: an :class:`~.grants.AuthorizationCodeGrant` (the default, built
      from ``redirect_handler``/``redirect_uri``), :class:`~.grants.ClientCredentialsGrant`,
      :class:`~.grants.JwtBearerGrant` or :class:`~.grants.EnterpriseManagedGrant`.
    * ``redirect_handler(authorization_url) -> callback_url``: see
      :class:`~.redirect.LoopbackRedirectHandler` (browser) and
      :class:`~.redirect.HeadlessRedirectHandler` (tests, automation).

    Who the client is, in this order of preference:

    * pre-registered ``client_id`` / ``client_secret`` (bound to ``client_issuer``,
      or to the first authorization server they are used with);
    * ``client_metadata_url``: an https URL used as client_id when the
      authorization server supports client ID metadata documents;
    * dynamic registration (``client_name``, ``application_type`` -- default
      from the redirect URI --, extra ``client_metadata`` fields).

    Registrations are kept per issuer in ``storage`` and never presented to
    another authorization server.

    Token endpoint authentication: the registered method, else the best one
    the server supports (``private_key_jwt`` with ``private_key`` [PEM, JWK or
    key object] and ``signing_alg``/``key_id``; ``client_secret_basic``,
    ``client_secret_post``; ``none``). ``token_endpoint_auth_method`` forces one.

    ``scopes``: always requested (in addition to the server's challenge);
    otherwise the challenge's ``scope``, else the resource's ``scopes_supported``,
    else no ``scope`` at all. ``offline_access=True`` adds ``offline_access``
    when the authorization server lists it (refresh tokens).

    ``dpop``: True to require DPoP-bound tokens, False never, None (default)
    when the authorization server advertises DPoP and ``cryptography`` is
    installed. ``dpop_key``: a :class:`~.dpop.DPoPKey` (or private key) to bind to.

    ``storage``: :class:`~.storage.InMemoryTokenStorage` (default) or
    :class:`~.storage.JsonFileTokenStorage`. ``http``: the ``requests.Session``
    for authorization-server traffic (default: a private one). ``timeout``:
    seconds per authorization HTTP request.
    """

    def __init__(
        self,
        server_url: str | None = None,
        *,
        grant: Grant | None = None,
        redirect_handler: RedirectHandler | None = None,
        redirect_uri: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        client_issuer: str | None = None,
        client_metadata_url: str | None = None,
        client_name: str = "mcp-sync",
        client_metadata: Mapping[str, Any] | None = None,
        application_type: str | None = None,
        token_endpoint_auth_method: str | None = None,
        private_key: Any = None,
        signing_alg: str | None = None,
        key_id: str | None = None,
        scopes: Sequence[str] | str | None = None,
        offline_access: bool = True,
        dpop: bool | None = None,
        dpop_key: DPoPKey | Any = None,
        storage: TokenStorage | None = None,
        max_step_up: int = 2,
        timeout: float = 30.0,
        http: requests.Session | None = None,
        choose_issuer: Callable[[list[str]], str] | None = None,
    ) -> None:
        if grant is None:
            grant = AuthorizationCodeGrant(redirect_handler, redirect_uri)
        elif redirect_handler is not None or redirect_uri is not None:
            raise ValueError("pass redirect_handler/redirect_uri to the grant, not beside it")
        if max_step_up < 0:
            raise ValueError("max_step_up must be >= 0")
        self.grant = grant
        self._server_url = _strip_query(server_url) if server_url else None
        self.client_id = client_id
        self.client_secret = client_secret
        self.client_issuer = client_issuer
        self.client_metadata_url = client_metadata_url
        self.client_name = client_name
        self.client_metadata = dict(client_metadata or {})
        self.application_type = application_type
        self.token_endpoint_auth_method = token_endpoint_auth_method
        self.private_key = private_key
        self.signing_alg = signing_alg
        self.key_id = key_id
        self.scopes = scopes.split() if isinstance(scopes, str) else list(scopes or [])
        self.offline_access = offline_access
        self.dpop = dpop
        if dpop_key is not None and not isinstance(dpop_key, DPoPKey):
            dpop_key = DPoPKey(dpop_key)
        self._dpop_key: DPoPKey | None = dpop_key
        self.storage: TokenStorage = storage if storage is not None else InMemoryTokenStorage()
        self.max_step_up = max_step_up
        self.timeout = timeout
        self._owns_http = http is None
        self.http = http if http is not None else requests.Session()
        self.choose_issuer = choose_issuer
        self._flow_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._tokens: TokenSet | None = None
        self._tokens_loaded = False
        self._discovery: DiscoveryResult | None = None
        self._as_cache: dict[str, Any] = {}
        self._as_cache_since = time.monotonic()
        self._rs_nonces = NonceCache()
        self._as_nonces = NonceCache()
        self._preregistered_issuer = client_issuer

    # -- public ------------------------------------------------------------------------------

    @property
    def server_url(self) -> str | None:
        return self._server_url

    @property
    def tokens(self) -> TokenSet | None:
        """The current tokens (None before authorization)."""
        self._ensure_loaded()
        with self._state_lock:
            return self._tokens

    @property
    def discovery(self) -> DiscoveryResult | None:
        """What the last discovery found (None before the first)."""
        return self._discovery

    @property
    def dpop_key(self) -> DPoPKey | None:
        return self._dpop_key

    def authorize(self, server_url: str | None = None, *, scopes: Sequence[str] | None = None) -> TokenSet:
        """Get tokens now, without waiting for a 401 (e.g. to log in up front)."""
        if server_url:
            self._bind(server_url)
        if self._server_url is None:
            raise ValueError("no server_url: pass it here or to the constructor")
        with self._flow_lock:
            disc = self._discover(None)
            previous = self.tokens
            chosen = _union(self.scopes, scopes) or self._choose_scopes(None, disc, previous)
            return self._obtain(disc, chosen)

    def logout(self) -> None:
        """Forget the tokens (registrations stay)."""
        if self._server_url:
            self._set_tokens(None)

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    # -- requests.auth.AuthBase --------------------------------------------------------------

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._server_url is None and r.url:
            self._bind(r.url)
        if not self._ours(r.url):
            return r
        tokens = self._fresh_tokens()
        self._apply(r, tokens)
        try:  # where a file-like body starts, to send it again after a challenge
            r._mcp_oauth_body_pos = r.body.tell() if hasattr(r.body, "tell") else None  # type: ignore[attr-defined, union-attr]  # our own mark on the request
        except OSError:
            r._mcp_oauth_body_pos = None  # type: ignore[attr-defined]
        r.register_hook("response", self._handle_response)  # type: ignore[no-untyped-call]  # unannotated in requests' stubs
        return r

    # -- request side -------------------------------------------------------------------------

    def _bind(self, url: str) -> None:
        with self._state_lock:
            self._server_url = _strip_query(url)
            self._tokens = None
            self._tokens_loaded = False

    def _ours(self, url: str | None) -> bool:
        return bool(url and self._server_url and _origin(url) == _origin(self._server_url))

    def _tokens_key(self) -> str:
        assert self._server_url is not None
        return "tokens|" + canonical_resource(self._server_url)

    def _ensure_loaded(self) -> None:
        if self._tokens_loaded or self._server_url is None:
            return
        data = self.storage.get(self._tokens_key())
        tokens = TokenSet.from_dict(data) if data else None
        if tokens is not None and tokens.dpop_jkt and (self._dpop_key is None or
                                                       self._dpop_key.thumbprint != tokens.dpop_jkt):
            log.info("discarding stored DPoP-bound tokens: their key is not available")
            tokens = None
        with self._state_lock:
            if not self._tokens_loaded:
                self._tokens = tokens
                self._tokens_loaded = True

    def _set_tokens(self, tokens: TokenSet | None) -> None:
        with self._state_lock:
            self._tokens = tokens
            self._tokens_loaded = True
        if tokens is None:
            self.storage.delete(self._tokens_key())
        else:
            self.storage.set(self._tokens_key(), tokens.to_dict())

    def _fresh_tokens(self) -> TokenSet | None:
        """The tokens to send; refreshed first when expired (dropped when that fails)."""
        tokens = self.tokens
        if tokens is None or not tokens.expired():
            return tokens
        with self._flow_lock:
            current = self.tokens
            if current is not tokens:
                return current
            if tokens.refresh_token:
                try:
                    disc = self._discovery or self._discover(None)
                    if disc.issuer == tokens.issuer:
                        return self._refresh(disc, tokens)
                except OAuthError as exc:
                    log.info("refreshing the access token failed: %s", exc)
            self._set_tokens(None)
            return None

    def _apply(self, r: requests.PreparedRequest, tokens: TokenSet | None) -> None:
        if tokens is None:
            return
        if tokens.is_dpop and self._dpop_key is not None:
            r.headers["Authorization"] = f"DPoP {tokens.access_token}"
            r.headers["DPoP"] = self._dpop_key.proof(r.method or "GET", r.url or "", access_token=tokens.access_token,
                                                     nonce=self._rs_nonces.get(r.url or ""))
        else:
            r.headers["Authorization"] = f"Bearer {tokens.access_token}"
            r.headers.pop("DPoP", None)

    # -- response side ------------------------------------------------------------------------

    def _handle_response(self, r: requests.Response, **kwargs: Any) -> requests.Response:
        if r.request is not None and self._ours(r.request.url):
            self._rs_nonces.update(r.request.url or "", r.headers)
        if r.status_code not in (401, 403) or r.request is None or not self._ours(r.request.url):
            return r
        body_pos = getattr(r.request, "_mcp_oauth_body_pos", None)
        nonce_retries = auth_attempts = step_ups = 0
        while r.status_code in (401, 403):
            challenge = find_challenge(r.headers.get("WWW-Authenticate"))
            sent = _sent_token(r.request)
            sent_dpop = "DPoP" in r.request.headers
            if r.status_code == 401:
                if (challenge is not None and challenge.error == "use_dpop_nonce" and sent_dpop
                        and r.headers.get("DPoP-Nonce") and nonce_retries < 2):
                    nonce_retries += 1
                elif auth_attempts < 1:
                    auth_attempts += 1
                    self._on_unauthorized(challenge, sent)
                else:
                    return r
            else:
                if challenge is None or challenge.error != "insufficient_scope" or step_ups >= self.max_step_up:
                    return r
                if not self.grant.interactive and step_ups >= 1:
                    return r
                step_ups += 1
                self._on_insufficient_scope(challenge, sent)
            r = self._resend(r, kwargs, body_pos)
            self._rs_nonces.update(r.request.url or "", r.headers)
        return r

    def _resend(self, r: requests.Response, kwargs: Mapping[str, Any], body_pos: int | None) -> requests.Response:
        r.content  # drain the error body so the connection can be reused
        r.close()
        prep = r.request.copy()
        if body_pos is not None and hasattr(prep.body, "seek"):
            prep.body.seek(body_pos)  # type: ignore[union-attr]
        if r.raw is not None:
            extract_cookies_to_jar(prep._cookies, r.request, r.raw)  # type: ignore[attr-defined,no-untyped-call]  # private _cookies; unannotated in requests' stubs
            prep.prepare_cookies(prep._cookies)  # type: ignore[attr-defined]
        prep.headers.pop("Authorization", None)
        prep.headers.pop("DPoP", None)
        self._apply(prep, self.tokens)
        new = r.connection.send(prep, **kwargs)
        new.history = [*r.history, r, *new.history]
        new.request = prep
        return new

    def _on_unauthorized(self, challenge: Challenge | None, sent: str | None) -> None:
        with self._flow_lock:
            current = self.tokens
            if current is not None and current.access_token != sent:
                return  # another request got new tokens meanwhile: just use them
            disc = self._discover(challenge)
            if current is not None and (current.issuer != disc.issuer or current.resource != disc.resource):
                log.info("the authorization server changed (%s -> %s): dropping the old tokens",
                         current.issuer, disc.issuer)
                self._set_tokens(None)
                current = None
            scopes = self._choose_scopes(challenge, disc, current)
            if current is not None and current.refresh_token and set(scopes) <= set(current.scopes or scopes):
                try:
                    self._refresh(disc, current)
                    return
                except OAuthError as exc:
                    log.info("refresh failed (%s): authorizing again", exc)
            self._obtain(disc, scopes)

    def _on_insufficient_scope(self, challenge: Challenge, sent: str | None) -> None:
        with self._flow_lock:
            current = self.tokens
            wanted = challenge.scope or []
            if current is not None and current.access_token != sent and set(wanted) <= set(current.scopes):
                return
            disc = self._discover(challenge)
            previous = (current.requested_scope or "").split() if current is not None else []
            granted = current.scopes if current is not None else []
            scopes = _union(self.scopes, previous, granted, wanted)
            self._obtain(disc, scopes)

    # -- the flow -----------------------------------------------------------------------------

    def _discover(self, challenge: Challenge | None) -> DiscoveryResult:
        assert self._server_url is not None
        if time.monotonic() - self._as_cache_since > AS_METADATA_TTL:
            self._as_cache.clear()
            self._as_cache_since = time.monotonic()
        disc = _discovery.discover(
            self.http, self._server_url,
            resource_metadata_url=challenge.resource_metadata if challenge is not None else None,
            timeout=self.timeout, choose_issuer=self.choose_issuer, as_cache=self._as_cache,
        )
        self._discovery = disc
        return disc

    def _choose_scopes(self, challenge: Challenge | None, disc: DiscoveryResult,
                       previous: TokenSet | None) -> list[str]:
        if challenge is not None and challenge.scope:
            chosen = challenge.scope
        elif previous is not None and previous.requested_scope and previous.issuer == disc.issuer:
            chosen = previous.requested_scope.split()
        elif disc.scopes_supported:
            chosen = disc.scopes_supported
        else:
            chosen = []
        return _union(self.scopes, chosen)

    def _dpop_key_for(self, disc: DiscoveryResult) -> DPoPKey | None:
        if self.dpop is False:
            return None
        if self.dpop is None:
            algs = disc.as_metadata.get("dpop_signing_alg_values_supported")
            if not isinstance(algs, list) or not algs:
                return None
            if self._dpop_key is not None:
                if self._dpop_key.alg not in algs:
                    return None
            else:
                try:
                    alg = "ES256" if "ES256" in algs else next(
                        a for a in algs if a in ("ES384", "ES512", "RS256", "PS256", "EdDSA"))
                    self._dpop_key = DPoPKey(alg=alg)
                except ImportError:
                    _warn_dpop_needs_the_auth_extra(disc.as_metadata.get("issuer"))
                    return None
                except StopIteration:
                    log.info("not using DPoP: the authorization server offers no algorithm this client signs "
                             "with (%s)", ", ".join(map(str, algs)))
                    return None
            return self._dpop_key
        if self._dpop_key is None:
            self._dpop_key = DPoPKey()
        return self._dpop_key

    def _obtain(self, disc: DiscoveryResult, scopes: list[str]) -> TokenSet:
        client = self._client_for(disc)
        if (self.offline_access and self.grant.wants_refresh_tokens and scopes and OFFLINE_ACCESS not in scopes
                and OFFLINE_ACCESS in (disc.as_metadata.scopes_supported or [])):
            scopes = scopes + [OFFLINE_ACCESS]
        scope = " ".join(scopes) or None
        body = self.grant.obtain(GrantContext(self, disc, client, scope))
        tokens = self._tokens_from(body, disc, scope, previous=None)
        self._set_tokens(tokens)
        return tokens

    def _refresh(self, disc: DiscoveryResult, tokens: TokenSet) -> TokenSet:
        client = self._client_for(disc, register=False)
        data = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token or ""}
        body = self._token_request(disc, client, data)
        new = self._tokens_from(body, disc, tokens.requested_scope, previous=tokens)
        self._set_tokens(new)
        return new

    def _tokens_from(self, body: Mapping[str, Any], disc: DiscoveryResult, scope: str | None,
                     previous: TokenSet | None) -> TokenSet:
        token_type = str(body.get("token_type") or "Bearer")
        if token_type.lower() not in ("bearer", "dpop"):
            raise TokenError("unsupported_token_type", f"the authorization server issued a {token_type!r} token")
        jkt = self._dpop_key.thumbprint if token_type.lower() == "dpop" and self._dpop_key is not None else None
        if token_type.lower() == "dpop" and jkt is None:
            raise TokenError("invalid_token_type", "a DPoP token was issued, but no DPoP proof was sent")
        return TokenSet.from_response(body, issuer=disc.issuer, resource=disc.resource, requested_scope=scope,
                                      previous=previous, dpop_jkt=jkt)

    # -- client registration -----------------------------------------------------------------

    def _client_key(self, issuer: str) -> str:
        return "client|" + issuer

    def _client_for(self, disc: DiscoveryResult, *, register: bool = True) -> ClientInfo | None:
        issuer = disc.issuer
        metadata = disc.as_metadata
        stored = self.storage.get(self._client_key(issuer))
        if stored:
            info = ClientInfo.from_dict(stored)
            if info.issuer == issuer and not info.expired():
                return info
            self.storage.delete(self._client_key(issuer))
        if self.client_id:
            with self._state_lock:
                if self._preregistered_issuer is None:
                    self._preregistered_issuer = issuer  # bound to the first authorization server used
                bound = self._preregistered_issuer
            if bound == issuer:
                return ClientInfo(client_id=self.client_id, client_secret=self.client_secret,
                                  token_endpoint_auth_method=self.token_endpoint_auth_method, issuer=issuer,
                                  source="preregistered")
            log.info("the pre-registered client belongs to %s, not %s: not using it there", bound, issuer)
        if self.client_metadata_url and metadata.get("client_id_metadata_document_supported") is True:
            method = self.token_endpoint_auth_method or (
                "private_key_jwt" if self.private_key is not None else "none")
            return ClientInfo(client_id=self.client_metadata_url, token_endpoint_auth_method=method,
                              issuer=issuer, source="cimd")
        if not register:
            return None
        if not self.grant.needs_client and not metadata.registration_endpoint:
            return None
        if not metadata.registration_endpoint:
            raise RegistrationError(
                f"no client credentials for the authorization server {issuer}: it offers no dynamic registration"
                + ("" if not self.client_metadata_url else " and does not support client ID metadata documents")
                + "; pass client_id/client_secret registered there")
        info = register_client(self.http, metadata.registration_endpoint, self._registration_metadata(disc),
                               issuer=issuer, timeout=self.timeout)
        self.storage.set(self._client_key(issuer), info.to_dict())
        return info

    def _registration_metadata(self, disc: DiscoveryResult) -> dict[str, Any]:
        metadata = disc.as_metadata
        supported = metadata.get("token_endpoint_auth_methods_supported")
        supported = supported if isinstance(supported, list) else None
        method = self.token_endpoint_auth_method
        if method is None:
            if self.private_key is not None and (supported is None or "private_key_jwt" in supported):
                method = "private_key_jwt"
            elif supported is None or "none" in supported:
                method = "none"
            else:
                method = next((m for m in ("client_secret_basic", "client_secret_post") if m in supported),
                              supported[0] if supported else "client_secret_basic")
        doc: dict[str, Any] = {
            "client_name": self.client_name,
            "grant_types": list(self.grant.registration_grant_types),
            "token_endpoint_auth_method": method,
        }
        redirect_uri = getattr(self.grant, "redirect_uri", None)
        if isinstance(self.grant, AuthorizationCodeGrant):
            doc["redirect_uris"] = [redirect_uri] if redirect_uri else []
            doc["response_types"] = ["code"]
        doc["application_type"] = self.application_type or application_type_for(doc.get("redirect_uris", []))
        if method == "private_key_jwt" and self.private_key is not None:
            from ...auth import jose

            jwk = dict(jose.public_jwk(jose.load_private_key(self.private_key)))
            if self.key_id:
                jwk["kid"] = self.key_id
            doc["jwks"] = {"keys": [jwk]}
        doc.update(self.client_metadata)
        return doc

    # -- the token endpoint ------------------------------------------------------------------

    def _token_request(self, disc: DiscoveryResult, client: ClientInfo | None, data: Mapping[str, str]) -> dict[str, Any]:
        metadata = disc.as_metadata
        endpoint = metadata.token_endpoint
        if not endpoint:
            raise OAuthError(f"the authorization server {disc.issuer} has no token_endpoint")
        dpop_key = self._dpop_key_for(disc)
        supported = metadata.get("token_endpoint_auth_methods_supported")
        response = None
        body: Any = None
        for attempt in range(2):
            form = dict(data)
            form.setdefault("resource", disc.resource)
            headers = {"Accept": "application/json"}
            if client is not None:
                method = choose_auth_method(client, supported if isinstance(supported, list) else None,
                                            has_private_key=self.private_key is not None)
                apply_client_auth(method, client, form, headers, audience=disc.issuer, private_key=self.private_key,
                                  signing_alg=self.signing_alg, key_id=self.key_id)
            if dpop_key is not None:
                headers["DPoP"] = dpop_key.proof("POST", endpoint, nonce=self._as_nonces.get(endpoint))
            try:
                response = self.http.post(endpoint, data=form, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                raise OAuthError(f"the token request to {endpoint} failed: {exc}") from exc
            with response:
                nonce = self._as_nonces.update(endpoint, response.headers)
                try:
                    body = response.json()
                except ValueError:
                    body = None
            if (attempt == 0 and dpop_key is not None and nonce and response.status_code in (400, 401)
                    and isinstance(body, dict) and body.get("error") == "use_dpop_nonce"):
                continue  # RFC 9449 §8: retry with the server's nonce
            break
        assert response is not None
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            if isinstance(body, dict) and body.get("error"):
                raise TokenError(str(body["error"]), body.get("error_description"), response.status_code, body)
            raise TokenError("invalid_response", f"unexpected answer from {endpoint}", response.status_code, body)
        return body


_DPOP_WARNED = threading.Event()


def _warn_dpop_needs_the_auth_extra(issuer: Any) -> None:
    """Say once per process that DPoP was offered but cannot be used without ``cryptography``."""
    if _DPOP_WARNED.is_set():
        return
    _DPOP_WARNED.set()
    warnings.warn(f"the authorization server{f' {issuer}' if issuer else ''} offers DPoP-bound tokens, but DPoP "
                  f"needs the 'cryptography' package: install mcp-sync[auth] to use it. Falling back to Bearer "
                  f"tokens.", RuntimeWarning, stacklevel=3)
    log.warning("DPoP offered by the authorization server but unavailable: install mcp-sync[auth] "
                "(cryptography); using Bearer tokens")
