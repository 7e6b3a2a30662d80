"""Token endpoint authentication methods and the non-interactive grants (real HTTP)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import serialization

from mcp_sync.client.auth import (
    ClientCredentialsGrant,
    ClientInfo,
    EnterpriseManagedGrant,
    JwtBearerGrant,
    TokenError,
)
from mcp_sync.auth import jose
from mcp_sync.client.auth.token_auth import CLIENT_ASSERTION_TYPE, apply_client_auth, choose_auth_method
from tests.auth.conftest import rpc


def test_basic_encodes_each_part():
    headers: dict[str, str] = {}
    data = {"client_id": "x"}
    apply_client_auth("client_secret_basic", ClientInfo("id:1", "p@ss word"), data, headers, audience="https://as")
    raw = base64.b64decode(headers["Authorization"][6:]).decode()
    assert raw == "id%3A1:p%40ss%20word" and "client_id" not in data


def test_post_none_and_private_key_jwt_bodies():
    data: dict[str, str] = {}
    apply_client_auth("client_secret_post", ClientInfo("c", "s"), data, {}, audience="https://as")
    assert data == {"client_id": "c", "client_secret": "s"}
    data = {}
    apply_client_auth("none", ClientInfo("c"), data, {}, audience="https://as")
    assert data == {"client_id": "c"}
    key = jose.generate_private_key("ES256")
    data = {}
    apply_client_auth("private_key_jwt", ClientInfo("c"), data, {}, audience="https://as", private_key=key,
                      key_id="k7")
    assert data["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    header, claims = jose.verify_jws(data["client_assertion"], key.public_key(), ["ES256"])
    assert header["kid"] == "k7" and header["alg"] == "ES256"
    assert claims["iss"] == claims["sub"] == "c" and claims["aud"] == "https://as"
    assert claims["exp"] > claims["iat"] and claims["jti"]


@pytest.mark.parametrize("registered, supported, key, secret, expected", [
    ("client_secret_post", ["client_secret_basic"], False, "s", "client_secret_post"),
    (None, ["client_secret_post"], False, "s", "client_secret_post"),
    (None, ["client_secret_basic", "client_secret_post"], False, "s", "client_secret_basic"),
    (None, None, False, "s", "client_secret_basic"),
    (None, ["private_key_jwt", "client_secret_basic"], True, None, "private_key_jwt"),
    (None, ["none"], False, "s", "none"),
    (None, ["client_secret_basic"], False, None, "none"),
])
def test_choose_auth_method(registered, supported, key, secret, expected):
    client = ClientInfo("c", secret, token_endpoint_auth_method=registered)
    assert choose_auth_method(client, supported, has_private_key=key) == expected


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "none"])
def test_registered_method_is_used_at_the_token_endpoint(servers, make_auth, method):
    auth_server, rs = servers(auth_methods=[method], registered_method=method)
    assert rpc(rs.mcp_url, make_auth()).status_code == 200
    assert auth_server.registrations[0].json["token_endpoint_auth_method"] == method
    assert auth_server.auth_methods_used == [method]


def test_preregistered_private_key_jwt(servers, make_auth):
    key = jose.generate_private_key("ES256")
    auth_server, rs = servers(registration=False, auth_methods=["private_key_jwt"], clients={"pk": None},
                              client_keys={"pk": key.public_key()})
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    auth = make_auth(client_id="pk", private_key=pem)
    assert rpc(rs.mcp_url, auth).status_code == 200
    assert auth_server.auth_methods_used == ["private_key_jwt"]


def test_client_credentials_with_secret(servers, make_auth):
    auth_server, rs = servers(registration=False, clients={"svc": "s3"}, auth_methods=["client_secret_basic"],
                              rs={"scopes_supported": ["mcp:tools"]})
    auth = make_auth(grant=ClientCredentialsGrant(), client_id="svc", client_secret="s3")
    assert rpc(rs.mcp_url, auth).status_code == 200
    [req] = auth_server.token_requests
    assert req.form["grant_type"] == "client_credentials" and req.form["scope"] == "mcp:tools"
    assert req.form["resource"] == rs.mcp_url
    assert auth_server.authorization_requests == []
    assert auth.tokens.scopes == ["mcp:tools"]


def test_client_credentials_with_private_key_jwt(servers, make_auth):
    key = jose.generate_private_key("RS256")
    auth_server, rs = servers(registration=False, clients={"svc": None}, client_keys={"svc": key.public_key()},
                              auth_methods=["private_key_jwt"])
    auth = make_auth(grant=ClientCredentialsGrant(), client_id="svc", private_key=key, signing_alg="RS256")
    assert rpc(rs.mcp_url, auth).status_code == 200
    assert auth_server.auth_methods_used == ["private_key_jwt"]


def test_jwt_bearer_grant_sends_the_assertion(servers, make_auth):
    auth_server, rs = servers(registration=False, auth_methods=["none"])
    auth = make_auth(grant=JwtBearerGrant(lambda: "workload.jwt.token"), client_id="workload")
    assert rpc(rs.mcp_url, auth).status_code == 200
    [req] = auth_server.token_requests
    assert req.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert req.form["assertion"] == "workload.jwt.token" and req.form["client_id"] == "workload"


def test_grant_errors_are_raised_not_retried(servers, make_auth):
    auth_server, rs = servers(registration=False, auth_methods=["none"])
    auth = make_auth(grant=JwtBearerGrant("x.y.z"), client_id="w")
    original = auth_server._token

    def refuse(rec):
        auth_server.token_requests.append(rec)
        return 400, {}, {"error": "invalid_grant", "error_description": "expired assertion"}

    auth_server._token = refuse  # type: ignore[method-assign]
    with pytest.raises(TokenError) as info:
        rpc(rs.mcp_url, auth)
    assert info.value.error == "invalid_grant" and info.value.status == 400
    assert len(auth_server.token_requests) == 1
    auth_server._token = original  # type: ignore[method-assign]


class _IdP:
    """A tiny enterprise IdP doing RFC 8693 token exchange to an ID-JAG."""

    def __init__(self) -> None:
        self.key = jose.generate_private_key("ES256")
        self.requests: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                owner.requests.append(form)
                jag = jose.sign_jwt({"iss": owner.url, "sub": "alice", "aud": form["audience"],
                                     "resource": form["resource"], "client_id": "mcp-client"}, owner.key, "ES256",
                                    {"typ": "oauth-id-jag+jwt"})
                body = json.dumps({"access_token": jag, "issued_token_type": "urn:ietf:params:oauth:token-type:id-jag",
                                   "token_type": "N_A"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="test-idp", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def test_enterprise_managed_authorization(servers, make_auth):
    idp = _IdP()
    try:
        auth_server, rs = servers(registration=False, clients={"mcp-client": "sec"},
                                  auth_methods=["client_secret_basic"])
        grant = EnterpriseManagedGrant("the.id.token", idp_token_endpoint=idp.url + "/token", idp_client_id="idp-app")
        auth = make_auth(grant=grant, client_id="mcp-client", client_secret="sec")
        assert rpc(rs.mcp_url, auth).status_code == 200
        [exchange] = idp.requests
        assert exchange["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
        assert exchange["requested_token_type"] == "urn:ietf:params:oauth:token-type:id-jag"
        assert exchange["subject_token"] == "the.id.token"
        assert exchange["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
        assert exchange["audience"] == auth_server.issuer and exchange["resource"] == rs.mcp_url
        assert exchange["client_id"] == "idp-app"
        [bearer] = auth_server.token_requests
        assert bearer.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        header, claims = jose.decode_unverified(bearer.form["assertion"])
        assert header["typ"] == "oauth-id-jag+jwt" and claims["aud"] == auth_server.issuer
        assert auth_server.auth_methods_used == ["client_secret_basic"]
    finally:
        idp.stop()
