"""Raw 2026-07-28 peers for the server tests: HTTP (requests) and stdio (a subprocess).

Every message a peer receives from the server is validated against the
2026-07-28 JSON schema (results by the method they answer, errors by code,
notifications by method) and must never be a server-to-client request.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import requests

from mcp_sync.http.sse import SseParser
from mcp_sync.protocol import headers as hdr
from tests.wire_schema import validate

V = "2026-07-28"
ROOT = Path(__file__).resolve().parents[2]
WAIT = 20.0

PV = "io.modelcontextprotocol/protocolVersion"
CAPS = "io.modelcontextprotocol/clientCapabilities"
INFO = "io.modelcontextprotocol/clientInfo"
LEVEL = "io.modelcontextprotocol/logLevel"
SERVER_INFO = "io.modelcontextprotocol/serverInfo"
SUB_ID = "io.modelcontextprotocol/subscriptionId"
ALL_CAPS = {"sampling": {}, "elicitation": {}, "roots": {}}

_RESULTS = {
    "server/discover": "DiscoverResult",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "completion/complete": "CompleteResult",
    "subscriptions/listen": "SubscriptionsListenResult",
}
_NOTIFICATIONS = {
    "notifications/progress": "ProgressNotification",
    "notifications/message": "LoggingMessageNotification",
    "notifications/tools/list_changed": "ToolListChangedNotification",
    "notifications/prompts/list_changed": "PromptListChangedNotification",
    "notifications/resources/list_changed": "ResourceListChangedNotification",
    "notifications/resources/updated": "ResourceUpdatedNotification",
    "notifications/subscriptions/acknowledged": "SubscriptionsAcknowledgedNotification",
    "notifications/cancelled": "CancelledNotification",
}
#: Tasks extension (``ext-tasks`` schema): results by the method they answer, and its notification.
TASKS_EXT = "io.modelcontextprotocol/tasks"
_TASK_RESULTS = {"tasks/get": "GetTaskResult", "tasks/update": "UpdateTaskResult", "tasks/cancel": "CancelTaskResult"}
_ERRORS = {-32020: "HeaderMismatchError", -32021: "MissingRequiredClientCapabilityError",
           -32022: "UnsupportedProtocolVersionError"}


def meta(caps: dict | None = None, *, info: bool = True, level: str | None = None, version: str = V,
         **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {PV: version, CAPS: ALL_CAPS if caps is None else caps}
    if info:
        out[INFO] = {"name": "modern-tests", "version": "1.0"}
    if level is not None:
        out[LEVEL] = level
    out.update(extra)
    return out


def check_message(message: Any, method: str | None) -> None:
    """Schema-check one message the server sent (``method``: the request it answers, if any)."""
    assert isinstance(message, dict), message
    if "method" in message:
        assert "id" not in message, f"the server sent a request in 2026-07-28: {message}"
        validate(V, "JSONRPCNotification", message)
        if message["method"] == "notifications/tasks":
            validate("ext-tasks", "TaskStatusNotification", message)
            return
        name = _NOTIFICATIONS.get(message["method"])
        assert name is not None, f"unexpected notification {message['method']}"
        validate(V, name, message)
        return
    if "error" in message:
        validate(V, "JSONRPCErrorResponse", message)
        specific = _ERRORS.get(message["error"].get("code"))
        if specific:
            validate(V, specific, message)
        return
    validate(V, "JSONRPCResultResponse", message)
    result = message["result"]
    if result.get("resultType") == "input_required":
        validate(V, "InputRequiredResult", result)
    elif result.get("resultType") == "task":
        assert method == "tools/call", f"a task handle answered {method}"
        validate("ext-tasks", "CreateTaskResult", result)
        for legacy in ("ttl", "pollInterval", "requestState", "task", "result", "error", "inputRequests"):
            assert legacy not in result, f"CreateTaskResult carries {legacy!r}: {result}"
    elif method in _TASK_RESULTS:
        validate("ext-tasks", _TASK_RESULTS[method], result)
        assert "requestState" not in result, result
        if method == "tasks/get" and "result" in result:
            validate(V, "CallToolResult", result["result"])  # the original result, whole
    elif method in _RESULTS:
        validate(V, _RESULTS[method], result)
    else:
        validate(V, "Result", result)


@dataclass
class Reply:
    """What came back for one request: HTTP status/headers (None over stdio), notifications, the response."""

    status: int | None
    headers: dict[str, str]
    notifications: list[dict] = field(default_factory=list)
    response: dict | None = None
    content_type: str = ""

    @property
    def result(self) -> dict:
        assert self.response is not None and "result" in self.response, self.response
        return self.response["result"]

    @property
    def error(self) -> dict:
        assert self.response is not None and "error" in self.response, self.response
        return self.response["error"]

    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.result.get("content", []))


_ids = itertools.count(1000)


def next_id() -> int:
    return next(_ids)


class HttpPeer:
    """Raw modern POSTs with mirrored headers (``headers`` overrides them, ``drop`` removes some)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def headers_for(self, body: dict, tool_schema: dict | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        headers.update(hdr.standard_headers(body, V))
        if tool_schema is not None:
            headers.update(hdr.param_headers(tool_schema, body.get("params", {}).get("arguments")))
        return headers

    def post(self, method: str, params: dict | None = None, *, id: Any = None, meta_: dict | None = None,
             headers: dict[str, str] | None = None, drop: tuple[str, ...] = (), tool_schema: dict | None = None,
             notification: bool = False, with_meta: bool = True) -> Reply:
        params = dict(params or {})
        if with_meta and "_meta" not in params:
            params["_meta"] = meta() if meta_ is None else meta_
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if not notification:
            body["id"] = next_id() if id is None else id
        hs = self.headers_for(body, tool_schema)
        for name in drop:
            for key in [k for k in hs if k.lower() == name.lower()]:
                del hs[key]
        if headers:
            for name, value in headers.items():
                for key in [k for k in hs if k.lower() == name.lower()]:
                    del hs[key]
                hs[name] = value
        response = self.http.post(self.url, data=json.dumps(body), headers=hs, timeout=WAIT, stream=True)
        return read_reply(response, method, body.get("id"))

    def stream(self, method: str, params: dict | None = None, *, id: Any = None, meta_: dict | None = None,
               tool_schema: dict | None = None) -> "OpenStream":
        """POST and keep the SSE response open; read it message by message."""
        params = dict(params or {})
        params.setdefault("_meta", meta() if meta_ is None else meta_)
        body = {"jsonrpc": "2.0", "id": next_id() if id is None else id, "method": method, "params": params}
        response = self.http.post(self.url, data=json.dumps(body), headers=self.headers_for(body, tool_schema),
                                  timeout=WAIT, stream=True)
        return OpenStream(response, method, body["id"])


def read_reply(response: requests.Response, method: str, request_id: Any) -> Reply:
    reply = Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                  content_type=response.headers.get("Content-Type", ""))
    try:
        if reply.content_type.startswith("text/event-stream"):
            messages = list(_sse_messages(response))
        else:
            raw = response.content
            messages = [json.loads(raw)] if raw else []
    finally:
        response.close()
    for message in messages:
        check_message(message, method)
        if "method" in message:
            reply.notifications.append(message)
        else:
            assert reply.response is None, "two responses on one stream"
            assert message.get("id") == request_id or request_id is None, (message, request_id)
            reply.response = message
    return reply


