"""The built-in HTTP/1.1 server: persistent connections, chunked bodies both ways, HTTP/1.0, stop()."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.http.raw import ACCEPT_BOTH, INIT_PARAMS

ROOT = Path(__file__).resolve().parents[2]
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT_PARAMS})


def _conn(served) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", int(served.url.split(":")[2].split("/")[0]), timeout=30)


def test_requests_share_one_persistent_connection(builtin):
    served = builtin()
    conn = _conn(served)
    conn.request("POST", "/mcp", INIT, {"Content-Type": "application/json", "Accept": ACCEPT_BOTH})
    response = conn.getresponse()
    session_id = response.getheader("Mcp-Session-Id")
    assert response.status == 200 and json.loads(response.read())["id"] == 1
    assert not response.will_close
    sock = conn.sock
    headers = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH, "Mcp-Session-Id": session_id}
    conn.request("POST", "/mcp", '{"jsonrpc":"2.0","method":"notifications/initialized"}', headers)
    ack = conn.getresponse()
    assert ack.status == 202 and ack.read() == b""
    conn.request("POST", "/mcp", '{"jsonrpc":"2.0","id":2,"method":"ping"}', headers)
    stream = conn.getresponse()
    assert stream.getheader("Content-Type") == "text/event-stream" and stream.chunked and not stream.will_close
    assert b'"id":2,"result":{}' in stream.read()  # the chunked SSE body ends after the response
    assert conn.sock is sock  # all on the same TCP connection
    conn.close()


def test_chunked_request_body(builtin):
    served = builtin()
    conn = _conn(served)
    conn.request("POST", "/mcp", iter([INIT[:10].encode(), INIT[10:].encode()]),
                 {"Content-Type": "application/json", "Accept": ACCEPT_BOTH}, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["result"]["protocolVersion"] == "2025-11-25"
    conn.close()


def test_http_1_0_client_gets_a_close_delimited_stream(builtin):
    served = builtin()
    port = int(served.url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        body = INIT.encode()
        sock.sendall(b"POST /mcp HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                     b"Accept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n%b"
                     % (port, len(body), body))
        data = b""
        while chunk := sock.recv(65536):  # the server closes when done
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length:" in head
    assert json.loads(payload)["id"] == 1


def test_unread_body_and_head_requests_keep_the_connection_sane(builtin):
    served = builtin(max_body_bytes=500)
    conn = _conn(served)
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "y" * 1000}})
    conn.request("POST", "/mcp", big, {"Content-Type": "application/json", "Accept": ACCEPT_BOTH})
    response = conn.getresponse()
    assert response.status == 413
    response.read()
    conn.request("HEAD", "/mcp")
    head = conn.getresponse()
    assert head.status == 405 and head.read() == b""
    conn.request("POST", "/mcp", INIT, {"Content-Type": "application/json", "Accept": ACCEPT_BOTH})
    assert conn.getresponse().status == 200
    conn.close()


def test_stop_ends_idle_and_streaming_connections(builtin):
    served = builtin()
    idle = _conn(served)
    idle.request("POST", "/mcp", INIT, {"Content-Type": "application/json", "Accept": ACCEPT_BOTH})
    session_id = idle.getresponse().getheader("Mcp-Session-Id")  # body unread: the connection stays busy
    streaming = _conn(served)
    streaming.request("GET", "/mcp", headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id})
    stream = streaming.getresponse()
    assert stream.status == 200
    assert stream.readline().startswith(b"id: ")  # the priming event has arrived
    served.stop()  # joins every connection thread (the autouse fixture checks)
    stream.read()  # ends: the server finished the chunked body
    idle.close()
    streaming.close()


def test_run_http_serves_until_sigterm(tmp_path):
    script = tmp_path / "serve.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.http.app_server import build_server\n"
        "build_server().run('http', host='127.0.0.1', port=0)\n")
    process = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.rsplit(" ", 1)[1].strip()
        from mcp_sync.client import Client

        with Client.http(url) as client:
            assert client.call_tool("echo", {"z": 0}).content[0].text == '{"z": 0}'
        process.terminate()
        assert process.wait(30) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_ipv6_loopback(builtin):
    from mcp_sync.http import HttpServerHandle
    from tests.http.app_server import build_server

    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        import pytest

        pytest.skip("no IPv6 loopback on this machine")
    handle = HttpServerHandle(build_server().wsgi_app(), "::1", 0)
    try:
        assert handle.url.startswith("http://[::1]:")
        from mcp_sync.client import Client

        with Client.http(handle.url) as client:
            assert client.call_tool("echo", {}).content[0].text == "{}"
    finally:
        handle.stop()

