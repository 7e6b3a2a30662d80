"""A fake 2026-07-28 server (no I/O): what the modern client is tested against.

Transports wrap it: ``fake_stdio_server.py`` (a subprocess) and ``fake_http.py``
(a WSGI app on 127.0.0.1). Every message received is logged (with the HTTP
headers when there are some) so tests can check what the client sent.

Tools:

* ``echo {text}`` -> the text.
* ``mrtr_multi``: round 1 asks an elicitation (``name``, schema default
  "Ada") with requestState :data:`STATE_1`; round 2 (state must be STATE_1 byte
  for byte) asks sampling + roots with :data:`STATE_2`; round 3 answers what it got.
* ``mrtr_no_state``: asks an elicitation without requestState; the retry must carry none.
* ``mrtr_state_only``: requestState but no inputRequests (retry at once).
* ``mrtr_forever``: asks again every round.
* ``no_result_type``: a result without ``resultType`` (complete).
* ``headers_tool``: ``x-mcp-header`` properties (``region`` -> Region, ``count`` -> Count, ``flag`` -> Flag).
* ``moving_header``: its header name is :attr:`FakeModernCore.moving_header` (tests change it).
* ``bad_header_tool``: an invalid annotation (listed only when ``with_bad_tool``).
* ``trigger {what, uri?}``: notify the subscriptions (tools/prompts/resources list changes, resource updates).
* ``end_subscriptions {how: result|cancel}``: the server ends every subscription.
* ``log_and_progress``: a log message (only with a ``_meta`` logLevel) and a progress notification.

Prompt ``greet`` (MRTR elicitation) and resource ``file:///needs-roots.txt``
(MRTR roots) cover the other two MRTR methods.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Mapping

from mcp_sync.protocol import headers as hdr
from mcp_sync.protocol.modern import (
    META_CLIENT_CAPABILITIES,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    META_SERVER_INFO,
    META_SUBSCRIPTION_ID,
    RejectedRequest,
)

VERSION = "2026-07-28"
SERVER_INFO = {"name": "fake-modern", "version": "9.9"}
#: requestState values: JSON-looking text with escapes, non-ASCII and edge spaces (echoed byte for byte).
STATE_1 = ' {"round": 1, "note": "h\u00e9llo \u2603 \\"quoted\\" back\\\\slash\ttab"}  '
STATE_2 = "r2:\u00fcml\u00e4ut\n=?base64?not-really?="

Sink = Callable[[dict], None]

#: A 2020-12 schema with keywords a lossy client would drop or rewrite (kept exactly, key order too).
RICH_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:example:rich",
    "type": "object",
    "$defs": {"address": {"$anchor": "addr", "type": "object", "properties": {"street": {"type": "string"}},
                          "required": ["street"], "unevaluatedProperties": False},
              "positive": {"type": "integer", "exclusiveMinimum": 0}},
    "properties": {
        "home": {"$ref": "#/$defs/address"},
        "work": {"$ref": "#addr"},
        "kind": {"enum": ["a", "b", None], "default": None},
        "count": {"allOf": [{"$ref": "#/$defs/positive"}, {"maximum": 10}]},
        "either": {"anyOf": [{"type": "string", "pattern": "^x+$"}, {"type": "null"}]},
        "tags": {"type": "array", "prefixItems": [{"const": "first"}], "items": {"type": "string"},
                 "minContains": 1, "contains": {"const": "t"}},
        "café": {"type": "string", "x-vendor": {"keep": [1, 2.5, True, None]}},
    },
    "if": {"properties": {"kind": {"const": "a"}}},
    "then": {"required": ["home"]},
    "else": {"dependentRequired": {"work": ["home"]}},
    "additionalProperties": False,
    "x-custom-keyword": "kept",
}
_FILTER_KEYS = ("toolsListChanged", "promptsListChanged", "resourcesListChanged", "resourceSubscriptions")


def _result(result: dict, cache: bool = False) -> dict:
    out = {"resultType": "complete", **result}
    out.setdefault("_meta", {})[META_SERVER_INFO] = SERVER_INFO
    if cache:
        out.setdefault("ttlMs", 0)
        out.setdefault("cacheScope", "private")
    return out


def _text(text: str) -> dict:
    return {"content": [{"type": "text", "text": text}]}


class FakeError(Exception):
    def __init__(self, code: int, message: str, data: Any = None, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.data, self.status = code, message, data, status

    def to_error(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class _Sub:
    def __init__(self, sub_id: Any, wanted: dict, sink: Sink) -> None:
        self.id, self.wanted, self.sink = sub_id, wanted, sink


class FakeModernCore:
    def __init__(self, *, reject_first: bool = False, with_bad_tool: bool = False,
                 ignore_first_discover: bool = False) -> None:
        self.lock = threading.Lock()
        #: Every message received: ``{"message": ..., "headers": {...} | None}``.
        self.log: list[dict] = []
        self.subscriptions: dict[Any, _Sub] = {}
        self.reject_first = reject_first
        self.with_bad_tool = with_bad_tool
        self.ignore_first_discover = ignore_first_discover
        self.moving_header = "Old"
        #: When set, ``network_ref_output`` is listed with ``$ref``s to this URL (nothing may fetch it).
        self.canary_url: str | None = None
        self.changed = threading.Condition(self.lock)

    # -- bookkeeping ----------------------------------------------------------------------

    def record(self, message: Any, headers: Mapping[str, str] | None = None) -> None:
        with self.lock:
            self.log.append({"message": message, "headers": dict(headers) if headers is not None else None})
            self.changed.notify_all()

    def messages(self, method: str | None = None) -> list[dict]:
        with self.lock:
            return [e["message"] for e in self.log if method is None or e["message"].get("method") == method]

    def entries(self, method: str) -> list[dict]:
        with self.lock:
            return [e for e in self.log if e["message"].get("method") == method]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self.lock:
            return self.changed.wait_for(predicate, timeout)

    # -- the server -----------------------------------------------------------------------

    def tools(self) -> list[dict]:
        empty = {"type": "object", "properties": {}}
        tools = [
            {"name": "echo", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
            {"name": "mrtr_multi", "inputSchema": empty},
            {"name": "mrtr_no_state", "inputSchema": empty},
            {"name": "mrtr_state_only", "inputSchema": empty},
            {"name": "mrtr_forever", "inputSchema": empty},
            {"name": "no_result_type", "inputSchema": empty},
            {"name": "headers_tool", "inputSchema": {"type": "object", "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "count": {"type": "integer", "x-mcp-header": "Count"},
                "flag": {"type": "boolean", "x-mcp-header": "Flag"},
                "free": {"type": "string"}}}},
            {"name": "moving_header", "inputSchema": {"type": "object", "properties": {
                "where": {"type": "string", "x-mcp-header": self.moving_header}}}},
            {"name": "trigger", "inputSchema": {"type": "object", "properties": {
                "what": {"type": "string"}, "uri": {"type": "string"}}}},
            {"name": "end_subscriptions", "inputSchema": {"type": "object", "properties": {"how": {"type": "string"}}}},
            {"name": "log_and_progress", "inputSchema": empty},
        ]
        tools.append({"name": "rich_schema_tool", "inputSchema": RICH_SCHEMA, "outputSchema": RICH_SCHEMA})
        tools.append({"name": "local_ref_output", "inputSchema": empty, "outputSchema": {
            "type": "object", "$defs": {"n": {"type": "integer"}}, "properties": {"n": {"$ref": "#/$defs/n"}},
            "required": ["n"]}})
        if self.canary_url is not None:
            tools.append({"name": "network_ref_output", "inputSchema": {
                "type": "object", "properties": {"profile": {"$ref": self.canary_url}}}, "outputSchema": {
                "type": "object", "properties": {"profile": {"$ref": self.canary_url}}}})
        if self.with_bad_tool:
            tools.append({"name": "bad_header_tool", "inputSchema": {"type": "object", "properties": {
                "score": {"type": "number", "x-mcp-header": "Score"}}}})
        return tools

    def tool_schema(self, name: str) -> Any:
        return next((t["inputSchema"] for t in self.tools() if t["name"] == name), None)

    def handle(self, message: dict, sink: Sink, headers: Mapping[str, str] | None = None) -> dict | None:
        """Handle one message; returns the response (None for notifications and listen requests)."""
        self.record(message, headers)
        method = message.get("method")
        if "id" not in message:
            if method == "notifications/cancelled":
                request_id = (message.get("params") or {}).get("requestId")
                with self.lock:
                    self.subscriptions.pop(request_id, None)
            return None
        try:
            result = self._request(message, sink, headers)
        except FakeError as exc:
            return {"jsonrpc": "2.0", "id": message["id"], "error": exc.to_error(), "_status": exc.status}
        except RejectedRequest as exc:
            return {"jsonrpc": "2.0", "id": message["id"], "error": exc.to_error(), "_status": exc.http_status}
        if result is None:
            return None
        return {"jsonrpc": "2.0", "id": message["id"], "result": result}

    def _request(self, message: dict, sink: Sink, headers: Mapping[str, str] | None) -> dict | None:
        method = message["method"]
        params = message.get("params") or {}
        meta = params.get("_meta") or {}
        version = meta.get(META_PROTOCOL_VERSION)
        if method == "initialize":
            raise FakeError(-32022, "Unsupported protocol version",
                            {"supported": [VERSION], "requested": params.get("protocolVersion")}, 400)
        if version is None or META_CLIENT_CAPABILITIES not in meta:
            raise FakeError(-32602, "Invalid params: missing _meta", None, 400)
        if headers is not None:
            hdr.check_request_headers(headers, message, self.tool_schema)
        if self.reject_first:
            self.reject_first = False
            raise FakeError(-32022, "Unsupported protocol version", {"supported": [VERSION], "requested": version},
                            400)
        if version != VERSION:
            raise FakeError(-32022, "Unsupported protocol version", {"supported": [VERSION], "requested": version},
                            400)
        if method == "server/discover":
            if self.ignore_first_discover:
                self.ignore_first_discover = False
                return None
            return _result({"supportedVersions": [VERSION], "instructions": "be nice",
                            "capabilities": {"tools": {"listChanged": True}, "prompts": {"listChanged": True},
                                             "resources": {"subscribe": True, "listChanged": True},
                                             "logging": {}}}, cache=True)
        if method == "tools/list":
            return _result({"tools": self.tools()}, cache=True)
        if method == "tools/call":
            return self._call(params, meta, sink, message["id"])
        if method == "prompts/list":
            return _result({"prompts": [{"name": "greet"}]}, cache=True)
        if method == "prompts/get":
            responses = params.get("inputResponses") or {}
            if "who" not in responses:
                return {"resultType": "input_required", "inputRequests": {"who": {
                    "method": "elicitation/create", "params": {"message": "Who?", "requestedSchema": {
                        "type": "object", "properties": {"name": {"type": "string", "default": "World"}}}}}}}
            name = (responses["who"].get("content") or {}).get("name")
            return _result({"messages": [{"role": "user", "content": {"type": "text", "text": f"Hello {name}"}}]})
        if method == "resources/list":
            return _result({"resources": [{"uri": "file:///needs-roots.txt", "name": "r"}]}, cache=True)
        if method == "resources/read":
            responses = params.get("inputResponses") or {}
            if "roots" not in responses:
                return {"resultType": "input_required", "inputRequests": {"roots": {"method": "roots/list"}}}
            uris = [r["uri"] for r in responses["roots"]["roots"]]
            return _result({"contents": [{"uri": params["uri"], "text": ",".join(uris)}]}, cache=True)
        if method == "subscriptions/listen":
            wanted = dict(params.get("notifications") or {})
            honoured = {k: v for k, v in wanted.items() if k in _FILTER_KEYS}  # the subset we support
            sub = _Sub(message["id"], honoured, sink)
            with self.lock:
                self.subscriptions[message["id"]] = sub
            sink({"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
                  "params": {"notifications": honoured, "_meta": {META_SUBSCRIPTION_ID: message["id"]}}})
            return None
        raise FakeError(-32601, f"Method not found: {method}", None, 404)

    def _call(self, params: dict, meta: dict, sink: Sink, request_id: Any) -> dict:
        name = params.get("name")
        args = params.get("arguments") or {}
        responses = params.get("inputResponses")
        has_state = "requestState" in params
        state = params.get("requestState")
        if name == "echo":
            return _result(_text(str(args.get("text"))))
        if name == "mrtr_multi":
            if not has_state:
                return {"resultType": "input_required", "requestState": STATE_1, "inputRequests": {"ask": {
                    "method": "elicitation/create", "params": {"message": "Your name?", "requestedSchema": {
                        "type": "object", "properties": {"name": {"type": "string", "default": "Ada"},
                                                         "age": {"type": "integer"}}}}}}}
            if state == STATE_1:
                name_given = (responses or {}).get("ask", {}).get("content", {}).get("name")
                return {"resultType": "input_required", "requestState": STATE_2 + "|" + str(name_given),
                        "inputRequests": {
                            "llm": {"method": "sampling/createMessage", "params": {"messages": [
                                {"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 5}},
                            "where": {"method": "roots/list"}}}
            if isinstance(state, str) and state.startswith(STATE_2 + "|"):
                llm = (responses or {}).get("llm", {})
                roots = (responses or {}).get("where", {}).get("roots", [])
                return _result(_text(f"name={state.split('|', 1)[1]} model={llm.get('model')} "
                                     f"roots={[r['uri'] for r in roots]}"))
            raise FakeError(-32602, "Invalid params: tampered requestState", {"got": state})
        if name == "mrtr_no_state":
            if responses is None:
                return {"resultType": "input_required", "inputRequests": {"ok": {
                    "method": "elicitation/create", "params": {"message": "OK?", "requestedSchema": {
                        "type": "object", "properties": {}}}}}}
            if has_state:
                raise FakeError(-32602, "Invalid params: requestState although none was given")
            return _result(_text(f"no-state-ok {responses['ok'].get('action')}"))
        if name == "mrtr_state_only":
            if not has_state:
                return {"resultType": "input_required", "requestState": "only-state"}
            if responses is not None:
                raise FakeError(-32602, "Invalid params: inputResponses although nothing was asked")
            return _result(_text(f"state={state}"))
        if name == "mrtr_forever":
            return {"resultType": "input_required", "requestState": "again",
                    "inputRequests": {"x": {"method": "roots/list"}}}
        if name == "no_result_type":
            return _text("plain")
        if name == "rich_schema_tool":
            return _result({**_text("rich"), "structuredContent": {"home": {"street": "Main"}}})
        if name == "local_ref_output":
            return _result({**_text("n"), "structuredContent": {"n": args.get("n", "not a number")}})
        if name == "network_ref_output":
            return _result({**_text("profile"), "structuredContent": {"profile": {"displayName": 42}}})
        if name in ("headers_tool", "moving_header"):
            return _result(_text(json.dumps(args, sort_keys=True)))
        if name == "trigger":
            self.trigger(args.get("what", "tools"), args.get("uri"))
            return _result(_text("triggered"))
        if name == "end_subscriptions":
            self.end_subscriptions(args.get("how", "result"))
            return _result(_text("ended"))
        if name == "log_and_progress":
            level = meta.get(META_LOG_LEVEL)
            if level is not None:
                sink({"jsonrpc": "2.0", "method": "notifications/message",
                      "params": {"level": "info", "data": f"logged at {level}"}})
            token = meta.get("progressToken")
            if token is not None:
                sink({"jsonrpc": "2.0", "method": "notifications/progress",
                      "params": {"progressToken": token, "progress": 1, "total": 2}})
            return _result(_text(f"logLevel={level}"))
        raise FakeError(-32602, f"Unknown tool: {name}")

    # -- subscriptions ----------------------------------------------------------------------

    def trigger(self, what: str, uri: str | None = None) -> None:
        method, key = {
            "tools": ("notifications/tools/list_changed", "toolsListChanged"),
            "prompts": ("notifications/prompts/list_changed", "promptsListChanged"),
            "resources": ("notifications/resources/list_changed", "resourcesListChanged"),
            "updated": ("notifications/resources/updated", None),
        }[what]
        with self.lock:
            subs = list(self.subscriptions.values())
        for sub in subs:
            if key is not None and not sub.wanted.get(key):
                continue
            if key is None and uri not in (sub.wanted.get("resourceSubscriptions") or []):
                continue
            params: dict = {"_meta": {META_SUBSCRIPTION_ID: sub.id}}
            if uri is not None:
                params["uri"] = uri
            sub.sink({"jsonrpc": "2.0", "method": method, "params": params})

    def end_subscriptions(self, how: str) -> None:
        with self.lock:
            subs = list(self.subscriptions.values())
            self.subscriptions.clear()
        for sub in subs:
            if how == "cancel":
                sub.sink({"jsonrpc": "2.0", "method": "notifications/cancelled",
                          "params": {"requestId": sub.id, "reason": "server shutting down"}})
            else:
                sub.sink({"jsonrpc": "2.0", "id": sub.id,
                          "result": {"resultType": "complete", "_meta": {META_SUBSCRIPTION_ID: sub.id}}})
