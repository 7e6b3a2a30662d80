"""Raw HTTP helpers for driving the MCP endpoint without our client."""

from __future__ import annotations

import json
from typing import Any, Iterator

import requests

from mcp_sync.http.sse import SseEvent, SseParser

ACCEPT_BOTH = "application/json, text/event-stream"
INIT_PARAMS = {"protocolVersion": "2025-11-25", "capabilities": {"sampling": {}},
               "clientInfo": {"name": "raw-test", "version": "1.0"}}


class SseReader:
    """Reads SSE events from a streaming response; remembers the last id and retry."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.parser = SseParser()
        self._pending: list[SseEvent] = []
        self.ended = False

    def _chunks(self) -> Iterator[bytes]:
        while True:
            data = self.response.raw.read1(65536)
            if not data:
                return
            yield data

    def next(self) -> SseEvent | None:
        """The next event with data, or None at end of stream."""
        while not self._pending:
            if self.ended:
                return None
            try:
                data = self.response.raw.read1(65536)
            except Exception:
                data = b""
            if not data:
                self.ended = True
                self._pending.extend(self.parser.finish())
                break
            self._pending.extend(self.parser.feed(data))
        return self._pending.pop(0) if self._pending else None

    def messages(self) -> list[Any]:
        """Every JSON-RPC message until the end of the stream."""
        out = []
        while (event := self.next()) is not None:
            if event.data:
                out.append(json.loads(event.data))
        return out

    def until(self, predicate: Any) -> list[Any]:
        """Messages up to and including the first one matching ``predicate``."""
        out = []
        while (event := self.next()) is not None:
            if event.data:
                message = json.loads(event.data)
                out.append(message)
                if predicate(message):
                    return out
        raise AssertionError(f"stream ended before the expected message; got {out}")

    @property
    def last_event_id(self) -> str | None:
        return self.parser.last_event_id

    def close(self) -> None:
        self.response.close()


class RawSession:
    """One MCP session spoken by hand: ``initialize`` then POSTs and GETs."""

    def __init__(self, url: str, *, version: str = "2025-11-25", capabilities: dict | None = None,
                 initialize: bool = True) -> None:
        self.url = url
        self.http = requests.Session()
        self.session_id: str | None = None
        self.version = version
        self._ids = 100
        if initialize:
            params = dict(INIT_PARAMS, protocolVersion=version)
            if capabilities is not None:
                params["capabilities"] = capabilities
            response = self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params},
                                 session=False)
            assert response.status_code == 200, response.text
            self.init_response = response
            self.session_id = response.headers.get("Mcp-Session-Id")
            self.version = response.json()["result"]["protocolVersion"]
            ack = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
            assert ack.status_code == 202, ack.text

    def headers(self, *, session: bool = True, **extra: str) -> dict[str, str]:
        headers = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
        if session and self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
            headers["MCP-Protocol-Version"] = self.version
        headers.update(extra)
        return headers

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def post(self, body: Any, *, session: bool = True, stream: bool = False, headers: dict | None = None,
             raw: bytes | None = None) -> requests.Response:
        all_headers = self.headers(session=session)
        all_headers.update(headers or {})
        data = raw if raw is not None else json.dumps(body).encode()
        return self.http.post(self.url, data=data, headers=all_headers, stream=stream, timeout=30)

    def request(self, method: str, params: dict | None = None, *, request_id: Any = None) -> requests.Response:
        """POST a request; the response is streamed (read it with SseReader or .json())."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id() if request_id is None else request_id,
                                "method": method}
        if params is not None:
            body["params"] = params
        return self.post(body, stream=True)

    def call_tool(self, name: str, arguments: dict | None = None, *, progress: bool = False,
                  request_id: Any = None) -> tuple[Any, requests.Response]:
        params: dict[str, Any] = {"name": name, "arguments": arguments or {}}
        if progress:
            params["_meta"] = {"progressToken": f"p-{name}"}
        rid = self.next_id() if request_id is None else request_id
        return rid, self.request("tools/call", params, request_id=rid)

    def get(self, *, last_event_id: str | None = None) -> requests.Response:
        headers = self.headers(Accept="text/event-stream")
        headers.pop("Content-Type")
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        return self.http.get(self.url, headers=headers, stream=True, timeout=30)

    def delete(self) -> requests.Response:
        return self.http.delete(self.url, headers=self.headers(), timeout=30)

    def ping(self) -> Any:
        response = self.request("ping")
        assert response.status_code == 200, response.text
        if response.headers["Content-Type"].startswith("application/json"):
            return response.json()
        return SseReader(response).until(lambda m: "result" in m or "error" in m)[-1]

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "RawSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def is_response(request_id: Any):
    return lambda m: m.get("id") == request_id and ("result" in m or "error" in m)
