"""A peer MCP client built with the official Python SDK (1.x, experimental tasks).

Run with the interop venv's interpreter against one of our servers:

    .cache/interop/py-venv/bin/python tests/interop/peers/official_client.py stdio <command...>
    .cache/interop/py-venv/bin/python tests/interop/peers/official_client.py http <url>

It drives the server (our ``tests/tasks_wire/task_server.py``) through every
task method and prints one JSON report on stdout. It also acts as a task
*receiver*: it declares task-augmented elicitation and sampling (handlers over
the official SDK's own in-memory task store), so the server's
``ctx.elicit_as_task`` / ``ctx.sample_as_task`` run as tasks of this client; it
reports the ``_meta`` those requests carried.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import anyio
import mcp.types as types
from mcp import ClientSession, McpError
from mcp.client.experimental.task_handlers import ExperimentalTaskHandlers
from mcp.shared.experimental.tasks.helpers import is_terminal
from mcp.shared.experimental.tasks.in_memory_task_store import InMemoryTaskStore

warnings.simplefilter("ignore", DeprecationWarning)

NAME = {"name": "Official"}
store = InMemoryTaskStore()
#: The _meta of each task-augmented elicitation / sampling request the server sent this client.
elicitation_metas: list[Any] = []
sampling_metas: list[Any] = []


async def elicitation(context, params) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content=NAME)


# -- this client as task receiver (the server asks it to elicit as a task) ----------------


async def augmented_elicitation(context, params, task_metadata) -> types.CreateTaskResult:
    elicitation_metas.append(params.meta.model_dump(by_alias=True, mode="json") if params.meta else None)
    task = await store.create_task(task_metadata)

    async def work() -> None:
        await store.store_result(task.taskId, types.ElicitResult(action="accept", content={"name": "Official task"}))
        await store.update_task(task.taskId, status="completed")

    context.session._task_group.start_soon(work) if hasattr(context.session, "_task_group") else await work()
    return types.CreateTaskResult(task=task)


async def sampling(context, params) -> types.CreateMessageResult:
    return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="official"),
                                     model="official-model")


async def augmented_sampling(context, params, task_metadata) -> types.CreateTaskResult:
    sampling_metas.append(params.meta.model_dump(by_alias=True, mode="json") if params.meta else None)
    task = await store.create_task(task_metadata)

    async def work() -> None:
        await store.store_result(task.taskId, types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="official task"), model="official-model"))
        await store.update_task(task.taskId, status="completed")

    context.session._task_group.start_soon(work) if hasattr(context.session, "_task_group") else await work()
    return types.CreateTaskResult(task=task)


async def get_task(context, params) -> types.GetTaskResult | types.ErrorData:
    task = await store.get_task(params.taskId)
    if task is None:
        return types.ErrorData(code=types.INVALID_PARAMS, message="Task not found")
    return types.GetTaskResult(**task.model_dump())


async def get_task_result(context, params) -> types.GetTaskPayloadResult | types.ErrorData:
    while True:
        task = await store.get_task(params.taskId)
        if task is None:
            return types.ErrorData(code=types.INVALID_PARAMS, message="Task not found")
        if is_terminal(task.status):
            break
        await store.wait_for_update(params.taskId)
    result = await store.get_result(params.taskId)
    data = result.model_dump(by_alias=True, mode="json", exclude_none=True) if result is not None else {}
    data["_meta"] = {"io.modelcontextprotocol/related-task": {"taskId": params.taskId}}
    return types.GetTaskPayloadResult.model_validate(data)


async def list_tasks(context, params) -> types.ListTasksResult:
    tasks, cursor = await store.list_tasks(params.cursor if params else None)
    return types.ListTasksResult(tasks=tasks, nextCursor=cursor)


async def cancel_task(context, params) -> types.CancelTaskResult | types.ErrorData:
    task = await store.get_task(params.taskId)
    if task is None:
        return types.ErrorData(code=types.INVALID_PARAMS, message="Task not found")
    if is_terminal(task.status):
        return types.ErrorData(code=types.INVALID_PARAMS, message="already terminal")
    task = await store.update_task(params.taskId, status="cancelled")
    return types.CancelTaskResult(**task.model_dump())


HANDLERS = ExperimentalTaskHandlers(get_task=get_task, get_task_result=get_task_result, list_tasks=list_tasks,
                                    cancel_task=cancel_task, augmented_elicitation=augmented_elicitation,
                                    augmented_sampling=augmented_sampling)


# -- this client as requestor --------------------------------------------------------------


def text_of(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def wait_terminal(session: ClientSession, task_id: str) -> list[str]:
    statuses: list[str] = []
    async for status in session.experimental.poll_task(task_id):
        if not statuses or statuses[-1] != status.status:
            statuses.append(status.status)
    return statuses


async def scenario(session: ClientSession) -> dict[str, Any]:
    report: dict[str, Any] = {}
    init = await session.initialize()
    report["protocol"] = init.protocolVersion
    report["capabilities"] = init.capabilities.tasks.model_dump(mode="json", exclude_none=True) \
        if init.capabilities.tasks else None
    tools = {t.name: (t.execution.taskSupport if t.execution else None) for t in (await session.list_tools()).tools}
    report["support"] = {name: tools.get(name) for name in ("echo", "double", "plain")}

    created = await session.experimental.call_tool_as_task("echo", {"text": "interop"}, ttl=30_000)
    task_id = created.task.taskId
    report["echo"] = {"created": created.task.status, "ttl": created.task.ttl,
                      "immediate": (created.meta or {}).get("io.modelcontextprotocol/model-immediate-response"),
                      "statuses": await wait_terminal(session, task_id)}
    result = await session.experimental.get_task_result(task_id, types.CallToolResult)
    report["echo"]["text"] = text_of(result)
    report["echo"]["related"] = (result.meta or {}).get("io.modelcontextprotocol/related-task")

    created = await session.experimental.call_tool_as_task("double", {"x": 21})
    await wait_terminal(session, created.task.taskId)
    result = await session.experimental.get_task_result(created.task.taskId, types.CallToolResult)
    report["double"] = result.structuredContent
    try:
        await session.call_tool("double", {"x": 1})
        report["double_plain"] = "no error"
    except McpError as exc:
        report["double_plain"] = exc.error.code

    created = await session.experimental.call_tool_as_task("ask_name", {"greeting": "Hi"})
    report["ask_name"] = {"statuses": await wait_terminal(session, created.task.taskId)}
    result = await session.experimental.get_task_result(created.task.taskId, types.CallToolResult)
    report["ask_name"]["text"] = text_of(result)

    created = await session.experimental.call_tool_as_task("block", {"name": "interop-never"})
    cancelled = await session.experimental.cancel_task(created.task.taskId)
    report["cancel"] = {"reply": cancelled.status,
                        "after": (await session.experimental.get_task(created.task.taskId)).status}
    try:
        await session.experimental.cancel_task(created.task.taskId)
    except McpError as exc:
        report["cancel"]["again"] = exc.error.code

    created = await session.experimental.call_tool_as_task("boom", {"kind": "mcp"})
    report["boom"] = {"statuses": await wait_terminal(session, created.task.taskId)}
    try:
        await session.experimental.get_task_result(created.task.taskId, types.CallToolResult)
    except McpError as exc:
        report["boom"]["error"] = exc.error.code

    try:
        await session.experimental.get_task("no-such-task")
    except McpError as exc:
        report["unknown"] = exc.error.code

    listed = await session.experimental.list_tasks()
    report["listed"] = len(listed.tasks)
    report["next_cursor"] = listed.nextCursor is not None

    client_task = await session.call_tool("client_elicit_task", {"mode": "result"})
    report["client_task"] = client_task.structuredContent
    report["client_task"]["meta"] = elicitation_metas[-1]

    # the same from inside a task of the server: the elicitation carries that task's id
    created = await session.experimental.call_tool_as_task("nested_elicit_task", {}, ttl=60_000)
    nested = {"task_id": created.task.taskId, "statuses": await wait_terminal(session, created.task.taskId)}
    result = await session.experimental.get_task_result(created.task.taskId, types.CallToolResult)
    nested["report"] = result.structuredContent
    nested["meta"] = elicitation_metas[-1]
    report["nested_client_task"] = nested
    created = await session.experimental.call_tool_as_task("nested_sample_task", {"prompt": "hi"}, ttl=60_000)
    nested = {"task_id": created.task.taskId, "statuses": await wait_terminal(session, created.task.taskId)}
    result = await session.experimental.get_task_result(created.task.taskId, types.CallToolResult)
    nested["report"] = result.structuredContent
    nested["meta"] = sampling_metas[-1] if sampling_metas else None
    report["nested_sample_task"] = nested
    return report


async def main() -> None:
    kind, *target = sys.argv[1:]
    if kind == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=target[0], args=target[1:], cwd=None)
        transport = stdio_client(params)
    else:
        from mcp.client.streamable_http import streamablehttp_client

        transport = streamablehttp_client(target[0])
    async with transport as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write, elicitation_callback=elicitation, sampling_callback=sampling,
                                 experimental_task_handlers=HANDLERS) as session:
            report = await scenario(session)
    print(json.dumps(report, sort_keys=True), flush=True)


if __name__ == "__main__":
    anyio.run(main)
