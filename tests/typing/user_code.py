"""Natural user code of mcp_sync: type-checked with ``mypy --strict`` by tests/typing/test_mypy.py.

Nothing here may need a type-ignore comment; the reveal checks in the test
read the types mypy infers for the values a user handles.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from mcp_sync import Client, Context, McpSyncError, Server, ToolError
from mcp_sync.types import CallToolResult, ElicitRequestFormParams, ElicitResult, Implementation

server = Server("typed", version="1.0")


@dataclass
class Answer:
    name: str
    age: int = 0


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


@server.tool(task_support="optional")
def ask(ctx: Context) -> str:
    """Asks the user's name."""
    answer = ctx.elicit("Your name?", Answer)
    if answer.action == "accept" and answer.content is not None:
        name: str = answer.content.name
        return name
    info = ctx.client_info
    return info.name if info is not None else "nobody"


@server.resource("test://greeting", mime_type="text/plain")
def greeting() -> str:
    """A fixed text."""
    return "hello"


@server.prompt()
def brief(topic: str) -> str:
    """A one-line prompt."""
    return f"Brief me on {topic}."


# the decorators keep the function as it was: still callable with its own types
total: int = add(1, 2)
text: str = brief("typing")


def answer(params: ElicitRequestFormParams) -> ElicitResult:
    return ElicitResult(action="accept", content={"name": "Ada", "age": 36})


def use_client() -> None:
    with Client.connect(server, elicitation=answer) as client:
        info: Implementation = client.server_info
        print(info.name)
        result: CallToolResult = client.call_tool("add", {"a": 1, "b": 2})
        print(result.structured_content, result.is_error)
        future: Future[CallToolResult] = client.nowait.call_tool("add", {"a": 1, "b": 2})
        print(future.result().content)
        try:
            client.call_tool("add", {"a": 1}).raise_for_error("add")
        except ToolError as exc:
            print(exc.tool)
        except McpSyncError:
            raise
        task = client.call_tool_as_task("ask", {})
        final: CallToolResult = task.result()
        assert final.text == "Ada"

        for tool in client.list_tools():
            print(tool.name, tool.input_schema)


def serve_over_http() -> None:
    handle = server.start_http(port=0)
    try:
        use_client()
    finally:
        handle.stop()


def typed_answers(ctx: Context) -> int:
    answer = ctx.elicit("How old?", Answer)
    if answer.content is not None:
        age: int = answer.content.age  # the dataclass, not Any
        return age
    form = ctx.elicit("Anything?", {"type": "object", "properties": {"x": {"type": "string"}}})
    return len(form.content or {})


# a Flask site with the MCP endpoint mounted beside its pages (serve `application` with gunicorn)
site = Flask(__name__)


@site.get("/")
def home() -> str:
    return "hello"


application = DispatcherMiddleware(site, {"/mcp": server.wsgi_app(path="/")})
