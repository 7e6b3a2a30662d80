"""Discovery: the order of well-known URLs, metadata validation, 2025-03-26 fallbacks (real HTTP)."""

from __future__ import annotations

import pytest
import requests

from mcp_sync.client.auth import (
    MetadataMismatch,
    ResourceMismatch,
    as_metadata_urls,
    canonical_resource,
    discover,
    prm_urls,
    resource_allowed,
)
from tests.auth.conftest import rpc
from tests.auth.mock_servers import MockAuthServer, MockResourceServer


def test_prm_url_order_path_then_root():
    assert prm_urls("https://Example.com/tenant/mcp?x=1") == [
        "https://example.com/.well-known/oauth-protected-resource/tenant/mcp",
        "https://example.com/.well-known/oauth-protected-resource",
    ]
    assert prm_urls("https://example.com") == ["https://example.com/.well-known/oauth-protected-resource"]


def test_as_metadata_url_order_follows_the_spec():
    assert as_metadata_urls("https://auth.example.com/tenant1") == [
        "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
        "https://auth.example.com/.well-known/openid-configuration/tenant1",
        "https://auth.example.com/tenant1/.well-known/openid-configuration",
    ]
    assert as_metadata_urls("https://auth.example.com") == [
        "https://auth.example.com/.well-known/oauth-authorization-server",
        "https://auth.example.com/.well-known/openid-configuration",
    ]


def test_canonical_resource():
    assert canonical_resource("HTTPS://Mcp.Example.COM/Mcp#frag") == "https://mcp.example.com/Mcp"
    assert canonical_resource("https://mcp.example.com/") == "https://mcp.example.com"
    with pytest.raises(ValueError):
        canonical_resource("/relative")


@pytest.mark.parametrize("resource, server, ok", [
    ("https://h/mcp", "https://h/mcp", True),
    ("https://h", "https://h/mcp", True),
    ("https://h/", "https://h/mcp", True),
    ("https://H:443/mcp", "https://h/mcp", True),
    ("https://h/mc", "https://h/mcp", False),
    ("https://h/mcp/other", "https://h/mcp", False),
    ("https://evil.example.com/mcp", "https://h/mcp", False),
    ("http://h/mcp", "https://h/mcp", False),
    ("https://h:8443/mcp", "https://h/mcp", False),
    ("https://h/mcp#x", "https://h/mcp", False),
])
def test_resource_allowed(resource, server, ok):
    assert resource_allowed(resource, server) is ok


def _flow(servers, make_auth, *, rs=None, **as_options):
    auth_server, resource_server = servers(rs=rs, **as_options)
    auth = make_auth()
    response = rpc(resource_server.mcp_url, auth)
    return auth_server, resource_server, auth, response


def test_challenge_metadata_url_is_used_first(servers, make_auth):
    auth_server, rs, auth, response = _flow(servers, make_auth, rs={"prm_paths": ["/custom/prm.json"]})
    assert response.status_code == 200
    assert rs.paths("GET") == ["/custom/prm.json"]
    assert auth.discovery.resource_metadata_url == rs.url + "/custom/prm.json"


def test_path_suffixed_prm_before_root(servers, make_auth):
    auth_server, rs, auth, response = _flow(servers, make_auth, rs={
        "challenge_metadata": False, "prm_paths": ["/.well-known/oauth-protected-resource"]})
    assert response.status_code == 200
    assert rs.paths("GET") == ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]


def test_as_metadata_order_with_issuer_path(servers, make_auth):
    # Only the third candidate exists: the first two must be tried first, in order.
    auth_server, rs, auth, response = _flow(
        servers, make_auth, prefix="/tenant1", metadata_paths=["/tenant1/.well-known/openid-configuration"])
    assert response.status_code == 200
    gets = [p for p in auth_server.paths("GET") if ".well-known" in p]
    assert gets == ["/.well-known/oauth-authorization-server/tenant1", "/.well-known/openid-configuration/tenant1",
                    "/tenant1/.well-known/openid-configuration"]


def test_openid_configuration_after_oauth_metadata(servers, make_auth):
    auth_server, rs, auth, response = _flow(servers, make_auth,
                                            metadata_paths=["/.well-known/openid-configuration"])
    assert response.status_code == 200
    assert [p for p in auth_server.paths("GET") if ".well-known" in p] == [
        "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]


def test_resource_parameter_is_the_prm_resource_verbatim(servers, make_auth):
    # Root metadata naming the bare origin: "resource" is sent exactly so (no "/" appended).
    auth_server, rs = servers(rs={"challenge_metadata": False, "prm_paths": ["/.well-known/oauth-protected-resource"]})
    rs.prm_resource = rs.url
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    [authz] = auth_server.authorization_requests
    assert authz.query["resource"] == rs.url
    assert auth_server.token_requests[-1].form["resource"] == rs.url
    assert auth.tokens.resource == rs.url


def test_resource_parameter_defaults_to_the_server_url(servers, make_auth):
    auth_server, rs = servers()
    assert rpc(rs.mcp_url, make_auth()).status_code == 200
    assert auth_server.authorization_requests[0].query["resource"] == rs.mcp_url
    assert auth_server.token_requests[0].form["resource"] == rs.mcp_url


def test_prm_for_another_resource_is_rejected(servers, make_auth):
    auth_server, rs = servers(rs={"prm_resource": "https://evil.example.com/mcp"})
    auth = make_auth()
    with pytest.raises(ResourceMismatch):
        rpc(rs.mcp_url, auth)
    assert auth_server.authorization_requests == [] and auth_server.token_requests == []


def test_as_metadata_with_another_issuer_is_rejected(servers, make_auth):
    auth_server, rs = servers(metadata_issuer="https://attacker.example.com")
    auth = make_auth()
    with pytest.raises(MetadataMismatch):
        rpc(rs.mcp_url, auth)
    assert auth_server.registrations == [] and auth_server.authorization_requests == []
    assert auth_server.token_requests == []


def test_legacy_2025_03_26_metadata_at_server_origin(servers, make_auth):
    # No protected-resource metadata; the MCP server's origin is the authorization server.
    with MockAuthServer() as auth_server:
        rs = MockResourceServer(auth_server, serve_prm=False, challenge_metadata=False).start()
        try:
            http = requests.Session()
            result = discover(http, rs.mcp_url, timeout=5)
            assert result.resource_metadata is None
            assert result.issuer == rs.url and not result.as_metadata.discovered
            assert result.as_metadata.authorization_endpoint == rs.url + "/authorize"
            assert result.as_metadata.token_endpoint == rs.url + "/token"
            assert result.as_metadata.registration_endpoint == rs.url + "/register"
            assert result.resource == rs.mcp_url
            assert rs.paths("GET") == [
                "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
            http.close()
        finally:
            rs.stop()
