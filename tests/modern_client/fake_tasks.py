"""A fake 2026-07-28 server with the tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663).

:class:`FakeTasksCore` extends :class:`~tests.modern_client.fake_core.FakeModernCore`
(served by ``FakeModernHttp(core=...)``). Tasks move on only when polled, so the
tests are deterministic:

* ``task_required {polls}``: -32021 (requiredCapabilities.extensions.tasks) unless the
  request declares the extension; else a task that is ``working`` for ``polls``
  ``tasks/get`` and then ``completed`` with ``done after N polls``;
* ``task_optional``: a task (completed at the first poll) when the extension is
  declared, else an immediate result;
* ``task_asks``: ``input_required`` (an elicitation under key ``who``) until a
  ``tasks/update`` answers it; then ``completed`` with ``hello <name>``;
* ``task_fails``: ``failed`` with a JSON-RPC error at the first poll;
* ``task_forever``: ``working`` until ``tasks/cancel``.

Every ``tasks/get`` time (monotonic) is kept per task in :attr:`FakeTasksCore.polls`.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Mapping

from mcp_sync.protocol import headers as hdr
from tests.modern_client.fake_core import FakeError, FakeModernCore, _result, _text

EXT = "io.modelcontextprotocol/tasks"
NOW = "2026-08-01T00:00:00Z"


def _declares(meta: Mapping[str, Any]) -> bool:
    caps = meta.get("io.modelcontextprotocol/clientCapabilities") or {}
    return isinstance(caps.get("extensions"), dict) and isinstance(caps["extensions"].get(EXT), dict)


class FakeTasksCore(FakeModernCore):
    def __init__(self, *, poll_interval_ms: int | None = 80, declare: bool = True, **options: Any) -> None:
        super().__init__(**options)
        self.poll_interval_ms = poll_interval_ms
        self.declare = declare
        self.tasks: dict[str, dict] = {}
        self.polls: dict[str, list[float]] = {}
        self.updates: list[dict] = []
        self._ids = itertools.count(1)

    def tools(self) -> list[dict]:
        empty = {"type": "object", "properties": {}}
        return super().tools() + [
            {"name": "task_required", "inputSchema": {"type": "object", "properties": {"polls": {"type": "integer"}}}},
            {"name": "task_optional", "inputSchema": empty},
            {"name": "task_asks", "inputSchema": empty},
            {"name": "task_fails", "inputSchema": empty},
            {"name": "task_forever", "inputSchema": empty},
        ]

    def _wire(self, task: dict, detailed: bool) -> dict:
        out = {"taskId": task["id"], "status": task["status"], "createdAt": NOW, "lastUpdatedAt": NOW,
               "ttlMs": 60_000}
        if self.poll_interval_ms is not None:
            out["pollIntervalMs"] = self.poll_interval_ms
        if detailed:
            if task["status"] == "completed":
                out["result"] = task["result"]
            elif task["status"] == "failed":
                out["error"] = task["error"]
            elif task["status"] == "input_required":
                out["inputRequests"] = task["inputRequests"]
        return out

    def _new_task(self, kind: str, **fields: Any) -> dict:
        task_id = f"task-{next(self._ids)}-{kind}"
        task = {"id": task_id, "kind": kind, "status": "working", "polled": 0, **fields}
        with self.lock:
            self.tasks[task_id] = task
            self.polls[task_id] = []
        return _result({**self._wire(task, False), "resultType": "task"})

    def _request(self, message: dict, sink: Any, headers: Mapping[str, str] | None) -> dict | None:
        method = message.get("method")
        params = message.get("params") or {}
        meta = params.get("_meta") or {}
        if method == "server/discover" and "io.modelcontextprotocol/protocolVersion" in meta:
            result = super()._request(message, sink, headers)
            if result is not None and self.declare:
                result["capabilities"]["extensions"] = {EXT: {}}
            return result
        if method == "tools/call" and str(params.get("name", "")).startswith("task_"):
            return self._call_task(params, meta)
        if method in ("tasks/get", "tasks/update", "tasks/cancel"):
            if headers is not None:  # Mcp-Name must carry the taskId (-32020 otherwise)
                hdr.check_request_headers(headers, message, self.tool_schema)
            if not _declares(meta):
                raise FakeError(-32021, "Missing required client capability: extensions",
                                {"requiredCapabilities": {"extensions": {EXT: {}}}}, 400)
            with self.lock:
                task = self.tasks.get(params.get("taskId"))
            if task is None:
                raise FakeError(-32602, "Task not found")
            return getattr(self, "_" + method.split("/")[1])(task, params)
        return super()._request(message, sink, headers)

    def _call_task(self, params: dict, meta: dict) -> dict:
        name = params["name"]
        declared = _declares(meta)
        if name == "task_required":
            if not declared:
                raise FakeError(-32021, "Missing required client capability: extensions",
                                {"requiredCapabilities": {"extensions": {EXT: {}}}}, 400)
            return self._new_task("required", target=int((params.get("arguments") or {}).get("polls", 2)))
        if not declared:
            if name == "task_optional":
                return _result(_text("ran at once"))
            raise FakeError(-32021, "Missing required client capability: extensions",
                            {"requiredCapabilities": {"extensions": {EXT: {}}}}, 400)
        return self._new_task(name[len("task_"):])

    def _get(self, task: dict, params: dict) -> dict:
        with self.lock:
            self.polls[task["id"]].append(time.monotonic())
            task["polled"] += 1
            kind, status = task["kind"], task["status"]
            if status in ("completed", "failed", "cancelled"):
                pass
            elif kind == "required" and task["polled"] > task["target"]:
                task.update(status="completed", result={"content": [{"type": "text", "text":
                            f"done after {task['target']} polls"}], "isError": False})
            elif kind == "optional":
                task.update(status="completed", result={"content": [{"type": "text", "text": "ran as a task"}]})
            elif kind == "fails":
                task.update(status="failed", error={"code": -32603, "message": "boom"})
            elif kind == "asks":
                answer = task.get("answer")
                if answer is None:
                    task.update(status="input_required", inputRequests={"who": {
                        "method": "elicitation/create", "params": {"message": "Who?", "requestedSchema": {
                            "type": "object", "properties": {"name": {"type": "string", "default": "Ada"}}}}}})
                else:
                    task.update(status="completed", result={"content": [{"type": "text", "text":
                                f"hello {answer['content']['name']}"}]})
            wire = self._wire(task, True)
        return _result(wire)

    def _update(self, task: dict, params: dict) -> dict:
        responses = params.get("inputResponses") or {}
        with self.lock:
            self.updates.append({"taskId": task["id"], "inputResponses": responses})
            if task["kind"] == "asks" and "who" in responses and task.get("answer") is None:
                task["answer"] = responses["who"]
                task["status"] = "working"
                task.pop("inputRequests", None)
        return _result({})

    def _cancel(self, task: dict, params: dict) -> dict:
        with self.lock:
            if task["status"] not in ("completed", "failed", "cancelled"):
                task["status"] = "cancelled"
        return _result({})
