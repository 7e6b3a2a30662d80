"""The authorization-code flow end to end against the mock servers (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from mcp_sync.client.auth import (
    AuthorizationCodeGrant,
    HeadlessRedirectHandler,
    IssuerMismatch,
    OAuthClientAuth,
    OAuthError,
    RegistrationError,
    StateMismatch,
)
from tests.auth.conftest import REDIRECT_URI, rpc
from tests.auth.mock_servers import MockAuthServer, MockResourceServer


def test_full_flow_pkce_state_resource_and_registration(servers, make_auth):
    auth_server, rs = servers()
    auth = make_auth(client_name="flow-test")
    response = rpc(rs.mcp_url, auth)
    assert response.status_code == 200
    assert len(response.history) == 1 and response.history[0].status_code == 401
    [reg] = auth_server.registrations
    assert reg.json["redirect_uris"] == [REDIRECT_URI]
    assert reg.json["application_type"] == "native"
    assert reg.json["grant_types"] == ["authorization_code", "refresh_token"]
    assert reg.json["client_name"] == "flow-test"
    [authz] = auth_server.authorization_requests
    q = authz.query
    assert q["response_type"] == "code" and q["code_challenge_method"] == "S256"
    assert len(q["code_challenge"]) == 43 and q["state"] and q["resource"] == rs.mcp_url
    assert "scope" not in q  # nothing challenged, nothing supported: scope omitted
    [token_req] = auth_server.token_requests
    assert token_req.form["grant_type"] == "authorization_code" and token_req.form["code_verifier"]
    assert token_req.form["redirect_uri"] == REDIRECT_URI
    # The token is then sent on every request, with no further round trips.
    second = rpc(rs.mcp_url, auth)
    assert second.status_code == 200 and second.history == []
    assert rs.accepted[-1].headers["authorization"] == f"Bearer {auth.tokens.access_token}"


def test_tokens_are_not_sent_to_other_origins(servers, make_auth):
    auth_server, rs = servers()
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    other = MockResourceServer(auth_server).start()
    try:
        response = rpc(other.mcp_url, auth)
        assert response.status_code == 401
        assert "authorization" not in other.find("/mcp")[0].headers
    finally:
        other.stop()


def test_scope_from_challenge_wins(servers, make_auth):
    auth_server, rs = servers(rs={"challenge_scope": "mcp:basic", "scopes_supported": ["a", "b"]})
    assert rpc(rs.mcp_url, make_auth()).status_code == 200
    assert auth_server.authorization_requests[0].query["scope"] == "mcp:basic"


def test_scopes_supported_used_without_challenge_scope(servers, make_auth):
    auth_server, rs = servers(rs={"scopes_supported": ["mcp:basic", "mcp:read"]})
    assert rpc(rs.mcp_url, make_auth()).status_code == 200
    assert auth_server.authorization_requests[0].query["scope"] == "mcp:basic mcp:read"


def test_offline_access_added_only_when_the_as_lists_it(servers, make_auth):
    auth_server, rs = servers(rs={"scopes_supported": ["mcp:basic"]}, scopes_supported=["mcp:basic", "offline_access"])
    assert rpc(rs.mcp_url, make_auth()).status_code == 200
    assert auth_server.authorization_requests[0].query["scope"] == "mcp:basic offline_access"
    auth_server2, rs2 = servers(rs={"scopes_supported": ["mcp:basic"]}, scopes_supported=["mcp:basic", "mcp:read"])
    assert rpc(rs2.mcp_url, make_auth()).status_code == 200
    assert auth_server2.authorization_requests[0].query["scope"] == "mcp:basic"
    auth_server3, rs3 = servers(rs={"scopes_supported": ["mcp:basic"]}, scopes_supported=["offline_access"])
    assert rpc(rs3.mcp_url, make_auth(offline_access=False)).status_code == 200
    assert auth_server3.authorization_requests[0].query["scope"] == "mcp:basic"


def test_step_up_requests_the_union_of_scopes(servers, make_auth):
    auth_server, rs = servers(rs={"challenge_scope": "mcp:basic", "method_scopes": {"tools/call": ["mcp:write"]}})
    auth = make_auth()
    assert rpc(rs.mcp_url, auth, "tools/list").status_code == 200
    response = rpc(rs.mcp_url, auth, "tools/call")
    assert response.status_code == 200
    assert [h.status_code for h in response.history] == [403]
    scopes = [r.query.get("scope") for r in auth_server.authorization_requests]
    assert scopes == ["mcp:basic", "mcp:basic mcp:write"]
    assert auth.tokens.scopes == ["mcp:basic", "mcp:write"]
    assert len(auth_server.registrations) == 1  # the registration is reused


@pytest.mark.parametrize("max_step_up", [0, 1, 2])
def test_step_up_is_bounded(servers, make_auth, max_step_up):
    auth_server, rs = servers(rs={"always_403": "mcp:admin"})
    auth = make_auth(max_step_up=max_step_up)
    response = rpc(rs.mcp_url, auth)
    assert response.status_code == 403
    assert len(auth_server.authorization_requests) == 1 + max_step_up
    assert rs.forbidden == 1 + max_step_up


def test_a_second_401_after_authorizing_is_returned(servers, make_auth):
    auth_server, rs = servers()
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    rs.reject_all = True
    response = rpc(rs.mcp_url, auth)
    assert response.status_code == 401  # re-authorized once, then gave up for this request
    assert len(auth_server.authorization_requests) == 2


@pytest.mark.parametrize("mode, supported, accepted", [
    ("correct", True, True),
    ("omit", None, True),       # neither advertised nor sent
    ("omit", True, False),      # advertised but missing
    ("wrong", True, False),
    ("wrong", None, False),     # not advertised, present and wrong
    ("normalized", True, False),  # trailing slash: exact comparison
])
def test_iss_check(servers, make_auth, mode, supported, accepted):
    auth_server, rs = servers(iss_mode=mode, iss_supported=supported)
    auth = make_auth()
    if accepted:
        assert rpc(rs.mcp_url, auth).status_code == 200
        assert len(auth_server.token_requests) == 1
    else:
        with pytest.raises(IssuerMismatch):
            rpc(rs.mcp_url, auth)
        assert auth_server.token_requests == []  # the code was never redeemed


def test_state_mismatch_is_rejected(servers, make_auth):
    auth_server, rs = servers()

    def tamper(url):
        return HeadlessRedirectHandler(REDIRECT_URI)(url).replace("state=", "state=x")

    auth = make_auth(grant=AuthorizationCodeGrant(tamper, REDIRECT_URI))
    with pytest.raises(StateMismatch):
        rpc(rs.mcp_url, auth)
    assert auth_server.token_requests == []


def test_pkce_support_must_be_advertised(servers, make_auth):
    auth_server, rs = servers(pkce_methods=[])
    with pytest.raises(OAuthError, match="PKCE"):
        rpc(rs.mcp_url, make_auth())
    assert auth_server.authorization_requests == []


def test_no_redirect_handler_is_a_clear_error(servers):
    auth_server, rs = servers()
    auth = OAuthClientAuth(timeout=5)
    with pytest.raises(OAuthError, match="redirect_handler"):
        rpc(rs.mcp_url, auth)
    auth.close()


def test_no_registration_possible(servers, make_auth):
    auth_server, rs = servers(registration=False)
    with pytest.raises(RegistrationError):
        rpc(rs.mcp_url, make_auth())


def test_client_id_metadata_document_when_supported(servers, make_auth):
    auth_server, rs = servers(cimd=True)
    url = "https://app.example.com/oauth/client.json"
    assert rpc(rs.mcp_url, make_auth(client_metadata_url=url)).status_code == 200
    assert auth_server.registrations == []
    assert auth_server.authorization_requests[0].query["client_id"] == url
    assert auth_server.token_requests[0].form["client_id"] == url
    # Not advertised: dynamic registration instead.
    auth_server2, rs2 = servers(cimd=False)
    assert rpc(rs2.mcp_url, make_auth(client_metadata_url=url)).status_code == 200
    assert len(auth_server2.registrations) == 1


def test_refresh_token_used_when_the_access_token_expires(servers, make_auth):
    auth_server, rs = servers(refresh=True, expires_in=1)
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    first = auth.tokens
    assert first.refresh_token
    time.sleep(1.1)
    response = rpc(rs.mcp_url, auth)
    assert response.status_code == 200 and response.history == []  # refreshed before sending
    grants = [r.form["grant_type"] for r in auth_server.token_requests]
    assert grants == ["authorization_code", "refresh_token"]
    assert auth_server.token_requests[1].form["resource"] == rs.mcp_url
    assert auth.tokens.access_token != first.access_token
    assert len(auth_server.authorization_requests) == 1


def test_refresh_on_401_before_a_new_authorization(servers, make_auth):
    auth_server, rs = servers(refresh=True)
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    auth_server.tokens.clear()  # revoked access token, refresh token still good
    assert rpc(rs.mcp_url, auth).status_code == 200
    assert [r.form["grant_type"] for r in auth_server.token_requests] == ["authorization_code", "refresh_token"]
    assert len(auth_server.authorization_requests) == 1


def test_authorization_server_change_reregisters_and_never_reuses_credentials(make_auth):
    as1, as2 = MockAuthServer().start(), MockAuthServer().start()
    current = {"as": as1}
    rs = MockResourceServer(lambda: current["as"]).start()
    try:
        auth = make_auth()
        assert rpc(rs.mcp_url, auth).status_code == 200
        as1_client = as1.registrations and auth_client_id(as1)
        current["as"] = as2  # the resource now trusts another authorization server
        assert rpc(rs.mcp_url, auth).status_code == 200
        assert len(as2.registrations) == 1
        assert all(r.query["client_id"] != as1_client for r in as2.authorization_requests)
        assert all(r.form.get("client_id") != as1_client for r in as2.token_requests)
        assert auth.tokens.issuer == as2.issuer
        # Both registrations are kept, each under its own issuer.
        assert auth.storage.get("client|" + as1.issuer)["client_id"] == as1_client
        assert auth.storage.get("client|" + as2.issuer)["client_id"] != as1_client
    finally:
        rs.stop()
        as1.stop()
        as2.stop()


def auth_client_id(auth_server: MockAuthServer) -> str:
    return auth_server.authorization_requests[0].query["client_id"]


def test_preregistered_client_is_bound_to_its_issuer(make_auth):
    as1 = MockAuthServer(registration=False, clients={"pre": "sec"}, auth_methods=["client_secret_basic"]).start()
    as2 = MockAuthServer(registration=True).start()
    current = {"as": as1}
    rs = MockResourceServer(lambda: current["as"]).start()
    try:
        auth = make_auth(client_id="pre", client_secret="sec", client_issuer=as1.issuer)
        assert rpc(rs.mcp_url, auth).status_code == 200
        assert as1.auth_methods_used == ["client_secret_basic"]
        current["as"] = as2
        assert rpc(rs.mcp_url, auth).status_code == 200
        assert as2.authorization_requests[0].query["client_id"] != "pre"
        assert len(as2.registrations) == 1
    finally:
        rs.stop()
        as1.stop()
        as2.stop()


def test_concurrent_requests_share_one_authorization(servers, make_auth):
    auth_server, rs = servers()
    auth = make_auth()
    session = requests.Session()
    results: list[int] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        results.append(rpc(rs.mcp_url, auth, session=session).status_code)

    threads = [threading.Thread(target=worker, name=f"auth-test-worker-{i}") for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    session.close()
    assert results == [200] * 6
    assert len(auth_server.authorization_requests) == 1
    assert len(auth_server.registrations) == 1


def test_authorize_up_front(servers, make_auth):
    auth_server, rs = servers(rs={"scopes_supported": ["mcp:read"]})
    auth = make_auth(rs.mcp_url)
    tokens = auth.authorize()
    assert tokens.scopes == ["mcp:read"] and tokens.issuer == auth_server.issuer
    response = rpc(rs.mcp_url, auth)
    assert response.status_code == 200 and response.history == []
    auth.logout()
    assert auth.tokens is None
