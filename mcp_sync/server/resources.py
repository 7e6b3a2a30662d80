"""Resources and resource templates: definitions and the ``resources/*`` handlers.

A static resource is a fixed URI served by a function without arguments (or
a fixed ``str``/``bytes`` value). A template (RFC 6570, e.g.
``test://items/{id}``) is served by a function whose parameters are the
template's variables, converted to the annotated types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ..errors import INTERNAL_ERROR, INVALID_PARAMS, RESOURCE_NOT_FOUND, McpError
from ..protocol.versions import is_modern
from ..session import IncomingRequest
from .callables import check_handler
from .arguments import string_converter
from .context import Context, bound_context, skip_context
from .pagination import paginate
from .registry import Registry
from .results import resource_result, unwire
from .schema import build_tool_signature
from .tools import wire_list
from .uri_template import UriTemplate
from .wire_view import views as make_views

if TYPE_CHECKING:
    from .connection import ServerConnection
    from .server import Server


class ResourceNotFound(LookupError):
    """Raise from a resource function: the URI names nothing (answered as "resource not found")."""


def not_found(uri: str, version: str | None) -> McpError:
    """The version's "resource not found" error: -32002 up to 2025-11-25, -32602 from 2026-07-28."""
    code = INVALID_PARAMS if version is not None and is_modern(version) else RESOURCE_NOT_FOUND
    return McpError(code, f"Resource not found: {uri}", {"uri": uri})


def _metadata(wire: dict[str, Any], *, title: str | None, description: str | None, mime_type: str | None,
              size: int | None, annotations: Any, icons: Sequence[Any] | None,
              meta: Mapping[str, Any] | None) -> dict[str, Any]:
    for key, value in (("title", title), ("description", description), ("mimeType", mime_type), ("size", size)):
        if value is not None:
            wire[key] = value
    if annotations is not None:
        wire["annotations"] = dict(unwire(annotations))
    icon_list = wire_list(icons, "icons")
    if icon_list is not None:
        wire["icons"] = icon_list
    if meta is not None:
        wire["_meta"] = dict(meta)
    return wire


def _signature(fn: Callable[..., Any]) -> tuple[Any, str | None]:
    found: dict[str, str] = {}

    def skip(param: Any, annotation: Any) -> bool:
        if skip_context(param, annotation):
            found["ctx"] = param.name
            return True
        return False

    return build_tool_signature(fn, skip=skip, structured_output=False), found.get("ctx")


class ResourceDef:
    """A resource with a fixed URI."""

    __slots__ = ("uri", "source", "context_param", "mime_type", "wire", "views")

    def __init__(self, uri: str, source: Any, *, name: str | None = None, title: str | None = None,
                 description: str | None = None, mime_type: str | None = None, size: int | None = None,
                 annotations: Any = None, icons: Sequence[Any] | None = None,
                 meta: Mapping[str, Any] | None = None) -> None:
        self.uri = uri
        self.source = source
        self.context_param = None
        self.mime_type = mime_type
        if callable(source):
            check_handler(source, f"the function of resource {uri!r}")
            signature, self.context_param = _signature(source)
            required = [p.name for p in signature.parameters if p.required]
            if required:
                raise TypeError(f"resource {uri!r}: a static resource's function takes no arguments "
                                f"(got {', '.join(required)}); use a URI template for parameters")
            description = description if description is not None else signature.description
            default_name = signature.name
        else:
            default_name = uri
        wire = _metadata({"uri": uri, "name": name or default_name}, title=title, description=description,
                         mime_type=mime_type, size=size, annotations=annotations, icons=icons, meta=meta)
        self.wire = wire
        self.views = make_views("resource", wire)

    def read(self, ctx: Context) -> Any:
        if not callable(self.source):
            return self.source
        if self.context_param is not None:
            return self.source(**{self.context_param: ctx})
        return self.source()


