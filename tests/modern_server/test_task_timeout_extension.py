"""Execution time limits of task work on the 2026-07-28 tasks extension (issue #15, defect 8).

Past ``@server.tool(task_timeout=...)`` (or ``TaskLimits(task_timeout_ms=...)``)
the work is cancelled (``ctx.cancelled``) and the task ends ``failed``;
``tasks/get`` inlines the "Task timed out" error until the TTL (schema-checked
by the HTTP peer like every reply). A TTL cutting running work short is logged.
"""

from __future__ import annotations

import logging
import threading

import pytest

from mcp_sync import Client, Context
from mcp_sync.errors import McpError
from mcp_sync.protocol.era import EraCache
from mcp_sync.tasks import ANY_OWNER, TaskLimits
from tests.modern_server.support import ALL_CAPS, TASKS_EXT, WAIT, HttpPeer, meta
from tests.modern_server.task_app import build_task_server

WITH = {**ALL_CAPS, "extensions": {TASKS_EXT: {}}}


class Running:
    """The task test server plus a tool limited to 0.3 s, in process over HTTP."""

    def __init__(self, **options) -> None:
        self.server = build_task_server(**options)
        self.saw_cancel: dict[str, threading.Event] = {}

        @self.server.tool(task_support="optional", task_timeout=0.3)
        def overrun(ctx: Context, tag: str = "x") -> str:
            """Waits until cancelled (at most 30 s): past 0.3 s as a task it times out."""
            seen = self.saw_cancel.setdefault(tag, threading.Event())
            if ctx.cancelled.wait(30):
                seen.set()
            return "overran"

        self.handle = self.server.start_http(port=0)
        self.peer = HttpPeer(self.handle.url)

    def call(self, method: str, params: dict | None = None):
        return self.peer.post(method, params, meta_=meta(WITH))

    def create(self, name: str, arguments: dict | None = None) -> str:
        result = self.call("tools/call", {"name": name, "arguments": arguments or {}}).result
        assert result["resultType"] == "task", result
        return result["taskId"]

    def wait(self, task_id: str, *statuses: str):
        return self.server.tasks.store.wait_for(task_id, ANY_OWNER, lambda r: r.status in statuses, timeout=WAIT)

    def stop(self) -> None:
        self.peer.close()
        self.handle.stop()
        self.server.close()


@pytest.fixture
def running():
    made: list[Running] = []

    def make(**options) -> Running:
        made.append(Running(**options))
        return made[-1]

    yield make
    for r in made:
        r.stop()


def _check_timeout(error: dict, limit: float) -> None:
    assert error["code"] == -32603 and error["message"].startswith("Task timed out")
    assert f"{limit:g} s" in error["message"]
    assert error["data"] == {"reason": "timeout", "timeLimitSeconds": limit}


def test_tasks_get_inlines_the_timeout_until_the_ttl(running):
    r = running()
    task_id = r.create("overrun", {"tag": "a"})
    assert r.wait(task_id, "completed", "failed").status == "failed"
    assert r.saw_cancel["a"].wait(WAIT)  # the work was told to stop
    for _ in range(2):  # still there, still failed with the timeout, on every poll
        got = r.call("tasks/get", {"taskId": task_id}).result
        assert got["status"] == "failed" and "result" not in got
        _check_timeout(got["error"], 0.3)
        assert got["statusMessage"].startswith("Task timed out")
    r.call("tasks/cancel", {"taskId": task_id})  # acknowledged, but a terminal task stays as it is
    assert r.call("tasks/get", {"taskId": task_id}).result["status"] == "failed"


def test_the_server_default_applies_and_quick_work_is_untouched(running):
    r = running(tasks=TaskLimits(task_timeout_ms=250, poll_interval_ms=50))
    task_id = r.create("block")
    assert r.wait(task_id, "completed", "failed").status == "failed"
    _check_timeout(r.call("tasks/get", {"taskId": task_id}).result["error"], 0.25)
    quick = r.create("work", {"text": "fast"})
    assert r.wait(quick, "completed", "failed").status == "completed"


def test_our_client_gets_the_timeout_from_a_modern_task(running):
    r = running()
    with Client.http(r.handle.url, protocol="modern", era_cache=EraCache(), timeout=15.0) as client:
        task = client.call_tool_as_task("overrun", {"tag": "client"})
        with pytest.raises(McpError) as info:
            task.result(timeout=30)
        assert info.value.code == -32603 and info.value.message.startswith("Task timed out")
        assert task.status().status == "failed"


class _Warned(logging.Handler):
    """Sets ``seen`` when a WARNING of mcp_sync.tasks mentions ``needle``."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.needle = "\0"
        self.seen = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.needle in message:
            self.messages.append(message)
            self.seen.set()


def test_a_ttl_cutting_running_work_short_is_logged(running):
    r = running(tasks=TaskLimits(default_ttl_ms=300, min_ttl_ms=0, poll_interval_ms=50))
    handler = _Warned()
    logger = logging.getLogger("mcp_sync.tasks")
    logger.addHandler(handler)
    try:
        task_id = r.create("block")
        handler.needle = task_id[:8]
        assert handler.seen.wait(WAIT)  # the reaper removed it at its TTL while it ran
    finally:
        logger.removeHandler(handler)
    [message] = handler.messages
    assert "expired (TTL 300 ms) while its work was still running" in message and task_id not in message
    got = r.call("tasks/get", {"taskId": task_id})
    assert got.error["code"] == -32602  # gone: the requestor cannot tell why, hence the log line
