"""A server with tools for the 2026-07-28 tasks extension tests (in process over HTTP or memory, or as
``python -m tests.modern_server.task_app --stdio``).

Task tools (``task_support="optional"``/``"required"``) become tasks at once when the request
declares ``io.modelcontextprotocol/tasks``; ``mrtr_then_task`` becomes one part way
(``ctx.start_task()``). Tools that wait do so on ``ctx.cancelled`` (never a sleep), so a
cancelled task stops at once.
"""

from __future__ import annotations

import argparse
from typing import Any

from mcp_sync import Context, Server
from mcp_sync.errors import INTERNAL_ERROR, McpError

SECRET = "modern-task-tests-shared-secret"
NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
CONFIRM_FORM = {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]}


def build_task_server(**options: Any) -> Server:
    server = Server("modern-task-test", version="3.0.0", request_state_secret=SECRET, **options)

    @server.tool()
    def plain(text: str = "hi") -> str:
        """Never a task."""
        return f"plain: {text}"

    @server.tool(task_support="optional")
    def work(ctx: Context, seconds: float = 0.0, text: str = "done") -> str:
        """Waits ``seconds`` (stops early when cancelled), then answers ``text``."""
        if ctx.cancelled.wait(seconds):
            return "cancelled"
        return f"work: {text}"

    @server.tool(task_support="optional")
    def block(ctx: Context) -> str:
        """Runs until cancelled; its status message says so."""
        ctx.set_status_message("blocking until cancelled")
        ctx.cancelled.wait()
        return "unblocked"

    @server.tool(task_support="optional")
    def tool_error() -> str:
        """A tool error: isError (on this wire the task still completes)."""
        raise RuntimeError("the tool failed")

    @server.tool(task_support="optional")
    def rpc_error() -> str:
        """A JSON-RPC error: the task fails with it."""
        raise McpError(INTERNAL_ERROR, "rpc_error failed", {"why": "on purpose"})

    @server.tool(task_support="required")
    def only_task(text: str = "x") -> str:
        """Cannot run without the extension (-32021)."""
        return f"only_task: {text}"

    @server.tool(task_support="optional")
    def ask(ctx: Context) -> str:
        """One elicitation (as a task: input_required, answered with tasks/update)."""
        answer = ctx.elicit("Go on?", CONFIRM_FORM, key="confirm")
        return f"ask: confirm={answer.content['confirm'] if answer.accepted else None}"

    @server.tool(task_support="optional")
    def ask_two(ctx: Context) -> str:
        """Two questions at once, then a third in a second round."""
        name, confirm = ctx.gather(ctx.elicit_request("Name?", NAME_FORM, key="name"),
                                   ctx.elicit_request("Sure?", CONFIRM_FORM, key="sure"))
        again = ctx.elicit("Really?", CONFIRM_FORM, key="again")
        return f"ask_two: {name.content['name']} {confirm.content['confirm']} {again.content['confirm']}"

    @server.tool(task_support="optional")
    def ask_sample(ctx: Context) -> str:
        """Asks the client's model: needs the sampling capability (the task fails with -32021 without)."""
        reply = ctx.sample("Say hi", max_tokens=5)
        return f"model: {reply.text}"

    @server.tool()
    def mrtr_then_task(ctx: Context) -> str:
        """A name by MRTR first, then a task (ctx.start_task) that asks one more thing via tasks/update."""
        name = ctx.elicit("Name?", NAME_FORM, key="user_name")
        as_task = ctx.start_task()
        more = ctx.elicit("More?", CONFIRM_FORM, key="more")
        return f"{name.content['name']} task={as_task} more={more.content['confirm']}"

    @server.tool()
    def start_anyway(ctx: Context) -> str:
        """Calls ctx.start_task() without asking anything first."""
        return f"start_anyway: task={ctx.start_task()} id={ctx.task_id is not None}"

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdio", action="store_true", required=True)
    parser.parse_args()
    build_task_server().run("stdio")


if __name__ == "__main__":
    main()