class TemplateDef:
    """A resource template: URIs matching an RFC 6570 template, served by one function."""

    __slots__ = ("template", "fn", "context_param", "converters", "mime_type", "wire", "views")

    def __init__(self, uri_template: str, fn: Callable[..., Any], *, name: str | None = None,
                 title: str | None = None, description: str | None = None, mime_type: str | None = None,
                 annotations: Any = None, icons: Sequence[Any] | None = None,
                 meta: Mapping[str, Any] | None = None) -> None:
        check_handler(fn, f"the function of resource template {uri_template!r}")
        self.template = UriTemplate(uri_template)
        self.fn = fn
        signature, self.context_param = _signature(fn)
        variables = set(self.template.variables)
        params = {p.name: p for p in signature.parameters}
        unknown = [p.name for p in signature.parameters if p.required and p.name not in variables]
        missing = [v for v in self.template.variables if v not in params]
        if unknown or missing:
            raise TypeError(f"resource template {uri_template!r}: the function's parameters must be the template "
                            f"variables ({', '.join(self.template.variables)}); "
                            + (f"not variables: {', '.join(unknown)}" if unknown else
                               f"missing parameters: {', '.join(missing)}"))
        self.converters = {name: string_converter(params[name].annotation) for name in self.template.variables}
        self.mime_type = mime_type
        description = description if description is not None else signature.description
        wire = _metadata({"uriTemplate": uri_template, "name": name or signature.name}, title=title,
                         description=description, mime_type=mime_type, size=None, annotations=annotations,
                         icons=icons, meta=meta)
        self.wire = wire
        self.views = make_views("template", wire)

    def arguments(self, uri: str) -> dict[str, Any] | None:
        """Keyword arguments for ``uri``, or None if it does not match (or a value does not convert)."""
        values = self.template.match(uri)
        if values is None:
            return None
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            convert = self.converters.get(name)
            if convert is not None and isinstance(value, str):
                try:
                    value = convert(value)
                except (ValueError, TypeError):
                    return None
            kwargs[name] = value
        return kwargs

    def read(self, ctx: Context, kwargs: dict[str, Any]) -> Any:
        if self.context_param is not None:
            kwargs[self.context_param] = ctx
        return self.fn(**kwargs)


class ResourceTable:
    """The server's resources and templates, subscriptions, and the ``resources/*`` handlers."""

    def __init__(self, server: "Server", on_change: Callable[[], None]) -> None:
        self.server = server
        self.resources: Registry[ResourceDef] = Registry("resource", on_change)
        self.templates: Registry[TemplateDef] = Registry("resource template", on_change)

    def __len__(self) -> int:
        return len(self.resources) + len(self.templates)

    def list(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        page, next_cursor = paginate("resources", self.resources.snapshot(), request.params, self.server.page_size)
        version = connection.protocol_version
        result: dict[str, Any] = {"resources": [r.views.get(version, r.wire) for r in page]}  # type: ignore[arg-type]
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    def list_templates(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        page, next_cursor = paginate("templates", self.templates.snapshot(), request.params, self.server.page_size)
        version = connection.protocol_version
        result: dict[str, Any] = {
            "resourceTemplates": [t.views.get(version, t.wire) for t in page]}  # type: ignore[arg-type]
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    def read(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        uri = _uri(request.params)
        ctx = Context(self.server, connection, request)
        version = connection.protocol_version
        resource = self.resources.get(uri)
        try:
            with bound_context(ctx):
                if resource is not None:
                    value, mime_type = resource.read(ctx), resource.mime_type
                else:
                    for template in self.templates.snapshot():
                        kwargs = template.arguments(uri)
                        if kwargs is not None:
                            value, mime_type = template.read(ctx, kwargs), template.mime_type
                            break
                    else:
                        raise not_found(uri, version)
        except McpError:
            raise
        except ResourceNotFound:
            raise not_found(uri, version) from None
        except Exception as exc:
            raise McpError(INTERNAL_ERROR, f"Error reading resource {uri}: "
                                           f"{self.server.describe_error(exc, f'resource {uri!r}')}",
                           {"uri": uri}) from None
        return resource_result(value, uri, mime_type)

    def subscribe(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        connection.subscribe(_uri(request.params))
        return {}

    def unsubscribe(self, connection: "ServerConnection", request: IncomingRequest) -> dict[str, Any]:
        connection.unsubscribe(_uri(request.params))
        return {}


def _uri(params: dict[str, Any]) -> str:
    uri = params.get("uri")
    if not isinstance(uri, str):
        raise McpError(INVALID_PARAMS, "Invalid params: 'uri' must be a string")
    return uri