def _sse_messages(response: requests.Response) -> Iterator[dict]:
    parser = SseParser()
    for chunk in response.iter_content(chunk_size=None):
        for event in parser.feed(chunk):
            if event.data:
                yield json.loads(event.data)


class OpenStream:
    """An SSE response being read; ``close()`` drops the connection (which cancels on the server)."""

    def __init__(self, response: requests.Response, method: str, request_id: Any) -> None:
        self.response = response
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.method = method
        self.id = request_id
        self._messages = _sse_messages(response) if self.headers.get("content-type", "").startswith(
            "text/event-stream") else iter([json.loads(response.content)])

    def next(self) -> dict:
        message = next(self._messages)
        check_message(message, self.method)
        return message

    def close(self) -> None:
        self.response.close()


class StdioPeer:
    """``python -m tests.modern_server.app --stdio`` (or ``argv``) spoken to line by line."""

    def __init__(self, argv: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(argv or [sys.executable, "-m", "tests.modern_server.app", "--stdio"],
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines: queue.Queue[Any] = queue.Queue()
        self.stderr: list[str] = []
        self._methods: dict[Any, str] = {}
        self._reader = threading.Thread(target=self._read, name="test-stdio-peer-reader", daemon=True)
        self._errors = threading.Thread(target=self._read_errors, name="test-stdio-peer-stderr", daemon=True)
        self._reader.start()
        self._errors.start()
        #: Subscription id -> notifications seen for it (demultiplexed).
        self.subscriptions: dict[Any, list[dict]] = {}
        self.legacy_requests: list[dict] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def _read_errors(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def send(self, message: dict) -> None:
        assert self.proc.stdin is not None
        if "id" in message and "method" in message:
            self._methods[message["id"]] = message["method"]
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def receive(self, timeout: float = WAIT, *, modern: bool = True) -> dict:
        try:
            message = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout}s; stderr:\n{''.join(self.stderr)}") from None
        assert message is not None, f"the server closed stdout; stderr:\n{''.join(self.stderr)}"
        if modern:
            check_message(message, self._methods.get(message.get("id")))
        return message

    def request(self, method: str, params: dict | None = None, *, id: Any = None, meta_: dict | None = None,
                with_meta: bool = True) -> Reply:
        params = dict(params or {})
        if with_meta and "_meta" not in params:
            params["_meta"] = meta() if meta_ is None else meta_
        request_id = next_id() if id is None else id
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return self.collect(request_id)

    def collect(self, request_id: Any, *, modern: bool = True) -> Reply:
        """Messages up to the response to ``request_id``; subscription traffic goes to :attr:`subscriptions`."""
        reply = Reply(None, {})
        while True:
            message = self.receive(modern=modern)
            if "method" in message and "id" not in message:
                sub = (message.get("params") or {}).get("_meta", {}).get(SUB_ID)
                if sub is not None:
                    self.subscriptions.setdefault(sub, []).append(message)
                else:
                    reply.notifications.append(message)
            elif "method" in message:  # a legacy server request
                self.legacy_requests.append(message)
                reply.notifications.append(message)
                if not modern:
                    return reply
            elif message.get("id") == request_id:
                reply.response = message
                return reply
            else:
                raise AssertionError(f"unexpected response {message} while waiting for {request_id}")

    def await_subscription(self, sub_id: Any, count: int) -> list[dict]:
        """Read until ``count`` notifications arrived for subscription ``sub_id`` (nothing else may come)."""
        while len(self.subscriptions.get(sub_id, ())) < count:
            message = self.receive()
            sub = (message.get("params") or {}).get("_meta", {}).get(SUB_ID) if "method" in message else None
            assert sub is not None and "id" not in message, f"unexpected message {message}"
            self.subscriptions.setdefault(sub, []).append(message)
        return self.subscriptions[sub_id]

    def close(self) -> int:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            code = self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(WAIT)
        self._errors.join(WAIT)
        return code
