"""Real gunicorn with threaded workers (``-k gthread --threads 8 -w 1``): the Flask example and the test app."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from mcp_sync.client import Client
from tests.gunicorn_process import Gunicorn
from tests.http.raw import RawSession, SseReader, is_response


@pytest.fixture(scope="module")
def flask_gunicorn(tmp_path_factory):
    server = Gunicorn("examples.flask_app:app", tmp_path_factory.mktemp("gunicorn") / "flask.log")
    yield server
    log = server.stop()
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def mcp_gunicorn(tmp_path_factory):
    server = Gunicorn("tests.http.gunicorn_app:app", tmp_path_factory.mktemp("gunicorn") / "app.log")
    yield server
    log = server.stop()
    assert "Traceback" not in log, log


def test_flask_routes_and_mcp_endpoint_side_by_side(flask_gunicorn):
    base = flask_gunicorn.base
    assert requests.get(base + "/", timeout=30).json() == {"service": "flask-demo", "mcp_endpoint": "/mcp"}
    with Client.http(base + "/mcp") as client:
        assert {tool.name for tool in client.list_tools()} >= {"add", "greet"}
        result = client.call_tool("add", {"a": 2, "b": 40})
        assert not result.is_error and "42" in json.dumps([c.text for c in result.content])
        assert requests.get(base + "/health", timeout=30).json()["mcp_sessions"] == 1
    assert requests.get(base + "/health", timeout=30).json()["mcp_sessions"] == 0  # DELETE on close
    assert requests.get(base + "/nope", timeout=30).status_code == 404  # Flask's own 404


def test_flask_mount_rejects_foreign_origin(flask_gunicorn):
    response = requests.post(flask_gunicorn.base + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             headers={"Origin": "http://evil.example.com", "Accept": "application/json, text/event-stream"},
                             timeout=30)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == -32600


def test_client_features_under_gunicorn(mcp_gunicorn):
    seen = []
    changed = threading.Event()

    def sampler(params):
        return {"role": "assistant", "content": {"type": "text", "text": "from-client"}, "model": "m"}

    with Client.http(mcp_gunicorn.base + "/mcp", sampling=sampler, on_tools_changed=changed.set) as client:
        assert client.call_tool("progress", {"n": 3}, progress=lambda p, t, m: seen.append(p)).content[0].text == "3 steps"
        assert seen == [1, 2, 3]
        assert client.call_tool("sample").content[0].text == "sampled: from-client"
        client.call_tool("broadcast")
        assert changed.wait(10)
        seen.clear()
        result = client.call_tool("reconnect", {"retry_ms": 20}, progress=lambda p, t, m: seen.append(p))
        assert result.content[0].text == "reconnected (closed=True)" and seen == [1, 2, 3]


def test_resume_and_bad_input_under_gunicorn(mcp_gunicorn):
    url = mcp_gunicorn.base + "/mcp"
    with RawSession(url) as raw:
        rid, response = raw.call_tool("reconnect", {"retry_ms": 10}, progress=True)
        reader = SseReader(response)
        first = reader.messages()
        rest = SseReader(raw.get(last_event_id=reader.last_event_id)).messages()
        progress = [m["params"]["progress"] for m in first + rest if m.get("method")]
        assert progress == [1, 2, 3]
        assert [m for m in first + rest if "result" in m][0]["id"] == rid
        assert len([m for m in first + rest if is_response(rid)(m)]) == 1
        assert raw.post(None, raw=b"{nope").status_code == 400
        assert raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                        headers={"Content-Type": "text/plain"}).status_code == 415
        assert raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                        headers={"Mcp-Session-Id": "unknown"}).status_code == 404
        assert raw.http.put(url, headers=raw.headers()).status_code == 405
        big = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"y" * (5 * 1024 * 1024) + b'"}}'
        assert raw.post(None, raw=big).status_code == 413
        assert raw.ping()["result"] == {}
