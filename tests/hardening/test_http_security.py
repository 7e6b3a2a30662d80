"""Secure defaults, checked: DNS rebinding protection, unguessable ids, no tracebacks to peers, no secrets in logs.

Also keeps the security section of README.rst in step with the code.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from mcp_sync import Client, Server
from mcp_sync.errors import McpError
from mcp_sync.http import builtin_server, session_manager
from mcp_sync.http.builtin_server import _is_loopback, start_http
from mcp_sync.server.auth import AccessInfo, BearerAuthMiddleware, StaticTokenVerifier
from mcp_sync.tasks import TaskLimits, ids
from tests.hardening.test_http_support import (  # noqa: F401 - fixtures
    WAIT,
    LogTrap,
    Served,
    build_request,
    no_sdk_threads_left,
    raw_http,
    served,
    wait_until,
)
from tests.http.raw import RawSession, SseReader, is_response

pytestmark = pytest.mark.usefixtures("no_sdk_threads_left")

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")


# -- DNS rebinding: Host and Origin checks ----------------------------------------------------------------

@pytest.mark.parametrize("bind", ["127.0.0.1", "localhost"])
def test_host_and_origin_checks_are_on_for_a_loopback_bind(bind):
    server = Server("rebinding")
    server.add_tool(lambda: "hi", name="hi")
    handle = start_http(server, host=bind, port=0)
    try:
        assert handle.app.hosts.enabled and handle.app.hosts.allowed_hosts is None
        port = handle.port

        def status(host: str, origin: str | None = None) -> int:
            headers = [("Host", host), ("Accept", "application/json, text/event-stream"),
                       ("Content-Type", "application/json"), ("Connection", "close")]
            if origin is not None:
                headers.append(("Origin", origin))
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}})
            response = raw_http(port, build_request("POST", "/mcp", headers, body.encode()), method="POST")
            if response.status == 200:  # a session was made: end it
                raw_http(port, build_request("DELETE", "/mcp", [("Host", host), ("Connection", "close"), (
                    "Mcp-Session-Id", response.headers["mcp-session-id"])]))
            return response.status

        assert status(f"127.0.0.1:{port}") == 200
        assert status(f"localhost:{port}", "http://localhost:5173") == 200  # a local web app
        assert status(f"evil.example:{port}") == 403  # a rebound name
        assert status(f"evil.example:{port}", f"http://evil.example:{port}") == 403  # rebinding, browser-style
        assert status(f"127.0.0.1:{port}", "https://evil.example") == 403  # a foreign page
        assert status(f"127.0.0.1:{port}", "null") == 403  # sandboxed frames, file:// pages
        assert status("127.0.0.1") == 403  # wrong port (80)
    finally:
        handle.stop()


def test_a_non_loopback_bind_warns_that_host_checking_is_off(monkeypatch):
    """Host names of a public server are unknown, so ``*``; loudly (without binding anything in the test)."""
    made = []

    class FakeHandle:
        def __init__(self, app, host, port):
            made.append(app)

    monkeypatch.setattr(builtin_server, "HttpServerHandle", FakeHandle)
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.5") and _is_loopback("::1")
    with LogTrap(level=logging.WARNING) as trap:
        start_http(Server("x"), host="0.0.0.0", port=8000)
        start_http(Server("x"), host="0.0.0.0", port=8000, allowed_hosts=["mcp.example.com"])
    assert made[0].hosts.allowed_hosts == ["*"] and made[1].hosts.allowed_hosts == ["mcp.example.com"]
    warnings = [r.getMessage() for r in trap.snapshot()]
    assert len(warnings) == 1 and "DNS rebinding protection is off" in warnings[0]
    for app in made:
        app.close()


# -- unguessable ids ----------------------------------------------------------------------------------

def test_session_ids_have_192_bits_from_secrets(served, monkeypatch):
    s = served()
    seen = set()
    for _ in range(20):
        with RawSession(s.url) as session:
            sid = session.session_id
            assert len(sid) == 32 and URLSAFE.match(sid)  # 24 random bytes, URL-safe base64
            assert all(0x21 <= ord(c) <= 0x7E for c in sid)  # the spec: visible ASCII only
            seen.add(sid)
            session.delete()
    assert len(seen) == 20
    calls = []
    real = session_manager.secrets.token_urlsafe
    monkeypatch.setattr(session_manager.secrets, "token_urlsafe", lambda n: calls.append(n) or real(n))
    session_manager.new_token()
    assert calls == [24]  # from the OS CSPRNG, 24 bytes = 192 bits


def test_task_ids_have_128_bits_from_secrets(served, monkeypatch):
    assert ids.TASK_ID_BYTES == 16
    calls = []
    real = ids.secrets.token_urlsafe
    monkeypatch.setattr(ids.secrets, "token_urlsafe", lambda n: calls.append(n) or real(n))
    task_id = ids.new_task_id()
    assert calls == [16] and len(task_id) == 22 and URLSAFE.match(task_id)
    monkeypatch.undo()
    # and on the wire
    server = Server("task-ids", tasks=TaskLimits())

    @server.tool(task_support="optional")
    def quick() -> str:
        return "done"

    try:
        s = served(server)
        with RawSession(s.url) as session:
            response = session.request("tools/call", {"name": "quick", "arguments": {}, "task": {"ttl": 60_000}})
            answer = SseReader(response).until(lambda m: "result" in m or "error" in m)[-1]
            task_id = answer["result"]["task"]["taskId"]
            assert len(task_id) == 22 and URLSAFE.match(task_id)
    finally:
        server.close()


# -- no tracebacks to peers ---------------------------------------------------------------------------------

FAILING = textwrap.dedent('''
    from mcp_sync import Server

    def failing_server(debug=False):
        server = Server("failing", debug=debug)

        @server.tool()
        def bad_tool() -> str:
            raise RuntimeError("tool exploded")

        @server.resource("test://bad")
        def bad_resource() -> str:
            raise KeyError("resource exploded")

        @server.prompt()
        def bad_prompt() -> str:
            raise ValueError("prompt exploded")

        @server.method("bad/method")
        def bad_method(connection, request):
            raise ZeroDivisionError("method exploded")

        return server
''')
namespace: dict = {}
exec(FAILING, namespace)  # the same server in process (HTTP) and in a subprocess (stdio)
failing_server = namespace["failing_server"]

CALLS = [("tools/call", {"name": "bad_tool", "arguments": {}}), ("resources/read", {"uri": "test://bad"}),
         ("prompts/get", {"name": "bad_prompt"}), ("bad/method", {})]
TRACE_MARKS = ("Traceback", 'File "', "line ", ".py")


def _check_answers(answers: list[dict], debug: bool) -> None:
    assert len(answers) == len(CALLS)
    tool, resource, prompt, method = answers
    assert tool["result"]["isError"] is True
    assert tool["result"]["content"][0]["text"].startswith("RuntimeError: tool exploded")
    assert resource["error"]["code"] == prompt["error"]["code"] == method["error"]["code"] == -32603
    assert "KeyError" in resource["error"]["message"] and "ValueError" in prompt["error"]["message"]
    if debug:  # the switch that sends tracebacks (development only): proves the check below can fail
        assert "Traceback" in tool["result"]["content"][0]["text"]
        return
    text = json.dumps(answers)
    assert not any(mark in text for mark in TRACE_MARKS), text


@pytest.mark.parametrize("debug", [False, True])
def test_no_tracebacks_over_http(served, debug):
    s = served(failing_server(debug))
    with RawSession(s.url) as session:
        answers = []
        for method, params in CALLS:
            response = session.request(method, params)
            raw = response.content.decode()
            assert "Traceback" not in raw or debug
            answers.append([json.loads(line[5:]) for line in raw.splitlines()
                            if line.startswith("data:") and line[5:].strip()][-1])
        _check_answers(answers, debug)


def test_no_tracebacks_over_stdio(tmp_path):
    script = tmp_path / "failing.py"
    script.write_text(FAILING + "\nfailing_server().run('stdio')\n")
    messages = [{"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]
    messages += [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(CALLS, 1)]
    done = subprocess.run([sys.executable, str(script)], input="".join(json.dumps(m) + "\n" for m in messages),
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    replies = {r["id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert "Traceback" not in done.stdout
    _check_answers([replies[i] for i in range(1, len(CALLS) + 1)], debug=False)


# -- no secrets in logs -------------------------------------------------------------------------------------

SECRET = "S3CRET-bearer-7f3a9c"
WRONG = "WR0NG-bearer-c41d2e"


def test_authorization_never_appears_in_logs_even_at_debug(served):
    s = served(failing_server(), legacy_sse=True, session_idle_timeout=0.5)
    s.httpd.app = BearerAuthMiddleware(s.app, StaticTokenVerifier({SECRET: AccessInfo("alice")}))
    with LogTrap(loggers=[""], level=logging.DEBUG) as trap:  # everything: ours, requests, urllib3
        with Client.http(s.url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=WAIT,
                         protocol="legacy") as client:
            client.list_tools()
            assert client.call_tool("bad_tool", {}).is_error
            with pytest.raises(McpError):
                client.read_resource("test://bad")
            session_id = client.transport.session_id
        with pytest.raises(Exception):
            Client.http(s.url, headers={"Authorization": f"Bearer {WRONG}"}, timeout=WAIT, protocol="legacy").open()
        # the HTTP+SSE transport: its session id travels in the query string
        with RawSession(s.url.replace("/mcp", "/sse"), initialize=False) as legacy:
            response = legacy.http.get(legacy.url, headers={"Authorization": f"Bearer {SECRET}",
                                                            "Accept": "text/event-stream"}, stream=True, timeout=WAIT)
            endpoint = SseReader(response).next().data
            legacy_id = endpoint.split("session_id=")[1]
            posted = legacy.http.post(s.url.replace("/mcp", endpoint), json={"jsonrpc": "2.0", "id": 1,
                                      "method": "ping"}, headers={"Authorization": f"Bearer {SECRET}"}, timeout=WAIT)
            assert posted.status_code == 202
            response.close()
        with RawSession(s.url, initialize=False) as raw:  # a session left to expire (reaped and logged)
            raw.http.headers["Authorization"] = f"Bearer {SECRET}"
            raw.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}},
                session=False)
        wait_until(lambda: "closing idle MCP session" in trap.text())
        logged = trap.text()
        ours = "\n".join(line for line in logged.splitlines() if " mcp_sync" in line)
    assert "tool exploded" in logged  # the capture works: the tool failure was logged, with its traceback
    for secret in (SECRET, WRONG, session_id):
        assert secret not in logged
    # The HTTP+SSE (2024-11-05) design puts the session id in the URL, which urllib3 logs at DEBUG;
    # our own loggers never write it.
    assert legacy_id not in ours


LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
SUSPECT = re.compile(r"(?i)(authori[sz]ation|access_token|refresh_token|bearer|password|secret|headers|environ"
                     r"|session_id|^tokens?$|credential)")
#: Reviewed: the authorization URL is meant to be shown (the user opens it); it holds no secret.
REVIEWED = {("mcp_sync/client/auth/redirect.py", "authorization_url")}


def test_no_logging_call_is_handed_credentials():
    """A static review of every logging call in the package: no argument names a credential or raw headers."""
    found = []
    for path in sorted((ROOT / "mcp_sync").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOG_METHODS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("log", "logger", "logging", "_log")):
                continue
            for arg in node.args[1:] + [k.value for k in node.keywords]:
                for sub in ast.walk(arg):
                    name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
                    if name and SUSPECT.search(name) and (rel, name) not in REVIEWED:
                        found.append(f"{rel}:{node.lineno} logs {name}")
    assert found == []


# -- the document --------------------------------------------------------------------------------------------

def test_security_doc_matches_the_code():
    from mcp_sync.http import wsgi_server
    from mcp_sync.http.streams import KEPT_FINISHED_STREAMS  # noqa: F401 - exists
    from mcp_sync.limits import DEFAULT_LIMITS

    doc = (HERE.parent.parent / "README.rst").read_text(encoding="utf-8")
    app = Server("doc").wsgi_app()
    try:
        facts = {
            "max_message_size": "16 MiB", "max_depth": "64", "max_in_flight": "4096",
            "max_body_bytes": "4 MiB", "max_sessions": str(app.max_sessions),
            "max_streams_per_session": str(app.streams.per_session), "max_streams": str(app.streams.total),
            "max_backlog": str(app.max_backlog), "rate_limit": "off", "session_idle_timeout": "30 min",
            "HEADER_TIMEOUT": f"{wsgi_server.HEADER_TIMEOUT:g} s", "BODY_TIMEOUT": f"{wsgi_server.BODY_TIMEOUT:g} s",
            "SOCKET_TIMEOUT": f"{wsgi_server.SOCKET_TIMEOUT:g} s", "max_active_per_owner": "1000",
            "max_ttl_ms": "1 h", "max_tasks": "100000",
        }
    finally:
        app.close()
    assert DEFAULT_LIMITS.max_message_size == 16 * 1024 * 1024 and app.max_body_bytes == 4 * 1024 * 1024
    assert app.session_idle_timeout == 1800 and TaskLimits().max_ttl_ms == 3_600_000
    assert TaskLimits().max_active_per_owner == 1000 and TaskLimits().max_tasks == 100_000
    for name, value in facts.items():
        row = re.search(rf"``{name}``.*?\n\s+- ([^\n]+)", doc)
        assert row is not None, f"{name} is not in the limits table"
        assert value in row.group(1), (name, value, row.group(1))
