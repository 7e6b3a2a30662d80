"""Our own server with tools that run as tasks of the 2026-07-28 tasks extension.

``python -m tests.modern_client.tasks_server`` serves it over stdio (modern only);
:func:`build` returns it (for HTTP, and to reach ``open_gate`` from a test).

* ``build_it {target}`` (``task_support="required"``): returns ``built <target>``;
* ``ask_name`` (required): elicits a name inside the task, returns ``hello <name>``;
* ``wait_gate`` (required): waits until the task is cancelled or ``server.open_gate()``;
* ``maybe_task`` (optional): ``ran``.
"""

from __future__ import annotations

import threading

from mcp_sync import Context, Server
from mcp_sync.tasks import TaskLimits

NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def build(poll_interval_ms: int = 50) -> Server:
    server = Server("tasks-demo", version="2.0", eras=("modern",),
                    tasks=TaskLimits(poll_interval_ms=poll_interval_ms))
    gate = threading.Event()
    gate_waiters: list[threading.Event] = []

    def open_gate() -> None:
        gate.set()
        for waiter in list(gate_waiters):
            waiter.set()

    server.open_gate = open_gate  # type: ignore[attr-defined]

    @server.tool(task_support="required")
    def build_it(target: str) -> str:
        """Builds a target."""
        return f"built {target}"

    @server.tool(task_support="required")
    def ask_name(ctx: Context) -> str:
        """Asks for a name while running as a task."""
        answer = ctx.elicit("Name for the task?", NAME_FORM)
        return f"hello {answer.content['name']}"

    @server.tool(task_support="required")
    def wait_gate(ctx: Context) -> str:
        """Waits for the test's gate or for cancellation."""
        wake = threading.Event()
        cancelled = ctx.cancelled
        if hasattr(cancelled, "add_callback"):  # a Signal: the cancel wakes the wait below
            cancelled.add_callback(wake.set)
        gate_waiters.append(wake)
        if gate.is_set() or cancelled.is_set():
            wake.set()
        wake.wait()
        return "gate opened" if gate.is_set() else "cancelled"

    @server.tool(task_support="optional")
    def maybe_task() -> str:
        """Runs as a task when the client declares the extension."""
        return "ran"

    return server


if __name__ == "__main__":
    build().run("stdio")
