#!/usr/bin/env python3
"""A server whose long job runs as a task (2025-11-25 tasks, SEP-1686).

    python examples/tasks_server.py        # serve one client over stdio

``build`` reports progress, can be cancelled (``tasks/cancel``), and asks the
user a question half-way (``ctx.elicit``): the task is ``input_required`` until
the answer arrives, then ``working`` again. ``examples/tasks_client.py``
starts this server and drives it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_sync import Context, Server
from mcp_sync.tasks import TaskLimits

server = Server(
    "tasks-demo", version="1.0",
    instructions="Run `build` as a task: it takes a while, reports progress and asks before going on.",
    # Keep finished tasks 10 minutes at most; suggest polling every 100 ms.
    tasks=TaskLimits(default_ttl_ms=60_000, max_ttl_ms=600_000, poll_interval_ms=100),
    task_status_notifications=True,  # push notifications/tasks/status as well
)


@dataclass
class GoOn:
    """The answer to the half-way question."""

    proceed: bool
    label: str = "nightly"


@server.tool(task_support="optional",
             immediate_response="The build has started; its result will follow when it is done.")
def build(steps: int, ctx: Context) -> str:
    """Build in `steps` steps (a tenth of a second each), asking half-way whether to go on."""
    label = "nightly"
    for step in range(1, steps + 1):
        if ctx.cancelled.wait(0.1):  # one step of "work"; a cancel interrupts it at once
            return "cancelled"
        ctx.report_progress(step, steps, f"step {step} of {steps}")
        ctx.set_status_message(f"step {step} of {steps} done")
        if step == steps // 2:
            answer = ctx.elicit(f"Half-way ({step}/{steps}). Go on?", GoOn)
            if answer.action != "accept" or not answer.content.proceed:
                return f"stopped after step {step} ({answer.action})"
            label = answer.content.label
    return f"built {label!r} in {steps} steps"


if __name__ == "__main__":
    server.run()
