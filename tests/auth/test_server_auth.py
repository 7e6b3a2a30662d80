"""Server side: the bearer middleware (401/403), the protected-resource metadata endpoint,
the JWT verifier -- over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
import requests

from mcp_sync.auth import jose
from mcp_sync.client.auth import parse_www_authenticate
from mcp_sync.server.auth import (
    AUTH_ENVIRON_KEY,
    AccessInfo,
    BearerAuthMiddleware,
    InvalidToken,
    JwtVerifier,
    ProtectedResourceMetadata,
    ProtectedResourceMetadataApp,
    StaticTokenVerifier,
    protect,
    scope_rules,
    www_authenticate,
)
from tests.auth.conftest import rpc
from tests.auth.mock_servers import MockAuthServer

ISSUER = "https://as.example.com"


def echo_app(environ, start_response):
    """Answers with what the middleware left: the subject, scopes and the (re-readable) body."""
    info = environ.get(AUTH_ENVIRON_KEY)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    payload = json.dumps({
        "subject": getattr(info, "subject", None),
        "scopes": sorted(getattr(info, "scopes", ())),
        "body": body.decode("utf-8"),
        "method": environ["REQUEST_METHOD"],
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


TOKENS = {
    "reader": AccessInfo(subject="alice", scopes=frozenset({"mcp:read"})),
    "writer": AccessInfo(subject="bob", scopes={"mcp:read", "mcp:write", "offline_access"}),
    "expired": AccessInfo(subject="carol", scopes={"mcp:read"}, expires_at=time.time() - 10),
}


@pytest.fixture
def protected(serve_wsgi):
    def make(**options):
        options.setdefault("required_scopes", ["mcp:read"])
        server = serve_wsgi(None)
        metadata = ProtectedResourceMetadata(resource=server.url + "/mcp", authorization_servers=[ISSUER],
                                             scopes_supported=["mcp:read", "mcp:write"])
        app = protect(echo_app, StaticTokenVerifier(TOKENS), resource=metadata.resource,
                      authorization_servers=[ISSUER], scopes_supported=["mcp:read", "mcp:write"], **options)
        server._httpd.set_app(app)
        return server, metadata
    return make


def _challenge(response):
    [c] = parse_www_authenticate(response.headers["WWW-Authenticate"])
    return c


def test_401_without_token_names_metadata_and_scope(protected):
    server, metadata = protected()
    response = requests.post(server.url + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize"}, timeout=5)
    assert response.status_code == 401
    c = _challenge(response)
    assert c.scheme == "Bearer" and c.error is None
    assert c.resource_metadata == server.url + "/.well-known/oauth-protected-resource/mcp" == metadata.url
    assert c.scope == ["mcp:read"]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer expired", "Basic cmVhZGVyOng=", "Bearer"])
def test_401_invalid_token(protected, header):
    server, _ = protected()
    response = requests.post(server.url + "/mcp", data=b"{}", headers={"Authorization": header}, timeout=5)
    assert response.status_code == 401
    c = _challenge(response)
    assert c.error == "invalid_token" and c.resource_metadata and c.scope == ["mcp:read"]
    assert response.json()["error"] == "invalid_token"


def test_valid_token_reaches_the_app_with_the_subject(protected):
    server, _ = protected()
    response = requests.post(server.url + "/mcp", json={"x": 1}, headers={"Authorization": "Bearer reader"}, timeout=5)
    assert response.status_code == 200
    assert response.json()["subject"] == "alice" and response.json()["scopes"] == ["mcp:read"]


def test_403_insufficient_scope_for_a_tool(protected):
    server, _ = protected(scopes_for=scope_rules(tools={"delete": ["mcp:write"]}))
    call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "delete", "arguments": {}}}
    response = requests.post(server.url + "/mcp", json=call, headers={"Authorization": "Bearer reader"}, timeout=5)
    assert response.status_code == 403
    c = _challenge(response)
    assert c.error == "insufficient_scope"
    assert c.scope == ["mcp:read", "mcp:write"]  # what it has plus what it needs
    assert c.resource_metadata.endswith("/.well-known/oauth-protected-resource/mcp")
    assert response.json()["error"] == "insufficient_scope"
    # With the scope: through, and the buffered body is intact for the app.
    ok = requests.post(server.url + "/mcp", json=call, headers={"Authorization": "Bearer writer"}, timeout=5)
    assert ok.status_code == 200 and json.loads(ok.json()["body"]) == call
    # Other tools need only the base scope.
    other = dict(call, params={"name": "read", "arguments": {}})
    assert requests.post(server.url + "/mcp", json=other, headers={"Authorization": "Bearer reader"},
                         timeout=5).status_code == 200


def test_offline_access_never_in_challenges(protected):
    server, _ = protected(scopes_for=scope_rules(methods={"tools/list": ["mcp:admin"]}))
    response = requests.post(server.url + "/mcp", json={"method": "tools/list"},
                             headers={"Authorization": "Bearer writer"}, timeout=5)
    assert response.status_code == 403
    assert _challenge(response).scope == ["mcp:read", "mcp:write", "mcp:admin"]


def test_every_http_method_needs_a_token_but_preflight(protected):
    server, _ = protected()
    assert requests.get(server.url + "/mcp", timeout=5).status_code == 401
    assert requests.delete(server.url + "/mcp", timeout=5).status_code == 401
    assert requests.options(server.url + "/mcp", timeout=5).status_code == 200


def test_metadata_endpoint(protected):
    server, metadata = protected()
    for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
        response = requests.get(server.url + path, timeout=5)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        doc = response.json()
        assert doc == {"resource": server.url + "/mcp", "authorization_servers": [ISSUER],
                       "scopes_supported": ["mcp:read", "mcp:write"], "bearer_methods_supported": ["header"]}
    head = requests.head(server.url + "/.well-known/oauth-protected-resource/mcp", timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert requests.post(server.url + "/.well-known/oauth-protected-resource/mcp", timeout=5).status_code == 405
    assert requests.options(server.url + "/.well-known/oauth-protected-resource/mcp", timeout=5).status_code == 204


def test_metadata_app_alone_and_mounted(serve_wsgi):
    doc = ProtectedResourceMetadata(resource="https://api.example.com/v1/mcp", authorization_servers=[ISSUER],
                                    resource_name="Demo", extra={"custom": 1})
    assert doc.url == "https://api.example.com/.well-known/oauth-protected-resource/v1/mcp"
    server = serve_wsgi(ProtectedResourceMetadataApp(doc, serve_root=False))
    assert requests.get(server.url + "/.well-known/oauth-protected-resource/v1/mcp", timeout=5).json()["custom"] == 1
    assert requests.get(server.url + "/.well-known/oauth-protected-resource", timeout=5).status_code == 404
    assert requests.get(server.url + "/other", timeout=5).status_code == 404
    with pytest.raises(ValueError):
        ProtectedResourceMetadata(resource="https://x/mcp", authorization_servers=[])


def test_metadata_url_derived_from_the_request(serve_wsgi):
    server = serve_wsgi(BearerAuthMiddleware(echo_app, StaticTokenVerifier(TOKENS)))
    response = requests.post(server.url + "/api/mcp", data=b"{}", timeout=5)
    assert _challenge(response).resource_metadata == server.url + "/.well-known/oauth-protected-resource/api/mcp"


def test_www_authenticate_quoting():
    value = www_authenticate(resource_metadata="https://h/m", scope=["a", "b"], error="invalid_token",
                             error_description='bad "quote"')
    [c] = parse_www_authenticate(value)
    assert c.get("error_description") == 'bad "quote"' and c.scope == ["a", "b"]
    assert www_authenticate() == "Bearer"


# -- JwtVerifier -----------------------------------------------------------------------------


@pytest.fixture
def signer():
    key = jose.generate_private_key("ES256")
    jwk = {**jose.public_jwk(key), "kid": "k1"}

    def sign(**claims):
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": "https://mcp.example.com/mcp", "sub": "alice", "exp": now + 60,
                   "iat": now, "scope": "mcp:read"}
        payload.update({k: v for k, v in claims.items() if not k.startswith("_")})
        for k in [k for k, v in claims.items() if v is None]:
            payload.pop(k)
        return jose.sign_jwt(payload, claims.get("_key", key), claims.get("_alg", "ES256"),
                             {"kid": claims.get("_kid", "k1"), "typ": "at+jwt"})

    return key, jwk, sign


def test_jwt_verifier_accepts_a_good_token(signer):
    key, jwk, sign = signer
    verifier = JwtVerifier(issuer=ISSUER, audience="https://mcp.example.com/mcp", jwks={"keys": [jwk]},
                           token_type="at+jwt")
    info = verifier.verify(sign(client_id="app-1", scope="mcp:read mcp:write"))
    assert info.subject == "alice" and info.scopes == {"mcp:read", "mcp:write"} and info.client_id == "app-1"
    assert info.expires_at and info.claims["iss"] == ISSUER
    # Audience lists and a trailing slash are fine; scp lists too.
    info = verifier.verify(sign(aud=["other", "https://mcp.example.com/mcp/"], scope=None, scp=["a", "b"]))
    assert info.scopes == {"a", "b"}


@pytest.mark.parametrize("claims, reason", [
    ({"iss": "https://evil.example.com"}, "issuer"),
    ({"aud": "https://other.example.com/mcp"}, "not issued for this server"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"nbf": int(time.time()) + 3600}, "not valid yet"),
    ({"exp": None}, "'exp'"),
])
def test_jwt_verifier_rejects_bad_claims(signer, claims, reason):
    key, jwk, sign = signer
    verifier = JwtVerifier(issuer=ISSUER, audience="https://mcp.example.com/mcp", key=key.public_key(), leeway=5)
    with pytest.raises(InvalidToken, match=reason):
        verifier.verify(sign(**claims))


def test_jwt_verifier_rejects_bad_signatures_and_algorithms(signer):
    key, jwk, sign = signer
    verifier = JwtVerifier(issuer=ISSUER, audience="https://mcp.example.com/mcp", jwks={"keys": [jwk]})
    good = sign()
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):
        verifier.verify(tampered)
    with pytest.raises(InvalidToken):
        verifier.verify(sign(_key=jose.generate_private_key("ES256")))
    header = jose.b64url_encode(json.dumps({"alg": "none"}).encode())
    payload = good.split(".")[1]
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{payload}.")
    with pytest.raises(InvalidToken):
        verifier.verify("not-a-jwt")
    with pytest.raises(ValueError):
        JwtVerifier(issuer=ISSUER, audience="x", key=b"k", algorithms=["none"])


def test_jwt_verifier_hs256_static_secret(signer):
    _, _, sign = signer
    verifier = JwtVerifier(issuer=ISSUER, audience="https://mcp.example.com/mcp", key=b"s" * 32, algorithms=["HS256"])
    assert verifier.verify(sign(_key=b"s" * 32, _alg="HS256")).subject == "alice"
    with pytest.raises(InvalidToken):
        verifier.verify(sign(_key=b"t" * 32, _alg="HS256"))


def test_jwt_verifier_fetches_and_refreshes_jwks_over_http():
    with MockAuthServer() as auth_server:
        verifier = JwtVerifier(issuer=auth_server.issuer, audience="https://mcp.example.com/mcp",
                               jwks_uri=auth_server.url + "/jwks", jwks_min_refresh_seconds=0)
        body = auth_server.issue(scope="mcp:read", resource="https://mcp.example.com/mcp", client_id="c", jkt=None)
        assert verifier.verify(body["access_token"]).scopes == {"mcp:read"}
        assert auth_server.paths("GET") == ["/jwks"]
        verifier.verify(body["access_token"])
        assert auth_server.paths("GET") == ["/jwks"]  # cached
        # Key rotation: a token with a new kid makes the verifier refetch.
        auth_server.key = jose.generate_private_key("ES256")
        auth_server.jwk = {**jose.public_jwk(auth_server.key), "kid": "k2", "alg": "ES256", "use": "sig"}
        now = int(time.time())
        token = jose.sign_jwt({"iss": auth_server.issuer, "aud": "https://mcp.example.com/mcp", "sub": "s",
                               "exp": now + 60}, auth_server.key, "ES256", {"kid": "k2"})
        assert verifier.verify(token).subject == "s"
        assert auth_server.paths("GET") == ["/jwks", "/jwks"]


def test_client_and_server_together_with_step_up(serve_wsgi, make_auth):
    """OAuthClientAuth against protect() + JwtVerifier, tokens from the mock authorization server."""
    with MockAuthServer() as auth_server:
        server = serve_wsgi(None)
        resource = server.url + "/mcp"
        verifier = JwtVerifier(issuer=auth_server.issuer, audience=resource, jwks_uri=auth_server.url + "/jwks")
        server._httpd.set_app(protect(echo_app, verifier, resource=resource,
                                      authorization_servers=[auth_server.issuer],
                                      scopes_supported=["mcp:read", "mcp:write"], required_scopes=["mcp:read"],
                                      scopes_for=scope_rules(methods={"tools/call": ["mcp:write"]})))
        auth = make_auth()
        listed = rpc(resource, auth, "tools/list")
        assert listed.status_code == 200 and listed.json()["subject"] == "user-1"
        assert auth_server.authorization_requests[0].query["scope"] == "mcp:read"
        called = rpc(resource, auth, "tools/call")
        assert called.status_code == 200 and called.json()["scopes"] == ["mcp:read", "mcp:write"]
        assert [h.status_code for h in called.history] == [403]
        assert auth_server.authorization_requests[1].query["scope"] == "mcp:read mcp:write"
