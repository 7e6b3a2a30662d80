"""A client group: several MCP servers behind one object, their tools, resources and prompts together.

::

    from mcp_sync.client.group import ClientGroup

    with ClientGroup.from_config({"mcpServers": {
            "weather": {"url": "https://weather.example.com/mcp", "headers": {"Authorization": "Bearer ..."}},
            "files": {"command": "python", "args": ["files_server.py"]},
    }}) as group:
        for tool in group.list_tools():
            print(tool.name)                     # weather_forecast, files_read...
        group.call_tool("weather_forecast", {"city": "Oslo"})   # sent to "weather" as "forecast"

Collision policy (``collisions=``), for tool and prompt names:

* ``"prefix"`` (the default): every name is ``<server><separator><name>``
  (``weather_forecast``), so names never collide and show where they go;
* ``"first"``: names as the servers give them; when two servers have the same
  name, the server listed first wins and the others' are hidden (their
  qualified ``server<separator>name`` still reaches them, and
  :attr:`ClientGroup.collisions` lists what was hidden);
* ``"error"``: names as given; a name two servers share raises
  :class:`NameCollision` when listing.

Resource URIs are never renamed (a URI is global): a URI listed by several
servers goes to the first one (``"error"``: :class:`NameCollision`). Reading a
URI nobody listed (a template's) is tried on each server in order until one
has it.

Calls go to one server, as that server's own name. The routing table is
rebuilt by each listing; a call to a name it does not know lists again once.
Listings fan out to every server at once (``nowait``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs

from ..errors import INVALID_PARAMS, RESOURCE_NOT_FOUND, McpError
from .client import Client

__all__ = ["ClientGroup", "NameCollision", "UnknownName", "COLLISION_POLICIES"]

COLLISION_POLICIES = ("prefix", "first", "error")


class NameCollision(ValueError):
    """Two servers of a group offer the same tool or prompt name (or resource URI) under ``collisions="error"``."""


class UnknownName(LookupError):
    """No server of the group offers this tool, prompt or resource."""


class ClientGroup:
    """Clients of several servers, by name (a dict keeps their order: it decides who wins a collision).

    ``clients``: ``{name: Client}`` (opened by :meth:`open`, closed by
    :meth:`close`). ``collisions``: ``"prefix"``, ``"first"`` or ``"error"``
    (see the module doc); ``separator`` joins server and name.
    """

    def __init__(self, clients: Mapping[str, Client], *, collisions: str = "prefix", separator: str = "_") -> None:
        if collisions not in COLLISION_POLICIES:
            raise ValueError(f"collisions must be one of {COLLISION_POLICIES}, not {collisions!r}")
        if not clients:
            raise ValueError("a client group needs at least one client")
        for name, client in clients.items():
            if not isinstance(name, str) or not name:
                raise ValueError("server names in a group must be non-empty strings")
            if separator in name:
                raise ValueError(f"server name {name!r} contains the separator {separator!r}")
            if not isinstance(client, Client):
                raise TypeError(f"group member {name!r} must be a Client, not {type(client).__name__}")
        self.clients: dict[str, Client] = dict(clients)
        self.collisions_policy = collisions
        self.separator = separator
        self._lock = threading.Lock()  # guards the routing tables
        self._routes: dict[str, dict[str, tuple[str, str]]] = {"tools": {}, "prompts": {}, "resources": {}}
        #: What the last listings hid (``"first"``): ``{kind: {name: [servers whose one was hidden]}}``.
        self.collisions: dict[str, dict[str, list[str]]] = {"tools": {}, "prompts": {}, "resources": {}}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **options: Any) -> "ClientGroup":
        """A group from the usual ``{"mcpServers": {name: {...}}}`` configuration (or the inner mapping).

        Each entry is ``{"command": ..., "args": [...], "env": {...}, "cwd": ...}`` (stdio) or
        ``{"url": ..., "headers": {...}}`` (Streamable HTTP). ``options`` are :class:`ClientGroup`'s
        plus any :class:`~mcp_sync.Client` keyword (handlers, ``protocol``, ``cache``...), given to every client.
        """
        servers = config.get("mcpServers", config)
        if not isinstance(servers, Mapping) or not servers:
            raise ValueError("the configuration has no servers (expected {'mcpServers': {name: {...}}})")
        group_options = {k: options.pop(k) for k in ("collisions", "separator") if k in options}
        clients: dict[str, Client] = {}
        try:
            for name, entry in servers.items():
                clients[name] = _client_for(name, entry, options)
        except BaseException:
            for client in clients.values():
                client.close()
            raise
        return cls(clients, **group_options)

    # -- lifecycle ---------------------------------------------------------------------

    def open(self) -> "ClientGroup":
        """Open every client (in order; if one fails, those opened are closed and the error raised)."""
        opened = []
        try:
            for client in self.clients.values():
                client.open()
                opened.append(client)
        except BaseException:
            for client in self.clients.values():
                client.close()
            raise
        return self

    def close(self) -> None:
        """Close every client."""
        for client in self.clients.values():
            client.close()

    def __enter__(self) -> "ClientGroup":
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getitem__(self, server: str) -> Client:
        return self.clients[server]

    # -- names ---------------------------------------------------------------------------

    def qualified(self, server: str, name: str) -> str:
        """``server + separator + name``."""
        return f"{server}{self.separator}{name}"

    def _aggregate(self, kind: str, listings: dict[str, list[Any]], key: Callable[[Any], str],
                   rename: Callable[[Any, str], Any] | None) -> list[Any]:
        routes: dict[str, tuple[str, str]] = {}
        aliases: dict[str, tuple[str, str]] = {}  # server_name for every tool/prompt (a listed name wins)
        hidden: dict[str, list[str]] = {}
        out: list[Any] = []
        owners: dict[str, str] = {}
        for server, items in listings.items():
            for item in items:
                name = key(item)
                if rename is not None:  # tools and prompts: every qualified name routes
                    aliases[self.qualified(server, name)] = (server, name)
                shown = self.qualified(server, name) if (rename is not None and self.collisions_policy == "prefix") \
                    else name
                if shown in owners and owners[shown] != server:
                    if self.collisions_policy == "error":
                        raise NameCollision(f"servers {owners[shown]!r} and {server!r} both offer the {kind[:-1]} "
                                            f"{shown!r}; use collisions='prefix' or 'first'")
                    hidden.setdefault(shown, []).append(server)
                    continue
                owners[shown] = server
                routes[shown] = (server, name)
                out.append(rename(item, shown) if rename is not None and shown != name else item)
        with self._lock:
            self._routes[kind] = {**aliases, **routes}
            self.collisions[kind] = hidden
        return out

    def _list(self, method: str) -> dict[str, list[Any]]:
        futures = {server: getattr(client.nowait, method)() for server, client in self.clients.items()}
        listings: dict[str, list[Any]] = {}
        for server, future in futures.items():
            listings[server] = future.result()
        return listings

    def _route(self, kind: str, name: str, relist: Callable[[], Any]) -> tuple[Client, str]:
        with self._lock:
            route = self._routes[kind].get(name)
        if route is None:
            relist()
            with self._lock:
                route = self._routes[kind].get(name)
        if route is None:
            raise UnknownName(f"no server of the group offers the {kind[:-1]} {name!r}")
        server, original = route
        return self.clients[server], original

    # -- tools ---------------------------------------------------------------------------

    def list_tools(self) -> list[Any]:
        """Every server's tools, named by the collision policy (``Tool`` objects)."""
        return self._aggregate("tools", self._list("list_tools"), lambda t: t.name,
                               lambda t, name: attrs.evolve(t, name=name))

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Call the tool the group lists as ``name`` on its server (same options as ``Client.call_tool``)."""
        client, original = self._route("tools", name, self.list_tools)
        return client.call_tool(original, arguments, **options)

    def server_of(self, kind: str, name: str) -> str:
        """The server the tool, prompt or resource ``name`` goes to (``kind``: tools, prompts, resources)."""
        lister = {"tools": self.list_tools, "prompts": self.list_prompts, "resources": self.list_resources}[kind]
        client, _ = self._route(kind, name, lister)
        return next(server for server, c in self.clients.items() if c is client)

    # -- prompts -----------------------------------------------------------------------------

    def list_prompts(self) -> list[Any]:
        return self._aggregate("prompts", self._list("list_prompts"), lambda p: p.name,
                               lambda p, name: attrs.evolve(p, name=name))

    def get_prompt(self, name: str, arguments: Mapping[str, str] | None = None, **options: Any) -> Any:
        client, original = self._route("prompts", name, self.list_prompts)
        return client.get_prompt(original, arguments, **options)

    # -- resources -------------------------------------------------------------------------

    def list_resources(self) -> list[Any]:
        """Every server's resources (URIs unchanged; a shared URI goes to the first server)."""
        return self._aggregate("resources", self._list("list_resources"), lambda r: r.uri, None)

    def list_resource_templates(self) -> list[Any]:
        """Every server's resource templates, in server order."""
        return [t for templates in self._list("list_resource_templates").values() for t in templates]

    def read_resource(self, uri: str, *, server: str | None = None, **options: Any) -> Any:
        """Read ``uri`` from the server that listed it, else from each server in turn (or from ``server``)."""
        if server is not None:
            return self.clients[server].read_resource(uri, **options)
        with self._lock:
            route = self._routes["resources"].get(uri)
        if route is not None:
            return self.clients[route[0]].read_resource(uri, **options)
        last: McpError | None = None
        for client in self.clients.values():
            if "resources" not in _declared(client):
                continue
            try:
                return client.read_resource(uri, **options)
            except McpError as exc:
                if exc.code not in (RESOURCE_NOT_FOUND, INVALID_PARAMS):
                    raise
                last = exc
        raise UnknownName(f"no server of the group has the resource {uri!r}"
                          + (f" (last answer: {last.message})" if last is not None else ""))


def _declared(client: Client) -> dict[str, Any]:
    from ..types import to_wire

    return to_wire(client.server_capabilities) or {}


def _client_for(name: str, entry: Any, options: Mapping[str, Any]) -> Client:
    if not isinstance(entry, Mapping):
        raise ValueError(f"server {name!r}: expected an object with 'command' or 'url'")
    if "url" in entry:
        return Client.http(entry["url"], headers=entry.get("headers"), **options)
    command = entry.get("command")
    if not command:
        raise ValueError(f"server {name!r}: give 'command' (stdio) or 'url' (Streamable HTTP)")
    argv: Sequence[str] = [command] if isinstance(command, str) else list(command)
    args: Iterable[str] = entry.get("args") or ()
    env = entry.get("env")
    if env is not None:
        import os

        env = {**os.environ, **env}
    return Client.stdio([*argv, *args], env=env, cwd=entry.get("cwd"), **options)
