"""Prompts: definitions (arguments from the signature) and ``prompts/list`` / ``prompts/get``.

A prompt function returns a string (one user message), a message dict
(``{"role", "content"}``), a content block, a list of those, or a whole
GetPromptResult dict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, McpError
from ..protocol.versions import ALL_VERSIONS
from ..session import IncomingRequest
from .callables import check_handler
from .arguments import choices, string_converter
from .context import Context, bound_context, skip_context
from .pagination import paginate
from .registry import Registry
from .results import prompt_result
from .schema import build_tool_signature
from .tools import wire_list
from .wire_view import view

if TYPE_CHECKING:
    from .connection import ServerConnection
    from .server import Server


class PromptDef:
    """One registered prompt."""

    __slots__ = ("name", "fn", "description", "context_param", "arguments", "required", "converters",
                 "choices", "wire", "views")

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, title: str | None = None,
                 description: str | None = None, icons: Sequence[Any] | None = None,
                 meta: Mapping[str, Any] | None = None) -> None:
        check_handler(fn, f"prompt {name or getattr(fn, '__name__', fn)!r}")
        found: dict[str, str] = {}

        def skip(param: Any, annotation: Any) -> bool:
            if skip_context(param, annotation):
                found["ctx"] = param.name
                return True
            return False

        signature = build_tool_signature(fn, skip=skip, structured_output=False)
        self.fn = fn
        self.name = name or signature.name
        self.context_param = found.get("ctx")
        self.description = description if description is not None else signature.description
        self.arguments = tuple(p.name for p in signature.parameters)
        self.required = tuple(p.name for p in signature.parameters if p.required)
        self.converters = {p.name: string_converter(p.annotation) for p in signature.parameters}
        self.choices = {p.name: choices(p.annotation) for p in signature.parameters}
        wire: dict[str, Any] = {"name": self.name}
        if title is not None:
            wire["title"] = title
        if self.description:
            wire["description"] = self.description
        if signature.parameters:
            args = []
            for p in signature.parameters:
                arg: dict[str, Any] = {"name": p.name}
                if p.description:
                    arg["description"] = p.description
                arg["required"] = p.required
                args.append(arg)
            wire["arguments"] = args
        icon_list = wire_list(icons, "icons")
        if icon_list is not None:
            wire["icons"] = icon_list
        if meta is not None:
            wire["_meta"] = dict(meta)
        self.wire = wire
        self.views = {version: view("prompt", wire, version) for version in ALL_VERSIONS}

    def __repr__(self) -> str:
        return f"<PromptDef {self.name}>"

    def render(self, ctx: Context, arguments: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in self.required if name not in arguments]
        if missing:
            raise McpError(INVALID_PARAMS, f"Missing required arguments for prompt '{self.name}': "
                                           f"{', '.join(missing)}", {"missing": missing})
        kwargs: dict[str, Any] = {}
        for name, value in arguments.items():
            if name not in self.converters:
                continue  # unknown arguments are ignored
            if not isinstance(value, str):
                raise McpError(INVALID_PARAMS, f"Invalid params: prompt argument '{name}' must be a string")
            convert = self.converters[name]
            try:
                kwargs[name] = convert(value) if convert is not None else value
            except (ValueError, TypeError) as exc:
                raise McpError(INVALID_PARAMS, f"Invalid value for argument '{name}' of prompt '{self.name}': "
                                               f"{exc}") from None
        if self.context_param is not None:
            kwargs[self.context_param] = ctx
        with bound_context(ctx):
            value = self.fn(**kwargs)
        return prompt_result(value, self.description)


class PromptTable:
    """The server's prompts and the ``prompts/*`` handlers."""

    def __init__(self, server: "Server", on_change: Callable[[], None]) -> None:
        self.server = server
        self.registry: Registry[PromptDef] = Registry("prompt", on_change)

    def list(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        page, next_cursor = paginate("prompts", self.registry.snapshot(), request.params, self.server.page_size)
        version = connection.protocol_version
        result: dict[str, Any] = {"prompts": [p.views.get(version, p.wire) for p in page]}  # type: ignore[arg-type]
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    def lookup(self, name: Any) -> PromptDef:
        if not isinstance(name, str):
            raise McpError(INVALID_PARAMS, "Invalid params: 'name' must be a string")
        prompt = self.registry.get(name)
        if prompt is None:
            raise McpError(INVALID_PARAMS, f"Unknown prompt: {name}", {"name": name})
        return prompt

    def get(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        params = request.params
        prompt = self.lookup(params.get("name"))
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        elif not isinstance(arguments, dict):
            raise McpError(INVALID_PARAMS, "Invalid params: 'arguments' must be an object")
        try:
            result = prompt.render(Context(self.server, connection, request), arguments)
        except McpError:
            raise
        except Exception as exc:
            raise McpError(INTERNAL_ERROR, f"Error rendering prompt '{prompt.name}': "
                                           f"{self.server.describe_error(exc, f'prompt {prompt.name!r}')}") from None
        version = connection.protocol_version
        if version is None:
            return result
        from ..types.compat import result_for_version  # mcp_sync.types loads on first use

        return result_for_version(result, version)
