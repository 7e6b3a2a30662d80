"""Small stdlib OAuth authorization server and MCP resource server for the auth tests.

Both listen on 127.0.0.1 ephemeral ports (ThreadingHTTPServer, one named
serving thread, joined on stop) and record every request they get.

``MockAuthServer`` issues ES256-signed JWT access tokens (``aud`` = the
``resource`` parameter, ``scope``, ``cnf.jkt`` when a DPoP proof came along)
and publishes its JWKS at ``/jwks``; behaviours (iss in the redirect, DPoP
nonces, registration, auth methods...) are constructor options.

``MockResourceServer`` serves protected-resource metadata and a JSON-RPC
endpoint ``/mcp`` that checks tokens against an authorization server's
registry: 401 with a ``resource_metadata`` challenge, 403 ``insufficient_scope``
per method, DPoP-bound tokens with proofs (and an optional nonce).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from mcp_sync.auth import jose


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # clients dropping idle connections is normal


class _Base:
    """An HTTP server on 127.0.0.1 with a route table; subclasses fill ``handle``."""

    name = "mock"

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _dispatch(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                rec = Recorded(self.command, parts.path, {k.lower(): v for k, v in self.headers.items()},
                               {k: v[0] for k, v in parse_qs(parts.query).items()})
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if ctype == "application/x-www-form-urlencoded":
                    rec.form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
                elif raw:
                    try:
                        rec.json = json.loads(raw)
                    except ValueError:
                        rec.json = None
                with owner.lock:
                    owner.requests.append(rec)
                status, headers, body = owner.handle(rec)
                data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                self.send_response(status)
                sent_type = False
                for k, v in headers.items():
                    self.send_header(k, v)
                    sent_type = sent_type or k.lower() == "content-type"
                if not sent_type:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _dispatch

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"{self.name}-{self.port}",
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def handle(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def paths(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def find(self, path: str, method: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]


def _s256(verifier: str) -> str:
    return jose.b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def check_dpop_proof(proof: str | None, method: str, url: str, *, access_token: str | None = None,
                     nonce: str | None = None) -> tuple[str | None, str]:
    """(thumbprint, "") of a valid proof, or (None, reason)."""
    if not proof:
        return None, "no proof"
    try:
        header, _ = jose.decode_unverified(proof)
        if header.get("typ") != "dpop+jwt" or "jwk" not in header or "d" in header["jwk"]:
            return None, "bad header"
        key = jose.public_key_from_jwk(header["jwk"])
        _, claims = jose.verify_jws(proof, key, jose.ASYMMETRIC_ALGORITHMS)
    except jose.JoseError as exc:
        return None, str(exc)
    if claims.get("htm") != method or claims.get("htu") != url or not claims.get("jti"):
        return None, f"htm/htu/jti mismatch: {claims}"
    if abs(time.time() - claims.get("iat", 0)) > 60:
        return None, "iat"
    if access_token is not None:
        ath = jose.b64url_encode(hashlib.sha256(access_token.encode()).digest())
        if claims.get("ath") != ath:
            return None, "ath"
    if nonce is not None and claims.get("nonce") != nonce:
        return None, "use_dpop_nonce"
    return jose.jwk_thumbprint(header["jwk"]), ""


class MockAuthServer(_Base):
    """An OAuth authorization server. Options:

    ``prefix``: issuer path (``/tenant1``); ``metadata_paths``: where metadata is
    served (default: the RFC 8414 URL for the issuer); ``metadata_issuer``: lie
    about the issuer; ``iss_mode``: ``correct``/``omit``/``wrong``/``normalized``;
    ``iss_supported``: advertise RFC 9207; ``registration``: offer DCR;
    ``auth_methods``: token_endpoint_auth_methods_supported; ``registered_method``:
    what DCR answers; ``clients``: pre-registered ``{client_id: secret or None}``;
    ``client_keys``: ``{client_id: public key}`` for private_key_jwt; ``cimd``;
    ``scopes_supported``; ``dpop_algs``; ``dpop_nonce``: required nonce;
    ``refresh``: issue refresh tokens; ``expires_in``; ``pkce_methods``.
    """

    name = "mock-as"

    def __init__(self, *, prefix: str = "", metadata_paths: list[str] | None = None,
                 metadata_issuer: str | None = None, iss_mode: str = "correct", iss_supported: bool | None = True,
                 registration: bool = True, auth_methods: list[str] | None = None,
                 registered_method: str | None = None, clients: dict[str, str | None] | None = None,
                 client_keys: dict[str, Any] | None = None, cimd: bool = False,
                 scopes_supported: list[str] | None = None, dpop_algs: list[str] | None = None,
                 dpop_nonce: str | None = None, refresh: bool = False, expires_in: int = 3600,
                 pkce_methods: list[str] | None = None,
                 grant_types: list[str] | None = None) -> None:
        super().__init__()
        self.prefix = prefix
        self.issuer = self.url + prefix
        self.metadata_issuer = metadata_issuer
        self.metadata_paths = metadata_paths if metadata_paths is not None else (
            [f"/.well-known/oauth-authorization-server{prefix}"])
        self.iss_mode = iss_mode
        self.iss_supported = iss_supported
        self.registration = registration
        self.auth_methods = auth_methods
        self.registered_method = registered_method
        self.clients: dict[str, str | None] = dict(clients or {})
        self.client_keys = dict(client_keys or {})
        self.cimd = cimd
        self.scopes_supported = scopes_supported
        self.dpop_algs = dpop_algs
        self.dpop_nonce = dpop_nonce
        self.refresh = refresh
        self.expires_in = expires_in
        self.pkce_methods = ["S256"] if pkce_methods is None else pkce_methods
        self.grant_types = grant_types or ["authorization_code", "refresh_token", "client_credentials"]
        self.key = jose.generate_private_key("ES256")
        self.jwk = {**jose.public_jwk(self.key), "kid": "k1", "alg": "ES256", "use": "sig"}
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[Recorded] = []
        self.authorization_requests: list[Recorded] = []
        self.registrations: list[Recorded] = []
        self.auth_methods_used: list[str] = []
        self.dpop_errors: list[str] = []

    # -- endpoints ------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        base = self.url + self.prefix
        doc: dict[str, Any] = {
            "issuer": self.metadata_issuer or self.issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "jwks_uri": self.url + "/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": self.grant_types,
        }
        if self.pkce_methods:
            doc["code_challenge_methods_supported"] = self.pkce_methods
        if self.registration:
            doc["registration_endpoint"] = base + "/register"
        if self.auth_methods is not None:
            doc["token_endpoint_auth_methods_supported"] = self.auth_methods
        if self.iss_supported is not None:
            doc["authorization_response_iss_parameter_supported"] = self.iss_supported
        if self.cimd:
            doc["client_id_metadata_document_supported"] = True
        if self.scopes_supported is not None:
            doc["scopes_supported"] = self.scopes_supported
        if self.dpop_algs is not None:
            doc["dpop_signing_alg_values_supported"] = self.dpop_algs
        return doc

    def handle(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        p = self.prefix
        if rec.method == "GET" and rec.path in self.metadata_paths:
            return 200, {}, self.metadata()
        if rec.method == "GET" and rec.path == "/jwks":
            return 200, {}, {"keys": [self.jwk]}
        if rec.method == "GET" and rec.path == p + "/authorize":
            return self._authorize(rec)
        if rec.method == "POST" and rec.path == p + "/token":
            return self._token(rec)
        if rec.method == "POST" and rec.path == p + "/register" and self.registration:
            return self._register(rec)
        return 404, {}, {"error": "not_found"}

    def _authorize(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        self.authorization_requests.append(rec)
        q = rec.query
        code = "code-" + uuid.uuid4().hex[:12]
        self.codes[code] = dict(q)
        params = {"code": code}
        if "state" in q:
            params["state"] = q["state"]
        issuer = self.metadata_issuer or self.issuer
        if self.iss_mode == "correct":
            params["iss"] = issuer
        elif self.iss_mode == "wrong":
            params["iss"] = "https://evil.example.com"
        elif self.iss_mode == "normalized":
            params["iss"] = issuer + "/"
        return 302, {"Location": q["redirect_uri"] + "?" + urlencode(params)}, b""

    def _register(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        self.registrations.append(rec)
        body = rec.json or {}
        client_id = "dcr-" + uuid.uuid4().hex[:8]
        method = self.registered_method or body.get("token_endpoint_auth_method") or "client_secret_basic"
        secret = None if method == "none" else "secret-" + uuid.uuid4().hex[:8]
        self.clients[client_id] = secret
        answer = {**body, "client_id": client_id, "token_endpoint_auth_method": method}
        if secret:
            answer["client_secret"] = secret
        return 201, {}, answer

    def _client_auth(self, rec: Recorded) -> tuple[str | None, str]:
        """(client_id, method) or (None, error)."""
        header = rec.headers.get("authorization", "")
        form = rec.form
        if header.startswith("Basic "):
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            cid, secret = unquote(cid), unquote(secret)
            if self.clients.get(cid) != secret:
                return None, "bad basic credentials"
            return cid, "client_secret_basic"
        if "client_assertion" in form:
            cid = form.get("client_id")
            key = self.client_keys.get(cid or "")
            try:
                _, claims = jose.verify_jws(form["client_assertion"], key, jose.ASYMMETRIC_ALGORITHMS)
            except (jose.JoseError, TypeError) as exc:
                return None, f"bad assertion: {exc}"
            if claims.get("iss") != cid or claims.get("sub") != cid or claims.get("aud") not in (
                    self.issuer, self.issuer + "/", self.url + self.prefix + "/token"):
                return None, f"bad assertion claims {claims}"
            return cid, "private_key_jwt"
        if "client_secret" in form:
            cid = form.get("client_id")
            if self.clients.get(cid or "") != form["client_secret"]:
                return None, "bad post credentials"
            return cid, "client_secret_post"
        return form.get("client_id"), "none"

    def issue(self, *, scope: str, resource: str | None, client_id: str | None, jkt: str | None,
              subject: str = "user-1") -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": subject, "aud": resource or "urn:none",
                                  "iat": now, "exp": now + self.expires_in, "scope": scope, "jti": uuid.uuid4().hex}
        if client_id:
            claims["client_id"] = client_id
        if jkt:
            claims["cnf"] = {"jkt": jkt}
        token = jose.sign_jwt(claims, self.key, "ES256", {"typ": "at+jwt", "kid": "k1"})
        info = {"scope": scope, "resource": resource, "jkt": jkt, "client_id": client_id}
        self.tokens[token] = info
        body: dict[str, Any] = {"access_token": token, "token_type": "DPoP" if jkt else "Bearer",
                                "expires_in": self.expires_in, "scope": scope}
        if self.refresh:
            rt = "rt-" + uuid.uuid4().hex
            self.refresh_tokens[rt] = {**info}
            body["refresh_token"] = rt
        return body

    def _token(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        self.token_requests.append(rec)
        form = rec.form
        jkt = None
        if self.dpop_algs is not None and "dpop" in rec.headers:
            endpoint = self.url + self.prefix + "/token"
            jkt, why = check_dpop_proof(rec.headers.get("dpop"), "POST", endpoint, nonce=self.dpop_nonce)
            if jkt is None:
                self.dpop_errors.append(why)
                if why == "use_dpop_nonce":
                    return 400, {"DPoP-Nonce": self.dpop_nonce or ""}, {"error": "use_dpop_nonce"}
                return 400, {}, {"error": "invalid_dpop_proof", "error_description": why}
        client_id, method = self._client_auth(rec)
        if client_id is None:
            return 401, {}, {"error": "invalid_client", "error_description": method}
        self.auth_methods_used.append(method)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None:
                return 400, {}, {"error": "invalid_grant"}
            if _s256(form.get("code_verifier", "")) != code.get("code_challenge"):
                return 400, {}, {"error": "invalid_grant", "error_description": "PKCE"}
            if code.get("redirect_uri") != form.get("redirect_uri"):
                return 400, {}, {"error": "invalid_grant", "error_description": "redirect_uri"}
            return 200, {"Cache-Control": "no-store"}, self.issue(
                scope=code.get("scope", ""), resource=form.get("resource"), client_id=client_id, jkt=jkt)
        if grant == "refresh_token":
            info = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if info is None:
                return 400, {}, {"error": "invalid_grant"}
            return 200, {}, self.issue(scope=form.get("scope") or info["scope"], resource=form.get("resource"),
                                       client_id=client_id, jkt=jkt)
        if grant in ("client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            return 200, {}, self.issue(scope=form.get("scope", ""), resource=form.get("resource"),
                                       client_id=client_id, jkt=jkt, subject=client_id or "workload")
        return 400, {}, {"error": "unsupported_grant_type"}


class MockResourceServer(_Base):
    """An MCP endpoint at ``/mcp`` checking tokens of ``auth_server`` (a MockAuthServer or a callable
    returning one, for authorization server changes).

    ``prm_paths``: where the metadata is served (default path-suffixed);
    ``prm_resource``: override its ``resource``; ``scopes_supported``;
    ``challenge_metadata``: put ``resource_metadata`` in the 401 challenge;
    ``challenge_scope``: scope in the 401 challenge; ``method_scopes``:
    ``{jsonrpc_method: [scopes]}`` (403 when missing); ``always_403``: never
    satisfied; ``dpop_nonce``: nonce required with DPoP proofs.
    """

    name = "mock-rs"

    def __init__(self, auth_server: MockAuthServer | Callable[[], MockAuthServer], *,
                 prm_paths: list[str] | None = None, prm_resource: str | None = None,
                 scopes_supported: list[str] | None = None, challenge_metadata: bool = True,
                 challenge_scope: str | None = None, method_scopes: dict[str, list[str]] | None = None,
                 always_403: str | None = None, dpop_nonce: str | None = None, serve_prm: bool = True) -> None:
        super().__init__()
        self._as = auth_server
        self.prm_paths = prm_paths if prm_paths is not None else ["/.well-known/oauth-protected-resource/mcp"]
        self.prm_resource = prm_resource
        self.scopes_supported = scopes_supported
        self.challenge_metadata = challenge_metadata
        self.challenge_scope = challenge_scope
        self.method_scopes = dict(method_scopes or {})
        self.always_403 = always_403
        self.dpop_nonce = dpop_nonce
        self.serve_prm = serve_prm
        self.mcp_url = self.url + "/mcp"
        self.forbidden = 0
        self.accepted: list[Recorded] = []
        #: Reject every token (as if the server no longer trusted its issuer).
        self.reject_all = False

    @property
    def auth_server(self) -> MockAuthServer:
        return self._as() if callable(self._as) and not isinstance(self._as, MockAuthServer) else self._as

    @property
    def metadata_url(self) -> str:
        return self.url + self.prm_paths[0]

    def _challenge(self, scheme: str = "Bearer", **params: str) -> str:
        parts = [f'{k}="{v}"' for k, v in params.items() if v is not None]
        return scheme + (" " + ", ".join(parts) if parts else "")

    def handle(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        if rec.method == "GET" and self.serve_prm and rec.path in self.prm_paths:
            doc: dict[str, Any] = {"resource": self.prm_resource or self.mcp_url,
                                   "authorization_servers": [self.auth_server.issuer]}
            if self.scopes_supported is not None:
                doc["scopes_supported"] = self.scopes_supported
            return 200, {}, doc
        if rec.path != "/mcp":
            return 404, {}, {"error": "not_found"}
        md = self.metadata_url if self.challenge_metadata else None
        header = rec.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        info = None if self.reject_all else self.auth_server.tokens.get(token)
        if not header or info is None:
            params = {"scope": self.challenge_scope, "resource_metadata": md}
            if header:
                params = {"error": "invalid_token", **params}
            return 401, {"WWW-Authenticate": self._challenge(**params)}, {"error": "invalid_token"}
        if info["jkt"]:
            if scheme != "DPoP":
                return 401, {"WWW-Authenticate": self._challenge("DPoP", error="invalid_token")}, {}
            jkt, why = check_dpop_proof(rec.headers.get("dpop"), rec.method, self.mcp_url, access_token=token,
                                        nonce=self.dpop_nonce)
            if why == "use_dpop_nonce":
                return 401, {"WWW-Authenticate": self._challenge("DPoP", error="use_dpop_nonce"),
                             "DPoP-Nonce": self.dpop_nonce or ""}, {"error": "use_dpop_nonce"}
            if jkt != info["jkt"]:
                return 401, {"WWW-Authenticate": self._challenge("DPoP", error="invalid_token")}, {"why": why}
        elif scheme != "Bearer":
            return 401, {"WWW-Authenticate": self._challenge(error="invalid_token", resource_metadata=md)}, {}
        method = (rec.json or {}).get("method") if isinstance(rec.json, dict) else None
        granted = set((info.get("scope") or "").split())
        if self.always_403:
            self.forbidden += 1
            return 403, {"WWW-Authenticate": self._challenge(error="insufficient_scope", scope=self.always_403,
                                                              resource_metadata=md)}, {}
        needed = self.method_scopes.get(method or "", [])
        if not set(needed) <= granted:
            self.forbidden += 1
            return 403, {"WWW-Authenticate": self._challenge(error="insufficient_scope", scope=" ".join(needed),
                                                              resource_metadata=md)}, {}
        self.accepted.append(rec)
        rid = rec.json.get("id") if isinstance(rec.json, dict) else None
        return 200, {}, {"jsonrpc": "2.0", "id": rid, "result": {"method": method, "scope": sorted(granted)}}
