"""MCP Apps (``io.modelcontextprotocol/ui``): tools that come with an interactive UI.

A tool links a ``ui://`` resource, an HTML document served as
``text/html;profile=mcp-app``, from its ``_meta.ui.resourceUri``; a host that
supports Apps renders it in a sandboxed iframe and feeds it the tool's
results. Server side::

    from mcp_sync import Server
    from mcp_sync.apps import Apps

    server = Server("clock")
    apps = server.add_extension(Apps())
    apps.add_html_resource("ui://clock/app.html", "<!doctype html><p id=t></p>...")

    @apps.tool(resource_uri="ui://clock/app.html")
    def get_time() -> str:
        "The current time."
        ...

Host side: declare support with ``Client(extensions=APPS_CLIENT_EXTENSION)``,
then :func:`tool_ui` gives a listed tool's UI metadata and :func:`read_app`
fetches its HTML. A tool should still answer useful text to clients without
Apps (:func:`client_supports_apps` tells, from a ``Context`` or a connection).
The linked resource is also sent under the older flat ``_meta`` key
``"ui/resourceUri"`` for hosts that only read that one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .protocol.extensions import declared_extension
from .server.extensions import Extension, ExtensionSetup

__all__ = [
    "APPS_CLIENT_EXTENSION",
    "APP_MIME_TYPE",
    "AppResource",
    "Apps",
    "EXTENSION_ID",
    "ToolUi",
    "client_supports_apps",
    "read_app",
    "tool_ui",
]

EXTENSION_ID = "io.modelcontextprotocol/ui"
APP_MIME_TYPE = "text/html;profile=mcp-app"
#: The flat ``_meta`` key of earlier ext-apps drafts (still read by some hosts).
LEGACY_RESOURCE_URI_KEY = "ui/resourceUri"
#: What a host passes as ``Client(extensions=...)`` to declare Apps support.
APPS_CLIENT_EXTENSION: dict[str, dict[str, Any]] = {EXTENSION_ID: {"mimeTypes": [APP_MIME_TYPE]}}

_VISIBILITY = ("model", "app")


def _require_ui(uri: Any) -> str:
    if not isinstance(uri, str) or not uri.startswith("ui://") or len(uri) <= len("ui://"):
        raise ValueError(f"an MCP Apps resource URI uses the ui:// scheme (ui://server/app.html), not {uri!r}")
    return uri


class Apps(Extension):
    """The MCP Apps extension; add it with ``server.add_extension(Apps())`` (see the module docstring)."""

    id = EXTENSION_ID

    def __init__(self) -> None:
        self._server: Any = None
        self._pending: list[Callable[[Any], None]] = []

    def install(self, setup: ExtensionSetup) -> None:
        self._server = setup.server
        pending, self._pending = self._pending, []
        for register in pending:
            register(self._server)

    def _register(self, register: Callable[[Any], None]) -> None:
        if self._server is None:
            self._pending.append(register)  # added before server.add_extension(apps)
        else:
            register(self._server)

    def tool(self, *, resource_uri: str, visibility: Sequence[str] | None = None,
             meta: Mapping[str, Any] | None = None, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a tool whose UI is ``resource_uri`` (``@apps.tool(resource_uri="ui://...")``).

        ``visibility``: where the tool is offered, ``["model"]``, ``["app"]``
        (only the UI calls it) or both (the default when omitted). ``meta``:
        more ``_meta`` keys; ``options`` are those of :meth:`Server.tool <mcp_sync.Server.tool>`.
        """
        _require_ui(resource_uri)
        ui: dict[str, Any] = {"resourceUri": resource_uri}
        if visibility is not None:
            chosen = list(visibility)
            if not chosen or any(v not in _VISIBILITY for v in chosen):
                raise ValueError(f"visibility lists 'model' and/or 'app', not {chosen!r}")
            ui["visibility"] = chosen
        full_meta = {**dict(meta or {}), "ui": ui, LEGACY_RESOURCE_URI_KEY: resource_uri}

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._register(lambda server: server.tool(meta=full_meta, **options)(fn))
            return fn

        return decorator

    def add_html_resource(self, uri: str, html: str | Callable[[], str], *, name: str | None = None,
                          title: str | None = None, description: str | None = None,
                          csp: Mapping[str, Sequence[str]] | None = None,
                          permissions: Mapping[str, Any] | None = None, domain: str | None = None,
                          prefers_border: bool | None = None) -> None:
        """Serve ``html`` (a string, or a function returning one) at ``uri`` as ``text/html;profile=mcp-app``.

        ``csp`` (``connectDomains``, ``resourceDomains``, ``frameDomains``,
        ``baseUriDomains``: lists of origins), ``permissions`` (``camera``,
        ``microphone``, ``geolocation``, ``clipboardWrite``: each ``{}``),
        ``domain`` and ``prefers_border`` go in the resource's ``_meta.ui``.
        """
        _require_ui(uri)
        if not (isinstance(html, str) or callable(html)):
            raise TypeError(f"html must be a str or a function returning one, not {type(html).__name__}")
        ui: dict[str, Any] = {}
        if csp is not None:
            allowed = {"connectDomains", "resourceDomains", "frameDomains", "baseUriDomains"}
            unknown = sorted(set(csp) - allowed)
            if unknown:
                raise ValueError(f"unknown csp keys {unknown}; use {sorted(allowed)}")
            ui["csp"] = {key: list(value) for key, value in csp.items()}
        if permissions is not None:
            ui["permissions"] = {key: dict(value or {}) for key, value in permissions.items()}
        if domain is not None:
            ui["domain"] = domain
        if prefers_border is not None:
            ui["prefersBorder"] = bool(prefers_border)
        resource_meta = {"ui": ui} if ui else None

        def read() -> dict[str, Any]:
            text = html() if callable(html) else html
            content: dict[str, Any] = {"uri": uri, "mimeType": APP_MIME_TYPE, "text": text}
            if resource_meta:
                content["_meta"] = resource_meta
            return content

        read.__doc__ = description or f"The MCP App at {uri}"
        self._register(lambda server: server.add_resource(uri, read, name=name or uri, title=title,
                                                          description=description, mime_type=APP_MIME_TYPE,
                                                          meta=resource_meta))


