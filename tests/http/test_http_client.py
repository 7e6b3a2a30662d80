"""HttpClientTransport (through Client.http) against our server under our server and werkzeug."""

from __future__ import annotations

import json
import threading

import pytest

from mcp_sync.client import Client
from mcp_sync.errors import ConnectionClosed
from mcp_sync.transports.http_client import HttpClientTransport, HttpStatusError, SessionExpired
from tests.http.proxy import CuttingProxy


def text(result) -> str:
    return result.content[0].text


def sampler(params):
    return {"role": "assistant", "content": {"type": "text", "text": "sampled-by-client"}, "model": "test"}


def test_calls_session_and_protocol_version_headers(serve):
    served = serve()
    with Client.http(served.url) as client:
        assert client.protocol_version == "2025-11-25"
        transport = client.transport
        assert transport.session_id == served.app.sessions()[0].id
        assert [t.name for t in client.list_tools()][:2] == ["echo", "progress"]
        assert text(client.call_tool("echo", {"a": [1, 2]})) == '{"a": [1, 2]}'
        headers = client.call_tool("headers").structured_content
        assert headers["mcp-session-id"] == transport.session_id
        assert headers["mcp-protocol-version"] == "2025-11-25"
        assert "application/json" in headers["accept"] and "text/event-stream" in headers["accept"]


def test_custom_headers_and_auth_reach_the_server(serve):
    served = serve()
    with Client.http(served.url, headers={"X-Trace": "t-1"}, auth=("user", "secret")) as client:
        headers = client.call_tool("headers").structured_content
        assert headers["x-trace"] == "t-1"
        assert headers["authorization"].startswith("Basic ")


def test_progress_arrives_once_each_and_before_the_result(serve):
    served = serve()
    seen = []
    with Client.http(served.url) as client:
        result = client.call_tool("progress", {"n": 5}, progress=lambda p, total, message: seen.append(p))
        assert text(result) == "5 steps"
        assert seen == [1, 2, 3, 4, 5]


def test_sampling_request_on_the_post_stream(serve):
    served = serve()
    with Client.http(served.url, sampling=sampler) as client:
        assert text(client.call_tool("sample", {"prompt": "hello"})) == "sampled: sampled-by-client"


def test_notifications_on_the_get_stream(serve):
    served = serve()
    changed = threading.Event()
    with Client.http(served.url, on_tools_changed=changed.set) as client:
        client.call_tool("broadcast")
        assert changed.wait(10)


def test_server_closes_the_stream_mid_call_and_the_client_resumes(serve):
    served = serve()
    seen = []
    with Client.http(served.url) as client:
        result = client.call_tool("reconnect", {"retry_ms": 20}, progress=lambda p, t, m: seen.append(p))
        assert text(result) == "reconnected (closed=True)"
        assert seen == [1, 2, 3]
        assert served.server.calls["reconnect"] == 1
        assert text(client.call_tool("echo", {"after": True})) == '{"after": true}'


def test_network_cut_mid_call_resumes_and_delivers_the_result_exactly_once(serve):
    served = serve(allowed_hosts=["127.0.0.1"], sse_retry_ms=50)  # any port: the proxy's
    proxy = CuttingProxy(int(served.url.split(":")[2].split("/")[0]))
    first_progress = threading.Event()
    seen = []

    def on_progress(progress, total, message):
        seen.append(progress)
        first_progress.set()

    try:
        with Client.http(proxy.url_for(served.url)) as client:
            future = client.nowait.call_tool("wait", {"gate": "cut"}, progress=on_progress)
            assert first_progress.wait(10)
            proxy.cut()  # the POST's SSE stream dies mid-call
            served.server.gate("cut").set()
            assert text(future.result(timeout=20)) == "opened"
            assert seen == [1, 2]
            assert served.server.calls["wait"] == 1
            assert client.session.pending() == 0
    finally:
        proxy.close()


def test_cancel_right_after_the_call_reaches_the_handler(serve):
    served = serve()
    with Client.http(served.url) as client:
        future = client.nowait.call_tool("slow")
        assert future.cancel()
        request_id = future.request_id
        assert served.server.gate(f"cancelled-{request_id}").wait(10)
        assert text(client.call_tool("echo", {})) == "{}"


def test_session_expired_after_the_server_ends_it(serve):
    served = serve()
    client = Client.http(served.url).open()
    try:
        (session,) = served.app.sessions()
        served.app._end(session)  # as the idle reaper would
        with pytest.raises(ConnectionClosed) as failure:
            client.call_tool("echo", {})
        assert isinstance(failure.value, SessionExpired) or isinstance(client.session.close_error, SessionExpired)
        assert client.session.closed.wait(10)
        assert isinstance(client.session.close_error, SessionExpired)
        assert "start a new client" in str(client.session.close_error)
    finally:
        client.close()


def test_close_deletes_the_session(serve):
    served = serve()
    client = Client.http(served.url).open()
    (session,) = served.app.sessions()
    client.close()
    assert session.connection.session.closed.is_set()
    assert served.app.sessions() == []


