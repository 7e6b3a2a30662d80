#!/usr/bin/env python3
"""Run examples/tasks_server.py's long job as a task: watch it, answer its question, cancel another one.

    python examples/tasks_client.py

``call_tool_as_task`` returns a :class:`mcp_sync.Task` at once; ``watch()``
yields each status change (polling at the server's ``pollInterval``, woken
early by its status notifications); the server's question arrives through the
``elicitation`` handler while the task is ``input_required``; ``result()`` is
the tool's result. A second build is cancelled half-way through.
"""

from __future__ import annotations

import os
import sys

from mcp_sync import Client

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tasks_server.py")


def answer(params) -> dict:
    """The elicitation handler: the user says yes, and names the build."""
    print(f"  server asks: {params.message}", flush=True)
    return {"action": "accept", "content": {"proceed": True, "label": "release-1.0"}}


def main() -> None:
    progress: list[str] = []
    # Tasks as the core protocol defines them are a 2025-11-25 feature: pin that revision.
    with Client.stdio([sys.executable, SERVER], protocol_version="2025-11-25", elicitation=answer) as client:
        print(f"connected to {client.server_info.name} (protocol {client.protocol_version})")

        task = client.call_tool_as_task("build", {"steps": 6}, ttl_ms=120_000,
                                        progress=lambda done, total, message: progress.append(message))
        print(f"task {task.task_id[:6]}... created: ttl {task.ttl} ms, poll every {task.poll_interval} ms")
        print(f"  immediate response: {task.immediate_response}")
        statuses = []
        for status in task.watch():
            if status.status not in statuses:
                statuses.append(status.status)
        print(f"statuses seen: {' -> '.join(statuses)}")
        print(f"result: {task.result().content[0].text}")
        print(f"progress reports: {len(progress)} (last: {progress[-1]})")

        doomed = client.call_tool_as_task("build", {"steps": 1000})
        for status in doomed.watch():
            if status.status_message:  # it is under way: stop it
                break
        print(f"cancelling a second build: {doomed.cancel().status}")
        print(f"its final status: {doomed.wait().status}")


if __name__ == "__main__":
    main()