def client_supports_apps(context_or_connection: Any) -> bool:
    """Whether the client declared Apps with the ``text/html;profile=mcp-app`` MIME type (or none listed).

    Takes a tool's :class:`~mcp_sync.Context` or a connection/request view.
    """
    settings = declared_extension(getattr(context_or_connection, "client_capabilities", None), EXTENSION_ID)
    if settings is None:
        return False
    mime_types = settings.get("mimeTypes")
    return mime_types is None or (isinstance(mime_types, list) and APP_MIME_TYPE in mime_types)


@dataclass(frozen=True)
class ToolUi:
    """A tool's UI metadata: the ``ui://`` resource and where the tool is visible."""

    resource_uri: str
    visibility: tuple[str, ...] = _VISIBILITY

    @property
    def model_visible(self) -> bool:
        return "model" in self.visibility

    @property
    def app_visible(self) -> bool:
        return "app" in self.visibility


def tool_ui(tool: Any) -> ToolUi | None:
    """The UI a listed tool links (``_meta.ui.resourceUri``, else the flat ``ui/resourceUri``), or None.

    ``tool`` is a :class:`~mcp_sync.types.Tool` or its wire dict. A link that is not a ``ui://`` URI is ignored.
    """
    meta = tool.get("_meta") if isinstance(tool, Mapping) else getattr(tool, "meta", None)
    if not isinstance(meta, Mapping):
        return None
    ui = meta.get("ui")
    uri = ui.get("resourceUri") if isinstance(ui, Mapping) else None
    if uri is None:
        uri = meta.get(LEGACY_RESOURCE_URI_KEY)
    if not isinstance(uri, str) or not uri.startswith("ui://"):
        return None
    visibility = ui.get("visibility") if isinstance(ui, Mapping) else None
    if isinstance(visibility, list) and visibility and all(v in _VISIBILITY for v in visibility):
        return ToolUi(uri, tuple(visibility))
    return ToolUi(uri)


@dataclass(frozen=True)
class AppResource:
    """The HTML of an app and its ``_meta.ui`` (csp, permissions, domain, prefersBorder)."""

    uri: str
    html: str
    ui: dict[str, Any]


def read_app(client: Any, tool_or_uri: Any) -> AppResource:
    """Read the UI of a tool (or a ``ui://`` URI) with ``resources/read``.

    ValueError when the tool links no UI, or the server's content is not
    ``text/html;profile=mcp-app`` text.
    """
    if isinstance(tool_or_uri, str):
        uri = _require_ui(tool_or_uri)
    else:
        ui = tool_ui(tool_or_uri)
        if ui is None:
            raise ValueError("this tool links no MCP App (no _meta.ui.resourceUri)")
        uri = ui.resource_uri
    raw = client.request("resources/read", {"uri": uri})
    contents = raw.get("contents") if isinstance(raw, Mapping) else None
    content = next((c for c in contents or () if isinstance(c, Mapping) and c.get("uri") == uri), None)
    if content is None or not isinstance(content.get("text"), str):
        raise ValueError(f"{uri}: the server returned no HTML text")
    if content.get("mimeType") != APP_MIME_TYPE:
        raise ValueError(f"{uri}: served as {content.get('mimeType')!r}, not {APP_MIME_TYPE!r}")
    meta = content.get("_meta")
    ui_meta = meta.get("ui") if isinstance(meta, Mapping) else None
    return AppResource(uri, content["text"], dict(ui_meta) if isinstance(ui_meta, Mapping) else {})
