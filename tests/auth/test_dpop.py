"""DPoP (RFC 9449): proof shape, thumbprints, nonce retries at the token endpoint and the resource."""

from __future__ import annotations

import time

import pytest

from mcp_sync.auth import jose
from mcp_sync.client.auth import DPoPKey
from mcp_sync.client.auth.dpop import access_token_hash, htu_of
from tests.auth.conftest import rpc


def test_rfc7638_thumbprint_example():
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRX"
             "jBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs"
             "8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
             "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jose.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_proof_shape():
    key = DPoPKey()
    proof = key.proof("post", "https://rs.example.com/mcp?x=1#f", access_token="tok", nonce="n1")
    header, claims = jose.verify_jws(proof, jose.public_key_from_jwk(header_jwk(proof)), ["ES256"])
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}  # public members only
    assert claims["htm"] == "POST" and claims["htu"] == "https://rs.example.com/mcp"
    assert claims["ath"] == access_token_hash("tok") and claims["nonce"] == "n1"
    assert abs(claims["iat"] - time.time()) < 5 and len(claims["jti"]) >= 32
    assert jose.jwk_thumbprint(header["jwk"]) == key.thumbprint
    other = key.proof("POST", "https://rs.example.com/mcp")
    assert jose.decode_unverified(other)[1]["jti"] != claims["jti"]
    assert "ath" not in jose.decode_unverified(other)[1] and "nonce" not in jose.decode_unverified(other)[1]


def header_jwk(token: str) -> dict:
    return jose.decode_unverified(token)[0]["jwk"]


def test_htu_drops_query_and_fragment():
    assert htu_of("https://h:8443/a/b?q=1#x") == "https://h:8443/a/b"


@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "PS256", "EdDSA"])
def test_proofs_with_other_algorithms_verify(alg):
    key = DPoPKey(alg=alg)
    proof = key.proof("GET", "https://h/x")
    jose.verify_jws(proof, jose.public_key_from_jwk(header_jwk(proof)), [alg])


def test_dpop_bound_token_when_the_as_advertises_it(servers, make_auth):
    auth_server, rs = servers(dpop_algs=["ES256"])
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    tokens = auth.tokens
    assert tokens.token_type == "DPoP" and tokens.dpop_jkt == auth.dpop_key.thumbprint
    sent = rs.accepted[-1].headers
    assert sent["authorization"] == f"DPoP {tokens.access_token}"
    assert jose.decode_unverified(sent["dpop"])[1]["ath"] == access_token_hash(tokens.access_token)
    # A fresh proof on every request.
    assert rpc(rs.mcp_url, auth).status_code == 200
    proofs = [r.headers["dpop"] for r in rs.accepted]
    assert len({jose.decode_unverified(p)[1]["jti"] for p in proofs}) == len(proofs) == 2


def test_dpop_can_be_disabled(servers, make_auth):
    auth_server, rs = servers(dpop_algs=["ES256"])
    auth = make_auth(dpop=False)
    assert rpc(rs.mcp_url, auth).status_code == 200
    assert auth.tokens.token_type == "Bearer" and "dpop" not in auth_server.token_requests[0].headers


def test_no_dpop_unless_advertised(servers, make_auth):
    auth_server, rs = servers()
    auth = make_auth()
    assert rpc(rs.mcp_url, auth).status_code == 200
    assert auth.tokens.token_type == "Bearer" and auth.dpop_key is None


def test_nonce_retry_at_token_endpoint_and_resource(servers, make_auth):
    auth_server, rs = servers(dpop_algs=["ES256"], dpop_nonce="as-nonce-1", rs={"dpop_nonce": "rs-nonce-1"})
    auth = make_auth()
    response = rpc(rs.mcp_url, auth)
    assert response.status_code == 200
    # Token endpoint: first proof without nonce -> use_dpop_nonce -> retried with it.
    assert auth_server.dpop_errors == ["use_dpop_nonce"]
    token_proofs = [jose.decode_unverified(r.headers["dpop"])[1] for r in auth_server.token_requests]
    assert [p.get("nonce") for p in token_proofs] == [None, "as-nonce-1"]
    assert token_proofs[0]["jti"] != token_proofs[1]["jti"]
    # Resource: 401 (no token), then 401 use_dpop_nonce, then accepted with the nonce.
    assert [h.status_code for h in response.history] == [401, 401]
    assert jose.decode_unverified(rs.accepted[-1].headers["dpop"])[1]["nonce"] == "rs-nonce-1"
    # The nonce is remembered: the next request goes through at once.
    again = rpc(rs.mcp_url, auth)
    assert again.status_code == 200 and again.history == []


def test_dpop_offered_without_the_auth_extra_warns_once(servers, make_auth, monkeypatch):
    """Without `cryptography` (the auth extra) the client says so, once, and uses Bearer tokens."""
    import threading
    import warnings

    from mcp_sync.client.auth import oauth

    def no_cryptography(*args, **kwargs):
        # what DPoPKey raises when `cryptography` is not installed (the mock authorization server in this
        # process needs the real package, so it cannot be uninstalled for the test)
        raise jose.MissingCryptography("this needs the 'cryptography' package: pip install 'mcp-sync[auth]'")

    monkeypatch.setattr(oauth, "DPoPKey", no_cryptography)
    monkeypatch.setattr(oauth, "_DPOP_WARNED", threading.Event())
    auth_server, rs = servers(dpop_algs=["ES256"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        auth = make_auth()
        assert rpc(rs.mcp_url, auth).status_code == 200
        second = make_auth()
        assert rpc(rs.mcp_url, second).status_code == 200
    assert auth.tokens.token_type == "Bearer" and auth.dpop_key is None
    said = [w for w in caught if "DPoP" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in caught]
    assert "mcp-sync[auth]" in str(said[0].message) and issubclass(said[0].category, RuntimeWarning)
