"""Fuzzing the Streamable HTTP endpoint through the built-in server, byte for byte.

Each example is one raw HTTP request with random method, path, headers
(Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Origin, Host,
Last-Event-ID) and body. The oracle below states, from the spec and our
documented behaviour, every status the request may get given its defects; the
answer must be one of them, an error must carry the matching JSON-RPC error,
nothing may answer 500 or send a traceback, nothing may be logged as an
error, and a well-behaved session must keep working after every example.
"""

from __future__ import annotations

import http.client
import json
import secrets
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_sync.protocol import jsonrpc
from mcp_sync.protocol.versions import LEGACY_VERSIONS
from tests.hardening.strategies import frames, fuzz_settings, json_values
from tests.hardening.test_http_support import LogTrap, Served, build_request, raw_http, sdk_threads
from tests.http.raw import RawSession

MAX_BODY = 2048
GOOD = "<good session>"  # resolved to the live good session id when the request is built
PORT = "<port>"
VERSION = "2025-11-25"

# -- the request strategy -----------------------------------------------------------------

printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
garbage = printable.map(lambda s: "x" + s)  # never a valid host, origin, media type or version
methods = st.sampled_from(["POST"] * 6 + ["GET"] * 2 + ["DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "FOO"])
paths = st.sampled_from(["/mcp"] * 8 + ["/mcp/", "/mcp?x=1", "/", "/MCP", "/mcpx", "/sse", "/messages", "/%6Dcp",
                         "/mcp/../mcp", f"http://127.0.0.1:{PORT}/mcp", "*"])
hosts = st.one_of(st.sampled_from([f"127.0.0.1:{PORT}"] * 6 + [f"localhost:{PORT}", f"[::1]:{PORT}", None,
                                   "127.0.0.1", "127.0.0.1:1", "evil.example", f"evil.example:{PORT}"]), garbage)
origins = st.one_of(st.sampled_from([None] * 6 + ["http://localhost:3000", f"http://127.0.0.1:{PORT}",
                                     "https://evil.example", f"http://evil.example:{PORT}", "null", "file://"]),
                    garbage)
accepts = st.one_of(st.sampled_from(["application/json, text/event-stream"] * 6 + [
    "*/*", "application/json", "text/event-stream", None, "text/html", "application/*, text/*",
    "text/event-stream;q=0.9, application/json;q=0.1"]), garbage)
content_types = st.one_of(st.sampled_from(["application/json"] * 6 + [
    "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", None, "application/jsonx"]), garbage)
session_ids = st.one_of(st.sampled_from([GOOD] * 6 + [None] * 3 + [""]),
                        st.just("unknown").map(lambda s: s + secrets.token_hex(4)), garbage)
versions = st.one_of(st.sampled_from([VERSION] * 4 + [None] * 3 + ["2025-06-18", "2024-11-05", "1999-01-01"]),
                     garbage)
event_ids = st.one_of(st.sampled_from([None] * 6 + ["", "abc", "ffff-5", "x-0", "-1"]), garbage)


def _request(id_: Any, method: str, params: Any = None) -> dict:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


good_messages = st.one_of(
    st.builds(lambda i: _request(i, "ping"), st.integers(1000, 10**6)),
    st.builds(lambda i: _request(i, "tools/list"), st.integers(1000, 10**6)),
    st.builds(lambda i, a: _request(i, "tools/call", {"name": "echo", "arguments": {"v": a}}),
              st.one_of(st.integers(1000, 10**6), printable), json_values),
    st.builds(lambda i: _request(i, "no/such/method"), st.integers(1000, 10**6)),
    st.builds(lambda i: _request(i, "initialize", {"protocolVersion": VERSION, "capabilities": {},
                                                   "clientInfo": {"name": "fuzz", "version": "1"}}),
              st.integers(1000, 10**6)),
    st.just({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    st.builds(lambda i: {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": i}},
              st.integers()),
    st.builds(lambda i: {"jsonrpc": "2.0", "id": i, "result": {}}, st.integers()),
)
bodies = st.one_of(
    good_messages.map(lambda m: json.dumps(m).encode()),
    good_messages.map(lambda m: json.dumps(m).encode()),
    st.lists(good_messages, min_size=1, max_size=3).map(lambda ms: json.dumps(ms).encode()),  # batches
    frames(),  # random bytes, random JSON, near-valid and damaged JSON-RPC
    st.just(b""),
    st.integers(MAX_BODY + 1, 3 * MAX_BODY).map(lambda n: b'{"pad":"' + b"a" * n + b'"}'),
)


@st.composite
def http_requests(draw: Any) -> dict[str, Any]:
    return {
        "method": draw(methods), "path": draw(paths), "host": draw(hosts), "origin": draw(origins),
        "accept": draw(accepts), "content_type": draw(content_types), "session": draw(session_ids),
        "version": draw(versions), "last_event_id": draw(event_ids), "body": draw(bodies),
        "chunked": draw(st.sampled_from([False] * 4 + [True])),
    }


# -- the oracle -------------------------------------------------------------------------------

LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}


def _split(hostport: str) -> tuple[str, str | None]:
    hostport = hostport.lower()
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else None
    host, sep, port = hostport.rpartition(":")
    return (host, port) if sep else (hostport, None)


def _media_types(accept: str | None) -> set[str]:
    return {part.split(";")[0].strip().lower() for part in (accept or "").split(",")}


def _accepts(accept: str | None, media: str) -> bool:
    types = _media_types(accept)
    return bool(types & {media, media.split("/")[0] + "/*", "*/*"})


def expected_statuses(req: dict[str, Any], port: int, session_id: str) -> set[int]:
    """Every status the spec (and our documented behaviour) allows for ``req``."""
    target = req["path"].replace(PORT, str(port))
    if "://" in target:
        target = urlsplit(target).path
    path = unquote(target.split("?")[0]).rstrip("/") or "/"
    if path != "/mcp":
        return {404}
    bad: set[int] = set()
    # DNS rebinding protection (on by default for a loopback server): Host, then Origin.
    host = req["host"].replace(PORT, str(port)) if req["host"] is not None else None
    host_name, host_port = _split(host) if host else ("", None)
    if not (host_name in LOOPBACK and host_port == str(port)):
        bad.add(403)
    origin = req["origin"].replace(PORT, str(port)) if req["origin"] is not None else None
    if origin is not None:
        parts = urlsplit(origin)
        name, oport = _split(parts.netloc) if parts.scheme in ("http", "https") and parts.netloc else ("", None)
        if name not in LOOPBACK and (name, oport) != (host_name, host_port):
            bad.add(403)
    method = req["method"]
    if method not in ("GET", "POST", "DELETE"):
        return bad | {405}
    session = req["session"]
    if session == GOOD:
        session = session_id
    has_session = bool(session and session.strip())
    known = has_session and session == session_id
    version = req["version"]
    # The spec: an invalid or unsupported MCP-Protocol-Version gets 400; so does one that is not the
    # version the session negotiated (VERSION, for the good session).
    unsupported = version is not None and version not in LEGACY_VERSIONS
    mismatch = version is not None and version != VERSION
    if method == "POST":
        if not (_accepts(req["accept"], "application/json") and _accepts(req["accept"], "text/event-stream")):
            bad.add(406)
        if (req["content_type"] or "").split(";")[0].strip().lower() != "application/json":
            bad.add(415)
        body = req["body"]
        if len(body) > MAX_BODY:
            return bad | {413}
        message = jsonrpc.parse(body)
        if type(message) is jsonrpc.Invalid:
            return bad | {400}
        if type(message) is jsonrpc.Request and message.method == "initialize" and not has_session:
            return bad | {200}  # initialize comes before any version is negotiated: the header is ignored
        if unsupported:
            bad.add(400)
        if not has_session:
            return bad | {400}
        if not known:
            return bad | {404}
        if mismatch:
            bad.add(400)
        if type(message) is jsonrpc.Batch:  # batches exist only in 2025-03-26
            return bad | {400}
        return bad | ({200} if type(message) is jsonrpc.Request else {202})
    if method == "GET" and not _accepts(req["accept"], "text/event-stream"):
        bad.add(406)
    if unsupported:
        bad.add(400)
    if not has_session:
        return bad | {400}
    if not known:
        return bad | {404}
    if mismatch:
        bad.add(400)
    return bad | {200}


#: The JSON-RPC error code each HTTP error status must carry.
RPC_CODES = {400: {-32700, -32600}, 403: {-32600}, 404: {-32001}, 405: {-32600}, 406: {-32600},
             413: {-32600}, 415: {-32600}}


# -- the test ----------------------------------------------------------------------------------------

class Target:
    def __init__(self) -> None:
        self.served = Served(max_body_bytes=MAX_BODY)
        self.port = self.served.port
        self.good = RawSession(self.served.url)

    def renew(self) -> None:
        self.good.close()
        self.good = RawSession(self.served.url)

    def check_alive(self) -> None:
        """The good session still answers, correctly."""
        assert self.good.ping() == {"jsonrpc": "2.0", "id": self.good._ids, "result": {}}
        rid, response = self.good.call_tool("echo", {"alive": True})
        assert response.status_code == 200, response.text
        from tests.http.raw import SseReader, is_response
        answer = SseReader(response).until(is_response(rid))[-1]
        assert answer["result"]["content"][0]["text"] == '{"alive": true}'

    def close(self) -> None:
        self.good.close()
        self.served.stop()


@pytest.fixture(scope="module")
def target():
    with LogTrap() as trap:
        t = Target()
        t.trap = trap
        yield t
        t.close()
    assert trap.problems() == []


def _send(target: Target, req: dict[str, Any]) -> Any:
    port, sid = target.port, target.good.session_id
    headers = []
    for name, key in (("Host", "host"), ("Origin", "origin"), ("Accept", "accept"), ("Content-Type", "content_type"),
                      ("Mcp-Session-Id", "session"), ("MCP-Protocol-Version", "version"),
                      ("Last-Event-ID", "last_event_id")):
        value = req[key]
        if value is not None:
            headers.append((name, value.replace(GOOD, sid).replace(PORT, str(port))))
    headers.append(("Connection", "close"))
    data = build_request(req["method"], req["path"].replace(PORT, str(port)), headers, req["body"],
                         chunked=req["chunked"])
    return raw_http(port, data, method=req["method"], read_sse=req["method"] != "GET")


@fuzz_settings(200)
@given(req=http_requests())
def test_http_endpoint_fuzz(target, req):
    sid = target.good.session_id
    allowed = expected_statuses(req, target.port, sid)
    response = _send(target, req)
    assert response is not None, "the server closed the connection without answering"
    status = response.status
    assert status != 500 and b"Traceback" not in response.body and b'File "' not in response.body
    assert status in allowed, (status, allowed, response.body[:300])
    if req["method"] == "HEAD" or status == 404 and 404 in allowed and allowed == {404} and req["path"] != "/mcp":
        pass
    elif status in RPC_CODES and not (status == 404 and response.content_type == "text/plain"):
        error = json.loads(response.body)
        assert error["jsonrpc"] == "2.0" and isinstance(error["error"]["message"], str), error
        assert error["error"]["code"] in RPC_CODES[status], error
    if status == 405:
        assert response.headers.get("allow") == "GET, POST, DELETE"
    if status == 202:
        assert response.body == b""
    if status == 200 and req["method"] == "POST":
        message = jsonrpc.parse(req["body"])
        if response.content_type == "application/json":
            answer = json.loads(response.body)
        else:
            assert response.content_type == "text/event-stream"
            events = [line[5:].strip() for line in response.body.decode().splitlines() if line.startswith("data:")]
            answer = json.loads([e for e in events if e][-1])
        assert answer.get("id") == message.id and ("result" in answer or "error" in answer), answer
        new_session = response.headers.get("mcp-session-id")
        if new_session:  # an initialize made a session: end it again
            assert raw_http(target.port, build_request("DELETE", "/mcp", [
                ("Host", target.served.host), ("Mcp-Session-Id", new_session), ("Connection", "close")])).status == 200
    if req["method"] == "DELETE" and status == 200:
        target.renew()  # the example ended the good session: start another
    target.check_alive()
    assert target.trap.problems() == []


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
def test_garbage_protocol_version_is_400(target, method):
    req = {"method": method, "path": "/mcp", "host": f"127.0.0.1:{PORT}", "origin": None,
           "accept": "application/json, text/event-stream", "content_type": "application/json", "session": GOOD,
           "version": "x0", "last_event_id": None, "chunked": False,
           "body": b'{"jsonrpc": "2.0", "id": 1000, "method": "ping"}'}
    response = _send(target, req)
    assert response.status == 400
    assert json.loads(response.body)["error"]["code"] == -32600


@fuzz_settings(100)
@given(data=st.one_of(
    st.binary(max_size=200),
    st.builds(lambda head, tail: head + tail,
              st.sampled_from([b"POST /mcp HTTP/1.1\r\n", b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                               b"POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                               b"POST /mcp HTTP/1.1\r\nContent-Length: 5\r\n\r\n", b"GET / HTTP/1.0\r\n",
                               b"POST /mcp HTTP/9.9\r\n\r\n", b"\r\n\r\n"]),
              st.binary(max_size=120)),
))
def test_garbage_http_fuzz(target, data):
    """Any bytes at all, then EOF: never a 500, and the server goes on serving."""
    try:
        response = raw_http(target.port, data, method="POST", half_close=True, read_sse=False)
    except (OSError, ValueError, http.client.HTTPException):  # a reset; an HTTP/0.9 answer http.client refuses
        response = None
    if response is not None:
        assert response.status != 500 and b"Traceback" not in response.body
    target.check_alive()
    assert target.trap.problems() == []


def test_fuzzing_left_no_session_or_thread_behind(target):
    """Sessions the examples created were ended; the server runs no more threads than it needs."""
    assert [s.id for s in target.served.app.sessions()] == [target.good.session_id]
    # per connection one thread; per session a handful (its pool, its notifier)
    assert len(sdk_threads()) < 60
