"""The server the task wire tests talk to, in process (HTTP) or as a subprocess (stdio).

``python -m tests.tasks_wire.task_server [--notify] [--no-tasks] [--poll-ms N] [--early-result]
[--task-timeout-ms N]``
serves it over stdio (``--notify``: with ``notifications/tasks/status``;
``--no-tasks``: tasks disabled; ``--poll-ms``: the suggested pollInterval;
``--early-result``: ``tasks/result`` on a task still running answers -32602
"Task not completed yet" at once, as FastMCP 3.x does, instead of blocking;
``early_answers(at_least)`` [none] waits for and counts those answers;
``--task-timeout-ms``: the default execution time limit of task work).

Tools (``task_support`` in brackets):

* ``echo(text)`` [optional], ``double(x)`` [required], ``plain(x)`` [none],
  ``never(x)`` [forbidden];
* ``block(name)`` [optional]: waits until ``release(name)`` [none] is called,
  or until cancelled (then records the task id: ``cancels_seen()`` [none]);
* ``boom(kind)`` [optional]: ``kind="mcp"`` raises McpError(-32050),
  ``"python"`` raises ValueError (an isError result);
* ``ask_name(greeting)`` [optional]: elicits a name; ``ask_model(prompt)``
  [optional]: samples; ``ask_roots()`` [optional]: lists roots;
* ``progress(steps)`` [optional]: reports ``steps`` progress notifications,
  then waits for ``release("progress")``, reports once more, returns;
* ``status_msg(text)`` [optional]: sets the task's statusMessage, waits for
  ``release("status")``;
* ``client_elicit_task(mode)`` / ``client_sample_task(mode)`` [none]: ask the
  client to run an elicitation / sampling as a task and report what happened;
* ``nested_elicit_task()`` / ``nested_sample_task()`` [optional]: the same from
  inside a task (the requests carry the task's related-task tag);
* ``overrun(name)`` [optional, ``task_timeout=0.3`` s]: ``block(name)`` with an
  execution time limit (its cancellation is recorded for ``cancels_seen``).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from dataclasses import dataclass

from mcp_sync import Context, McpError, Server
from mcp_sync.signals import Signal
from mcp_sync.tasks import TaskLimits

LIMITS = TaskLimits(max_tasks=None, max_active_per_owner=None, default_ttl_ms=60_000, max_ttl_ms=600_000,
                    min_ttl_ms=0, poll_interval_ms=20, page_size=5)


@dataclass
class Name:
    name: str


def build_server(*, notify: bool = False, limits: TaskLimits | None = LIMITS, tasks: bool = True,
                 early_result: bool = False, task_timeout_ms: int | None = None) -> Server:
    if task_timeout_ms is not None and limits is not None:
        limits = dataclasses.replace(limits, task_timeout_ms=task_timeout_ms)
    server = Server("task-server", "1.0", tasks=limits if tasks else False, task_status_notifications=notify)
    gates: dict[str, Signal] = {}
    gates_lock = threading.Lock()
    cancels: list[str] = []
    seen_cond = threading.Condition()

    def gate(name: str) -> Signal:
        with gates_lock:
            return gates.setdefault(name, Signal())

    def wait_gate(name: str, ctx: Context) -> bool:
        """Block until the gate opens (True) or the task is cancelled (False); no polling."""
        woke = threading.Event()
        signal = gate(name)
        signal.add_callback(woke.set)
        ctx.cancelled.add_callback(woke.set)
        try:
            woke.wait()
        finally:
            signal.remove_callback(woke.set)
        return not ctx.cancelled.is_set()

    early = {"answers": 0}
    early_cond = threading.Condition()

    if early_result:
        @server.method("tasks/result")
        def result_or_not_yet(connection, request) -> dict:
            if server.tasks.handle_get(connection, request)["status"] not in ("completed", "failed", "cancelled"):
                with early_cond:
                    early["answers"] += 1
                    early_cond.notify_all()
                raise McpError(-32602, "Task not completed yet")
            return server.tasks.handle_result(connection, request)

    @server.tool()
    def early_answers(at_least: int = 0) -> int:
        "How many tasks/result were answered early (first waiting up to 30 s for at_least of them)."
        with early_cond:
            early_cond.wait_for(lambda: early["answers"] >= at_least, timeout=30)
            return early["answers"]

    @server.tool(task_support="optional", immediate_response=lambda args: f"echoing {args.get('text')}")
    def echo(text: str) -> str:
        "Echo the text."
        return text

    @server.tool(task_support="required")
    def double(x: int) -> int:
        "Twice x."
        return 2 * x

    @server.tool()
    def plain(x: int) -> int:
        "x, unchanged (no task support)."
        return x

    @server.tool(task_support="forbidden")
    def never(x: int) -> int:
        "x (tasks forbidden)."
        return x

    @server.tool(task_support="optional")
    def block(name: str, ctx: Context) -> str:
        "Wait until released or cancelled."
        if not wait_gate(name, ctx):
            with seen_cond:
                cancels.append(ctx.task_id or "?")
                seen_cond.notify_all()
            return "cancelled"
        return f"released {name}"

    @server.tool(task_support="optional", task_timeout=0.3)
    def overrun(name: str, ctx: Context) -> str:
        "block(name), limited to 0.3 s of execution as a task."
        return block(name, ctx)

    @server.tool(task_support="required")
    def required_block(name: str, ctx: Context) -> str:
        "block(name), as a tool that must run as a task."
        return block(name, ctx)

    @server.tool()
    def release(name: str) -> str:
        "Release block(name)."
        gate(name).set()
        return "ok"

    @server.tool()
    def cancels_seen(wait_for: str = "") -> list[str]:
        "Task ids whose handler saw its cancellation (first waiting up to 30 s for wait_for to be one)."
        with seen_cond:
            seen_cond.wait_for(lambda: not wait_for or wait_for in cancels, timeout=30)
            return list(cancels)

    @server.tool()
    def table_size(wait_empty: float = 0.0) -> int:
        "Tasks held in the table (first waiting up to wait_empty seconds for it to be empty)."
        store = server.tasks.store
        emptied = threading.Condition()

        def on_change(record, event) -> None:
            with emptied:
                emptied.notify_all()

        remove = store.add_listener(on_change)
        try:
            with emptied:
                emptied.wait_for(lambda: len(store) == 0, timeout=wait_empty)
            return len(store)
        finally:
            remove()

    @server.tool(task_support="optional")
    def boom(kind: str) -> str:
        "Fail: with a JSON-RPC error (mcp) or a tool error (python)."
        if kind == "mcp":
            raise McpError(-32050, "boom as asked", {"kind": kind})
        raise ValueError("boom as asked")

    @server.tool(task_support="optional")
    def ask_name(greeting: str, ctx: Context) -> str:
        "Ask the user's name."
        answer = ctx.elicit("What is your name?", Name)
        if answer.action != "accept":
            return f"no name ({answer.action})"
        return f"{greeting}, {answer.content.name}!"

    @server.tool(task_support="optional")
    def ask_after(name: str, ctx: Context) -> str:
        "Wait for release(name), then ask the user's name."
        if not wait_gate(name, ctx):
            return "cancelled"
        answer = ctx.elicit("Your name, after the gate?", Name)
        return f"after {name}: {answer.content.name if answer.content else answer.action}"

    @server.tool(task_support="optional")
    def ask_model(prompt: str, ctx: Context) -> str:
        "Ask the client's model."
        return ctx.sample(prompt, max_tokens=20).text or ""

    @server.tool(task_support="optional")
    def ask_roots(ctx: Context) -> list[str]:
        "The client's roots."
        return [root["uri"] for root in ctx.list_roots()]

    @server.tool(task_support="optional")
    def progress(steps: int, ctx: Context) -> str:
        "Report progress, wait for release('progress'), report again."
        for step in range(steps):
            ctx.report_progress(step + 1, steps + 1, f"step {step + 1}")
        wait_gate("progress", ctx)
        ctx.report_progress(steps + 1, steps + 1, "last")
        return "progressed"

    @server.tool(task_support="optional")
    def status_msg(text: str, ctx: Context) -> str:
        "Set the statusMessage, wait for release('status')."
        ctx.set_status_message(text)
        wait_gate("status", ctx)
        return "status done"

    @server.tool()
    def client_elicit_task(mode: str, ctx: Context) -> dict:
        "Ask the client to elicit as a task; mode: result | poll | cancel."
        task = ctx.elicit_as_task("Your name, as a task?", Name, ttl=30_000)
        report: dict = {"task_id": task.task_id, "ttl": task.ttl, "first": task.last.status}
        if mode == "cancel":
            report["cancelled"] = task.cancel().status
            report["final"] = task.status().status
            return report
        if mode == "poll":
            report["statuses"] = [s.status for s in task.watch()]
            report["listed"] = task.task_id in [t["taskId"] for t in ctx.send_request("tasks/list")["tasks"]]
        answer = task.result(timeout=30)
        report["action"] = answer.action
        report["name"] = answer.content.name if answer.content is not None else None
        report["final"] = task.status().status
        return report

    @server.tool()
    def client_sample_task(prompt: str, ctx: Context) -> dict:
        "Ask the client to sample as a task."
        task = ctx.sample_as_task(prompt, max_tokens=10, ttl=30_000)
        final = task.wait(timeout=30)
        return {"task_id": task.task_id, "text": task.result().text, "final": final.status}

    @server.tool(task_support="optional")
    def nested_elicit_task(ctx: Context) -> dict:
        "From inside a task: ask the client to elicit as a task; report both task ids and the answer."
        task = ctx.elicit_as_task("Your name, from inside a task?", Name, ttl=30_000)
        answer = task.result(timeout=30)
        return {"task_id": ctx.task_id, "client_task_id": task.task_id, "action": answer.action,
                "name": answer.content.name if answer.content is not None else None}

    @server.tool(task_support="optional")
    def nested_sample_task(prompt: str, ctx: Context) -> dict:
        "From inside a task: ask the client to sample as a task; report both task ids and the text."
        task = ctx.sample_as_task(prompt, max_tokens=10, ttl=30_000)
        return {"task_id": ctx.task_id, "client_task_id": task.task_id, "text": task.result(timeout=30).text}

    @server.tool()
    def raw_task_elicit() -> dict:
        "Send a task-augmented elicitation whatever the client declared; return the raw answer."
        ctx = server_context()
        return ctx.send_request("elicitation/create", {
            "message": "Name?", "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
            "task": {"ttl": 5000}})

    @server.tool()
    def client_task_errors() -> dict:
        "Error codes of the client's tasks/* for an unknown id and a terminal task."
        ctx = server_context()
        codes: dict = {}
        for method in ("tasks/get", "tasks/result", "tasks/cancel"):
            try:
                ctx.send_request(method, {"taskId": "no-such-task"})
            except McpError as exc:
                codes[method] = exc.code
        task = ctx.elicit_as_task("Name?", Name)
        task.result(timeout=30)
        try:
            task.cancel()
        except McpError as exc:
            codes["cancel-terminal"] = exc.code
        codes["listed"] = [t["status"] for t in ctx.send_request("tasks/list")["tasks"]
                           if t["taskId"] == task.task_id]
        return codes

    return server


def server_context() -> Context:
    from mcp_sync.server import current_context

    ctx = current_context()
    assert ctx is not None
    return ctx


def options(args: list[str]) -> dict:
    """``--notify``, ``--no-tasks``, ``--poll-ms N`` as build_server() keywords."""
    found: dict = {"notify": "--notify" in args, "tasks": "--no-tasks" not in args,
                   "early_result": "--early-result" in args}
    if "--task-timeout-ms" in args:
        found["task_timeout_ms"] = int(args[args.index("--task-timeout-ms") + 1])
    if "--poll-ms" in args:
        poll = int(args[args.index("--poll-ms") + 1])
        found["limits"] = TaskLimits(max_tasks=None, max_active_per_owner=None, default_ttl_ms=60_000,
                                     max_ttl_ms=600_000, min_ttl_ms=0, poll_interval_ms=poll, page_size=5)
    return found


def main() -> None:
    build_server(**options(sys.argv[1:])).run()


if __name__ == "__main__":
    main()
