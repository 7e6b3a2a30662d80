"""Token storage (memory, JSON file) and the redirect handlers."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest
import requests

from mcp_sync.client.auth import (
    AuthorizationCodeGrant,
    InMemoryTokenStorage,
    JsonFileTokenStorage,
    LoopbackRedirectHandler,
    OAuthError,
    TokenSet,
    TokenStorage,
)
from tests.auth.conftest import rpc


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_storage_roundtrip(tmp_path, kind):
    store = InMemoryTokenStorage() if kind == "memory" else JsonFileTokenStorage(tmp_path / "sub" / "tokens.json")
    assert isinstance(store, TokenStorage)
    assert store.get("k") is None
    value = {"a": 1, "nested": {"b": [1, 2]}}
    store.set("k", value)
    value["a"] = 2  # the store keeps its own copy
    assert store.get("k") == {"a": 1, "nested": {"b": [1, 2]}}
    got = store.get("k")
    got["a"] = 3
    assert store.get("k")["a"] == 1
    store.set("other", {"x": True})
    store.delete("k")
    store.delete("missing")
    assert store.get("k") is None and store.get("other") == {"x": True}


def test_json_file_is_private_and_shared_between_instances(tmp_path):
    path = tmp_path / "tokens.json"
    JsonFileTokenStorage(path).set("k", {"v": 1})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert JsonFileTokenStorage(path).get("k") == {"v": 1}
    path.write_text("not json")
    assert JsonFileTokenStorage(path).get("k") is None  # a corrupt file is treated as empty


def test_json_file_concurrent_writers(tmp_path):
    store = JsonFileTokenStorage(tmp_path / "t.json")
    threads = [threading.Thread(target=lambda i=i: store.set(f"k{i}", {"i": i}), name=f"store-writer-{i}")
               for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(store.keys()) == sorted(f"k{i}" for i in range(10))


def test_tokenset_roundtrip_and_expiry():
    tokens = TokenSet.from_response({"access_token": "a", "token_type": "Bearer", "expires_in": 60,
                                     "refresh_token": "r", "scope": "x y", "id_token": "i"}, issuer="https://as")
    assert tokens.scopes == ["x", "y"] and not tokens.expired() and tokens.extra == {"id_token": "i"}
    assert TokenSet.from_dict(tokens.to_dict()) == tokens
    rotated = TokenSet.from_response({"access_token": "b", "expires_in": 0}, previous=tokens)
    assert rotated.refresh_token == "r" and rotated.scope == "x y" and rotated.expired()


def test_tokens_survive_in_a_json_file(servers, make_auth, tmp_path):
    auth_server, rs = servers()
    path = tmp_path / "tokens.json"
    first = make_auth(storage=JsonFileTokenStorage(path))
    assert rpc(rs.mcp_url, first).status_code == 200
    second = make_auth(storage=JsonFileTokenStorage(path))  # a new process, say
    response = rpc(rs.mcp_url, second)
    assert response.status_code == 200 and response.history == []
    assert len(auth_server.authorization_requests) == 1 and len(auth_server.registrations) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_loopback_redirect_handler_catches_the_callback(servers, make_auth):
    auth_server, rs = servers()

    stray: list[int] = []

    def browser(url: str) -> None:
        # Plays the user's browser: a stray request first (ignored), then the authorization
        # server's redirect to the loopback port.
        def visit() -> None:
            time.sleep(0.1)
            favicon = handler.redirect_uri.replace("/callback", "/favicon.ico")
            stray.append(requests.get(favicon, timeout=10).status_code)
            requests.get(url, timeout=10).close()
        threading.Thread(target=visit, name="fake-browser", daemon=True).start()

    with LoopbackRedirectHandler(open_browser=browser, timeout=10) as handler:
        assert handler.redirect_uri.startswith("http://127.0.0.1:") and handler.redirect_uri.endswith("/callback")
        auth = make_auth(grant=AuthorizationCodeGrant(handler))
        assert rpc(rs.mcp_url, auth).status_code == 200
        assert auth_server.registrations[0].json["redirect_uris"] == [handler.redirect_uri]
        assert auth_server.registrations[0].json["application_type"] == "native"
        # Step-up or re-login works on the same port.
        auth.logout()
        assert rpc(rs.mcp_url, auth).status_code == 200
        assert stray == [404, 404]
    assert not [t for t in threading.enumerate() if t.name == "mcp-oauth-callback"]


def test_loopback_redirect_handler_times_out():
    with LoopbackRedirectHandler(open_browser=lambda url: None, timeout=0.5) as handler:
        with pytest.raises(OAuthError, match="no authorization callback"):
            handler("https://as.example.com/authorize")