def test_json_response_server(serve):
    served = serve(json_response=True)
    seen = []
    with Client.http(served.url, sampling=sampler) as client:
        assert text(client.call_tool("progress", {"n": 2}, progress=lambda p, t, m: seen.append(p))) == "2 steps"
        # Sampling still works: the request travels on the GET stream in JSON mode.
        assert text(client.call_tool("sample")) == "sampled: sampled-by-client"


def test_stateless_server_no_get_stream(serve):
    served = serve(stateless=True)
    with Client.http(served.url, sampling=sampler) as client:
        assert client.transport.session_id is None
        assert text(client.call_tool("echo", {"x": 1})) == '{"x": 1}'
        result = client.call_tool("sample")
        assert result.is_error and "stateless" in text(result)


def test_falls_back_to_the_2024_11_05_http_sse_transport(serve):
    served = serve(legacy_sse=True)
    sse_url = served.url.rsplit("/", 1)[0] + "/sse"
    with Client.http(sse_url, sampling=sampler) as client:
        assert client.transport.legacy_endpoint.startswith(served.url.rsplit("/", 1)[0] + "/messages?session_id=")
        assert client.protocol_version == "2025-11-25"
        assert text(client.call_tool("echo", {"old": 1})) == '{"old": 1}'
        assert text(client.call_tool("sample")) == "sampled: sampled-by-client"


def test_http_error_without_jsonrpc_body_fails_that_request_only(builtin):
    served = builtin()
    url = served.url.rsplit("/", 1)[0] + "/nothing-here"
    with pytest.raises(HttpStatusError) as failure:
        Client.http(url, timeout=10).open()
    assert failure.value.status == 404


def test_unreachable_server():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionClosed):
        Client.http(f"http://127.0.0.1:{port}/mcp", timeout=5).open()


def test_transport_on_a_bare_session(serve):
    """The transport works with the engine alone (no Client): requests, answers, close."""
    from mcp_sync.session import Session

    served = serve()
    transport = HttpClientTransport(served.url)
    session = Session(transport, on_request=lambda request: {}, name="mcp-bare")
    session.start()
    try:
        result = session.call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                             "clientInfo": {"name": "bare", "version": "0"}}, timeout=10)
        assert result["protocolVersion"] == "2025-06-18" and transport.protocol_version == "2025-06-18"
        session.notify("notifications/initialized")
        answer = session.call("tools/call", {"name": "echo", "arguments": {"k": "v"}}, timeout=10)
        assert json.loads(answer["content"][0]["text"]) == {"k": "v"}
    finally:
        session.close()
    assert served.app.sessions() == []


def test_close_interrupts_a_request_blocked_on_a_silent_server():
    """close() shuts down the connection a request thread waits on (no response headers ever come)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted = []
    got_request = threading.Event()

    def accept() -> None:
        conn, _ = listener.accept()
        accepted.append(conn)
        conn.recv(65536)
        got_request.set()

    acceptor = threading.Thread(target=accept, name="test-silent-server")
    acceptor.start()
    client = Client.http(f"http://127.0.0.1:{listener.getsockname()[1]}/mcp", timeout=None)
    outcome = []
    opener = threading.Thread(target=lambda: outcome.append(_try(client.open)), name="test-opener")
    opener.start()
    try:
        assert got_request.wait(10)
        client.close()
        opener.join(10)
        assert not opener.is_alive()
        assert isinstance(outcome[0], ConnectionClosed)
    finally:
        acceptor.join()
        for conn in accepted:
            conn.close()
        listener.close()


def _try(fn):
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        return exc
    return None


def test_many_clients_and_calls_at_once(serve):
    """Concurrent sessions, each with concurrent calls: every answer reaches the right caller once."""
    served = serve()
    errors: list[BaseException] = []
    progress_counts: list[int] = []
    lock = threading.Lock()

    def one_client(n: int) -> None:
        try:
            with Client.http(served.url, sampling=sampler) as client:
                futures = []
                for i in range(6):
                    seen: list[float] = []
                    futures.append((i, seen, client.nowait.call_tool(
                        "progress", {"n": i + 1}, progress=lambda p, t, m, seen=seen: seen.append(p))))
                futures.append((-1, [], client.nowait.call_tool("sample", {"prompt": f"c{n}"})))
                futures.append((-2, [], client.nowait.call_tool("echo", {"client": n})))
                for i, seen, future in futures:
                    result = future.result(timeout=30)
                    if i >= 0:
                        assert result.content[0].text == f"{i + 1} steps"
                        with lock:
                            progress_counts.append(len(seen))
                    elif i == -1:
                        assert result.content[0].text == "sampled: sampled-by-client"
                    else:
                        assert json.loads(result.content[0].text) == {"client": n}
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=one_client, args=(n,), name=f"test-client-{n}") for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(progress_counts) == 8 * 6
    assert sum(progress_counts) == 8 * sum(range(1, 7))  # progress callbacks: before the result, exactly once
    assert served.app.sessions() == []
