"""Argument completion (``completion/complete``) for prompt arguments and template variables.

A provider is ``fn(value)`` or ``fn(value, arguments)`` (``arguments``: the
already-resolved arguments the client sent as ``context``), optionally with
a ``Context`` parameter, returning a list of strings (or a ``completion``
dict). Prompt arguments annotated with a ``Literal`` or ``Enum`` complete
from their choices without a provider.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, McpError
from ..session import IncomingRequest
from .context import Context, bound_context, is_context_annotation
from .registry import Registry
from .schema import to_jsonable

if TYPE_CHECKING:
    from .connection import ServerConnection
    from .server import Server

#: The spec caps ``completion.values`` at 100 items.
MAX_VALUES = 100


def completion_key(*, prompt: str | None = None, argument: str | None = None, template: str | None = None,
                   variable: str | None = None) -> str:
    if (prompt is None) == (template is None):
        raise TypeError("a completion is for prompt=..., argument=... or for template=..., variable=...")
    if prompt is not None:
        if not argument:
            raise TypeError("completion(prompt=...) needs argument=...")
        return f"ref/prompt\n{prompt}\n{argument}"
    if not variable:
        raise TypeError("completion(template=...) needs variable=...")
    return f"ref/resource\n{template}\n{variable}"


class Provider:
    """One completion function, with how to call it worked out once."""

    __slots__ = ("fn", "context_param", "wants_arguments")

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"a completion provider must be callable, not {type(fn).__name__}")
        import typing

        try:
            hints = typing.get_type_hints(fn)
        except Exception:
            hints = {}
        self.fn = fn
        self.context_param = None
        positional = 0
        for param in inspect.signature(fn).parameters.values():
            if is_context_annotation(hints.get(param.name, param.annotation)):
                self.context_param = param.name
            elif param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                positional += 1
        if positional not in (1, 2):
            raise TypeError("a completion provider takes (value) or (value, arguments), plus an optional Context")
        self.wants_arguments = positional == 2

    def __call__(self, ctx: Context, value: str, arguments: dict[str, str]) -> Any:
        args: tuple[Any, ...] = (value, arguments) if self.wants_arguments else (value,)
        if self.context_param is not None:
            return self.fn(*args, **{self.context_param: ctx})
        return self.fn(*args)


def completion_result(values: Any) -> dict[str, Any]:
    completion: dict[str, Any]
    if isinstance(values, dict):
        completion = dict(values)
        completion["values"] = [str(v) for v in completion.get("values", ())][:MAX_VALUES]
        return {"completion": completion}
    items = [str(v) for v in to_jsonable(list(values or ()))]
    completion = {"values": items[:MAX_VALUES]}
    if len(items) > MAX_VALUES:
        completion["total"] = len(items)
        completion["hasMore"] = True
    return {"completion": completion}


class CompletionTable:
    """Completion providers and the ``completion/complete`` handler."""

    def __init__(self, server: "Server", on_change: Callable[[], None]) -> None:
        self.server = server
        self.registry: Registry[Provider] = Registry("completion", on_change)

    def complete(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        params = request.params
        ref, argument = params.get("ref"), params.get("argument")
        if not isinstance(ref, dict) or not isinstance(argument, dict):
            raise McpError(INVALID_PARAMS, "Invalid params: 'ref' and 'argument' must be objects")
        name, value = argument.get("name"), argument.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            raise McpError(INVALID_PARAMS, "Invalid params: 'argument' needs string 'name' and 'value'")
        context = params.get("context")
        resolved = context.get("arguments") if isinstance(context, dict) else None
        resolved = resolved if isinstance(resolved, dict) else {}
        default: list[str] | None = None
        kind = ref.get("type")
        if kind == "ref/prompt":
            prompt = self.server._prompts.lookup(ref.get("name"))
            if name not in prompt.arguments:
                raise McpError(INVALID_PARAMS, f"Prompt '{prompt.name}' has no argument '{name}'")
            key = f"ref/prompt\n{prompt.name}\n{name}"
            default = prompt.choices.get(name)
        elif kind == "ref/resource":
            uri = ref.get("uri")
            template = self.server._resources.templates.get(uri) if isinstance(uri, str) else None
            if template is None:
                if isinstance(uri, str) and uri in self.server._resources.resources:
                    return completion_result(())
                raise McpError(INVALID_PARAMS, f"Unknown resource template: {uri}", {"uri": uri})
            if name not in template.template.variables:
                raise McpError(INVALID_PARAMS, f"Resource template {uri} has no variable '{name}'")
            key = f"ref/resource\n{uri}\n{name}"
        else:
            raise McpError(INVALID_PARAMS, f"Invalid params: unknown reference type {kind!r}")
        provider = self.registry.get(key)
        if provider is None:
            return completion_result([c for c in default or () if c.startswith(value)])
        ctx = Context(self.server, connection, request)
        try:
            with bound_context(ctx):
                return completion_result(provider(ctx, value, resolved))
        except McpError:
            raise
        except Exception as exc:
            raise McpError(INTERNAL_ERROR, "Completion failed: "
                                           f"{self.server.describe_error(exc, 'a completion provider')}") from None
