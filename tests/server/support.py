"""Test helpers: clients whose transport records the wire, and a schema check of what the server sent.

The recording wraps the *client's* transport: frames it receives are what the
server sent; requests it sends tell which method each response answers. So
the same check works in memory and over a real stdio pipe.
"""

from __future__ import annotations

import json
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from mcp_sync import Client
from mcp_sync.transports.base import Transport
from mcp_sync.transports.memory import MemoryTransport
from tests.wire_schema import validate

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = [sys.executable, str(ROOT / "examples" / "everything_server.py"), "--stdio"]

_RESULTS = {
    "initialize": "InitializeResult",
    "ping": "EmptyResult",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "resources/subscribe": "EmptyResult",
    "resources/unsubscribe": "EmptyResult",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "completion/complete": "CompleteResult",
    "logging/setLevel": "EmptyResult",
}
_NOTIFICATIONS = {
    "notifications/message": "LoggingMessageNotification",
    "notifications/progress": "ProgressNotification",
    "notifications/tools/list_changed": "ToolListChangedNotification",
    "notifications/prompts/list_changed": "PromptListChangedNotification",
    "notifications/resources/list_changed": "ResourceListChangedNotification",
    "notifications/resources/updated": "ResourceUpdatedNotification",
    "notifications/elicitation/complete": "ElicitationCompleteNotification",
    "notifications/cancelled": "CancelledNotification",
}
_REQUESTS = {
    "sampling/createMessage": "CreateMessageRequest",
    "elicitation/create": "ElicitRequest",
    "roots/list": "ListRootsRequest",
    "ping": "PingRequest",
}


class RecordingTransport(Transport):
    """Wraps a client transport; keeps every frame in both directions (parsed)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.has_reader = inner.has_reader
        self._lock = threading.Lock()
        self.received: list[Any] = []  # from the server
        self.sent: list[Any] = []  # from the client

    def receive(self) -> Any:
        frame = self.inner.receive()
        if isinstance(frame, (str, bytes)):
            with self._lock:
                self.received.append(json.loads(frame))
        return frame

    def send(self, message: Any, related_id: Any = None) -> None:
        with self._lock:
            self.sent.append(json.loads(json.dumps(message)))
        self.inner.send(message, related_id)

    def close(self) -> None:
        self.inner.close()

    def closed_error(self) -> Any:
        return self.inner.closed_error()

    def __getattr__(self, name: str) -> Any:  # e.g. the stdio transport's process
        return getattr(self.inner, name)

    def from_server(self, method: str | None = None) -> list[dict]:
        with self._lock:
            frames = list(self.received)
        return [f for f in frames if method is None or (isinstance(f, dict) and f.get("method") == method)]

    def check(self, version: str) -> int:
        """Validate every message the server sent against ``version``'s schema; returns how many."""
        with self._lock:
            sent, received = list(self.sent), list(self.received)
        methods = {m["id"]: m["method"] for m in sent if isinstance(m, dict) and "method" in m and "id" in m}
        checked = 0
        for message in received:
            assert isinstance(message, dict), f"the server sent a batch or a non-object: {message!r}"
            assert message.get("jsonrpc") == "2.0", message
            if "method" in message:
                table = _REQUESTS if "id" in message else _NOTIFICATIONS
                name = table.get(message["method"])
                assert name is not None, f"unexpected message from the server: {message}"
                validate(version, name, message)
            elif "error" in message:
                validate(version, "JSONRPCErrorResponse" if version >= "2025-11-25" else "JSONRPCError", message)
            else:
                method = methods.get(message.get("id"))
                assert method in _RESULTS, f"a response to an unknown request: {message}"
                validate(version, _RESULTS[method], message["result"])
            checked += 1
        return checked


@contextmanager
def connected(server: Any, *, check: bool = True, **client_kwargs: Any) -> Iterator[Client]:
    """An open client connected in memory to ``server``; the wire is checked against the schema on exit."""
    ours, theirs = MemoryTransport.pair()
    recorder = RecordingTransport(ours)
    connection = server.serve(theirs)
    client = Client(recorder, **client_kwargs)
    client.wire = recorder  # type: ignore[attr-defined]
    client.server_connection = connection  # type: ignore[attr-defined]
    try:
        client.open()
        yield client
    finally:
        client.close()
        connection.close()
    if check and client.protocol_version is not None:
        recorder.check(client.protocol_version)


@contextmanager
def everything_stdio(*, check: bool = True, **client_kwargs: Any) -> Iterator[Client]:
    """examples/everything_server.py as a real subprocess."""
    from mcp_sync.transports.stdio import StdioClientTransport

    recorder = RecordingTransport(StdioClientTransport(EVERYTHING, cwd=ROOT, stderr=None))
    client = Client(recorder, **client_kwargs)
    client.wire = recorder  # type: ignore[attr-defined]
    try:
        client.open()
        yield client
    finally:
        client.close()
    assert recorder.inner.process.poll() is not None, "the server process is still running"
    if check and client.protocol_version is not None:
        recorder.check(client.protocol_version)


class Collector:
    """Collects callback arguments; ``wait(n)`` blocks until ``n`` arrived (fails after 10 s)."""

    def __init__(self) -> None:
        self.items: list = []
        self._cond = threading.Condition()

    def __call__(self, *args: Any) -> None:
        with self._cond:
            self.items.append(args[0] if len(args) == 1 else args)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.items) >= count, timeout), \
                f"expected {count} items, got {self.items}"
            return list(self.items)
