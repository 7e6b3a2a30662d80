"""A peer MCP server built with the official Python SDK (1.x, experimental tasks).

Run with the interop venv's interpreter (scripts/setup_interop.sh installs it)::

    .cache/interop/py-venv/bin/python tests/interop/peers/official_server.py          # stdio
    .cache/interop/py-venv/bin/python tests/interop/peers/official_server.py --http   # Streamable HTTP

With ``--http`` it listens on 127.0.0.1 on a free port and prints
``listening <url>`` on stdout once ready; it stops when stdin closes.

Tools (all ``execution.taskSupport: optional``):

* ``echo(text)``: the text;
* ``ask(question)``: inside the task, elicits ``{name}`` from the client (the
  official SDK queues it and delivers it on the client's ``tasks/result``);
* ``hold()``: works until cancelled;
* ``boom()``: fails;
* ``ask_client_task()``: asks the client to run an elicitation as *its* task
  (``elicit_as_task``) and returns the name the client's task produced.
"""

from __future__ import annotations

import anyio
import mcp.types as types
from mcp.server.experimental.task_context import ServerTaskContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

server = Server("official-peer")
server.experimental.enable_tasks()

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
OPTIONAL = types.ToolExecution(taskSupport="optional")


def text(value: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=value)])


@server.list_tools()
async def list_tools() -> list[types.Tool]:
    def tool(name: str, properties: dict) -> types.Tool:
        return types.Tool(name=name, description=name, execution=OPTIONAL,
                          inputSchema={"type": "object", "properties": properties})

    return [tool("echo", {"text": {"type": "string"}}), tool("ask", {"question": {"type": "string"}}),
            tool("hold", {}), tool("boom", {}), tool("ask_client_task", {})]


async def work_for(name: str, arguments: dict, task: ServerTaskContext) -> types.CallToolResult:
    if name == "echo":
        return text(arguments["text"])
    if name == "ask":
        answer = await task.elicit(arguments.get("question", "Name?"), SCHEMA)
        return text(f"hello {(answer.content or {}).get('name')} ({answer.action})")
    if name == "hold":
        while not task.is_cancelled:  # the official SDK exposes cancellation as a flag
            await anyio.sleep(0.02)
        return text("held")
    if name == "boom":
        raise RuntimeError("boom from the official SDK")
    if name == "ask_client_task":
        answer = await task.elicit_as_task("Your name (as a client task)?", SCHEMA, ttl=30_000)
        return text(f"client task said {(answer.content or {}).get('name')} ({answer.action})")
    raise ValueError(f"unknown tool {name}")


@server.call_tool()
async def call_tool(name: str, arguments: dict):
    ctx = server.request_context
    if ctx.experimental.is_task:
        async def work(task: ServerTaskContext) -> types.CallToolResult:
            return await work_for(name, arguments, task)

        return await ctx.experimental.run_task(work, model_immediate_response=f"{name} started")
    if name == "echo":
        return text(arguments["text"])
    raise ValueError(f"{name} only runs as a task here")


async def main() -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def main_http() -> None:
    import socket
    import sys

    import uvicorn
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    manager = StreamableHTTPSessionManager(app=server)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            message = await receive()
            async with manager.run():
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
            return
        await manager.handle_request(scope, receive, send)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    web = uvicorn.Server(config)

    async def stop_on_stdin_eof() -> None:
        await anyio.to_thread.run_sync(sys.stdin.read)
        web.should_exit = True

    async with anyio.create_task_group() as group:
        group.start_soon(stop_on_stdin_eof)

        async def announce() -> None:
            while not web.started:
                await anyio.sleep(0.01)
            print(f"listening http://127.0.0.1:{port}/mcp", flush=True)

        group.start_soon(announce)
        await web.serve(sockets=[sock])
        group.cancel_scope.cancel()


if __name__ == "__main__":
    import sys

    anyio.run(main_http if "--http" in sys.argv[1:] else main)
