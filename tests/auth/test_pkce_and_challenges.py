"""PKCE S256 and WWW-Authenticate parsing."""

from __future__ import annotations

import re

import pytest

from mcp_sync.client.auth import Pkce, code_challenge, new_code_verifier, parse_www_authenticate
from mcp_sync.client.auth.challenges import find_challenge


def test_s256_matches_rfc7636_appendix_b():
    assert code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifiers_are_long_random_and_unreserved():
    seen = {new_code_verifier() for _ in range(50)}
    assert len(seen) == 50
    for v in seen:
        assert 43 <= len(v) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", v)
    pair = Pkce.generate()
    assert pair.method == "S256" and pair.challenge == code_challenge(pair.verifier)
    assert "=" not in pair.challenge


@pytest.mark.parametrize("bad", ["short", "x" * 129, "a" * 42 + "!"])
def test_invalid_verifiers_are_refused(bad):
    with pytest.raises(ValueError):
        code_challenge(bad)


def test_parse_bearer_challenge_with_quoted_params():
    [c] = parse_www_authenticate(
        'Bearer error="insufficient_scope", scope="mcp:read mcp:write", '
        'resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", error_description="say \\"hi\\", ok"')
    assert c.scheme == "Bearer"
    assert c.error == "insufficient_scope"
    assert c.scope == ["mcp:read", "mcp:write"]
    assert c.resource_metadata == "https://h/.well-known/oauth-protected-resource/mcp"
    assert c.get("error_description") == 'say "hi", ok'


def test_parse_several_challenges_and_token68():
    challenges = parse_www_authenticate('Basic realm="x", Negotiate abc==, DPoP algs="ES256", Bearer')
    assert [c.scheme for c in challenges] == ["Basic", "Negotiate", "DPoP", "Bearer"]
    assert challenges[0].params == {"realm": "x"}
    assert challenges[1].token68 == "abc=="
    assert challenges[2].params == {"algs": "ES256"}


def test_unquoted_values_and_case_insensitive_names():
    [c] = parse_www_authenticate("bearer Error=invalid_token, Scope=a")
    assert c.is_scheme("Bearer") and c.error == "invalid_token" and c.scope == ["a"]


def test_find_challenge_prefers_one_with_resource_metadata():
    header = 'Bearer realm="a", DPoP resource_metadata="https://h/prm", Basic realm="b"'
    c = find_challenge(header)
    assert c is not None and c.scheme == "DPoP" and c.resource_metadata == "https://h/prm"
    assert find_challenge('Basic realm="b"') is None
    assert find_challenge(None) is None
