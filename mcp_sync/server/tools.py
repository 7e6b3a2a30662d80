"""Tools: the definition built once at registration, and ``tools/list`` / ``tools/call``.

Registration does all the analysis (schemas, validator, argument coercion,
result conversion, per-version wire views); a call only looks the tool up,
validates, converts and runs it.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..errors import INVALID_PARAMS, McpError
from ..protocol.versions import V2025_06_18, is_modern
from ..session import IncomingRequest
from .callables import check_handler
from .context import Context, bound_context, is_context_annotation
from .pagination import paginate
from .registry import Registry
from .results import blocks_of, error_result, is_call_tool_result, json_text, plain_tool_result, unwire, is_wire_type
from .schema import build_tool_signature, to_jsonable
from .validation import compile_schema, problems
from .wire_view import views as make_views

if TYPE_CHECKING:
    from .connection import ServerConnection
    from .server import Server

log = logging.getLogger("mcp_sync.server")

TASK_SUPPORT = ("forbidden", "optional", "required")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_ANNOTATION_KEYS = {"title": "title", "read_only_hint": "readOnlyHint", "destructive_hint": "destructiveHint",
                    "idempotent_hint": "idempotentHint", "open_world_hint": "openWorldHint"}


def camel_annotations(annotations: Any) -> dict[str, Any]:
    """ToolAnnotations as a wire dict (accepts a types instance, camelCase or snake_case keys)."""
    annotations = unwire(annotations)
    if not isinstance(annotations, Mapping):
        raise TypeError("annotations must be a dict or a ToolAnnotations")
    pairs: Mapping[str, Any] = annotations
    return {_ANNOTATION_KEYS.get(k, k): v for k, v in pairs.items()}


def wire_list(items: Sequence[Any] | None, what: str) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    out = [unwire(i) for i in items]
    if not all(isinstance(i, dict) for i in out):
        raise TypeError(f"{what} must be a list of dicts (or mcp_sync.types instances)")
    return out


class ToolDef:
    """One registered tool."""

    __slots__ = ("name", "fn", "wire", "views", "validator", "coerce", "context_param", "output_validator",
                 "structured", "task_support", "immediate_response", "task_timeout")

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, title: str | None = None,
                 description: str | None = None, annotations: Any = None, icons: Sequence[Any] | None = None,
                 meta: Mapping[str, Any] | None = None, task_support: str | None = None,
                 input_schema: Mapping[str, Any] | None = None, output_schema: Mapping[str, Any] | None = None,
                 structured_output: bool | None = None,
                 immediate_response: str | Callable[[dict[str, Any]], str] | None = None,
                 task_timeout: float | None = None) -> None:
        check_handler(fn, f"tool {name or getattr(fn, '__name__', fn)!r}")
        if task_support is not None and task_support not in TASK_SUPPORT:
            raise ValueError(f"task_support must be one of {TASK_SUPPORT}, not {task_support!r}")
        found: dict[str, str] = {}

        def skip(param: Any, annotation: Any) -> bool:
            if is_context_annotation(annotation):
                found["ctx"] = param.name
                return True
            if input_schema is not None and param.kind is param.VAR_KEYWORD:
                found["kwargs"] = param.name
                return True
            return False

        signature = build_tool_signature(fn, skip=skip, unstructured=is_wire_type,
                                         structured_output=False if output_schema is not None else structured_output)
        self.fn = fn
        self.name = name or signature.name
        if not _NAME.match(self.name):
            log.warning("tool name %r does not follow the MCP naming rules (1-128 of A-Z a-z 0-9 _ - .)", self.name)
        self.context_param = found.get("ctx")
        self.task_support = task_support
        #: Sent with a task-augmented call's CreateTaskResult (a string or ``fn(arguments) -> str``).
        self.immediate_response = immediate_response
        if task_timeout is not None and (isinstance(task_timeout, bool) or not isinstance(task_timeout, (int, float))
                                         or not task_timeout > 0):
            raise ValueError(f"task_timeout must be a positive number of seconds or None, not {task_timeout!r}")
        #: Execution time limit (seconds) of this tool's task work; None: the server's default.
        self.task_timeout = task_timeout
        where = f"tool {self.name!r}"
        schema_in = copy.deepcopy(dict(input_schema)) if input_schema is not None else signature.input_schema
        self.validator = compile_schema(schema_in, what=f"{where} inputSchema")
        if "kwargs" in found:  # hand-written schema, function takes **arguments: pass them all through
            self.coerce: Callable[[dict[str, Any]], dict[str, Any]] = dict
        else:
            self.coerce = signature.coerce
        if output_schema is not None:
            schema_out: dict[str, Any] | None = copy.deepcopy(dict(output_schema))
            self.structured: Callable[[Any], Any] | None = to_jsonable
        else:
            schema_out = signature.output_schema
            self.structured = signature.structured_content if schema_out is not None else None
        self.output_validator = compile_schema(schema_out, what=f"{where} outputSchema") if schema_out else None

        wire: dict[str, Any] = {"name": self.name}
        if title is not None:
            wire["title"] = title
        description = description if description is not None else signature.description
        if description:
            wire["description"] = description
        wire["inputSchema"] = schema_in
        if schema_out is not None:
            wire["outputSchema"] = schema_out
        if annotations is not None:
            wire["annotations"] = camel_annotations(annotations)
        icon_list = wire_list(icons, "icons")
        if icon_list is not None:
            wire["icons"] = icon_list
        if task_support is not None:
            wire["execution"] = {"taskSupport": task_support}
        if meta is not None:
            wire["_meta"] = dict(meta)
        self.wire = wire
        self.views = make_views("tool", wire)

    def __repr__(self) -> str:
        return f"<ToolDef {self.name}>"

    def run(self, server: "Server", connection: "ServerConnection", request: IncomingRequest,
            arguments: dict[str, Any]) -> dict[str, Any]:
        """Validate, convert, call: a CallToolResult dict (``isError`` for tool failures)."""
        wrong = problems(self.validator, arguments)
        if wrong:
            return error_result(f"Invalid arguments for tool '{self.name}': " + "; ".join(wrong))
        try:
            kwargs = self.coerce(arguments)
        except ValueError as exc:
            return error_result(f"Invalid arguments for tool '{self.name}': {exc}")
        ctx = Context(server, connection, request)
        if self.context_param is not None:
            kwargs[self.context_param] = ctx
        with bound_context(ctx):
            try:
                value = self.fn(**kwargs)
            except McpError:
                raise
            except Exception as exc:
                return server.error_result(exc, f"tool {self.name!r}")
        try:
            return self.result(value)
        except Exception as exc:
            return server.error_result(exc, f"the result of tool {self.name!r}")

    def result(self, value: Any) -> dict[str, Any]:
        if self.structured is None:
            return plain_tool_result(value)
        value = unwire(value)
        if is_call_tool_result(value):
            return value
        blocks = blocks_of(value)
        if blocks is not None:
            return {"content": blocks}
        data = self.structured(value)
        if self.output_validator is not None:
            wrong = problems(self.output_validator, data)
            if wrong:
                return error_result(f"Tool '{self.name}' returned a result that does not match its outputSchema: "
                                    + "; ".join(wrong))
        text = value if isinstance(value, str) else json_text(data)  # a str result reads as itself
        return {"content": [{"type": "text", "text": text}], "structuredContent": data}


def adapt(result: dict[str, Any], version: str | None) -> dict[str, Any]:
    """A CallToolResult as the negotiated revision defines it."""
    if version is None or (version >= V2025_06_18 and not is_modern(version)):
        return result
    from ..types.compat import result_for_version  # not imported until an older or newer revision needs it

    adapted = result_for_version(result, version)
    if version < V2025_06_18 and "structuredContent" in adapted:
        adapted = {k: v for k, v in adapted.items() if k != "structuredContent"}
    return adapted


class ToolTable:
    """The server's tools and the ``tools/*`` handlers."""

    def __init__(self, server: "Server", on_change: Callable[[], None]) -> None:
        self.server = server
        self.registry: Registry[ToolDef] = Registry("tool", on_change)

    def add(self, tool: ToolDef, *, replace: bool = False) -> None:
        self.registry.add(tool.name, tool, replace=replace)

    def list(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        page, next_cursor = paginate("tools", self.registry.snapshot(), request.params, self.server.page_size)
        version = connection.protocol_version
        result: dict[str, Any] = {"tools": [t.views.get(version, t.wire) for t in page]}  # type: ignore[arg-type]
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    def call(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        params = request.params
        name = params.get("name")
        if not isinstance(name, str):
            raise McpError(INVALID_PARAMS, "Invalid params: 'name' must be a string")
        tool = self.registry.get(name)
        if tool is None:
            raise McpError(INVALID_PARAMS, f"Unknown tool: {name}", {"name": name})
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        elif type(arguments) is not dict:
            raise McpError(INVALID_PARAMS, "Invalid params: 'arguments' must be an object")
        if self.server.tasks.enabled:  # task negotiation (2025-11-25): maybe a CreateTaskResult
            created = self.server.tasks.call_tool(
                connection, request, tool, arguments,
                lambda req: adapt(tool.run(self.server, connection, req, arguments), connection.protocol_version))
            if created is not None:
                return created
        return adapt(tool.run(self.server, connection, request, arguments), connection.protocol_version)
