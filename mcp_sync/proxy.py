"""A proxy server: a remote or subprocess MCP server, of either era, served as a local :class:`~mcp_sync.Server`.

::

    from mcp_sync.proxy import ProxyServer

    with ProxyServer(["python", "upstream.py"], name="gateway") as proxy:
        proxy.run()                      # stdio; or proxy.start_http(...), gateway.mount(proxy, "up")

The upstream (a URL, a stdio command, an in-memory :class:`~mcp_sync.Server`
or a client factory) is listed when the proxy opens: its tools, resources,
resource templates and prompts are registered on the proxy with their wire
definitions (schemas, titles, annotations, icons, ``_meta``), and kept in step
when the upstream announces ``list_changed``. Because they are ordinary
registrations, the proxy serves them in both eras on every transport, and can
be mounted on another server.

Each downstream request is forwarded on an upstream :class:`~mcp_sync.Client`
that it has to itself for the duration (a small pool, ``max_clients``, grown
on demand; one client for a command, since each is a separate process), so
what the upstream asks back during that request (elicitation, sampling, roots)
is asked of the one downstream client that made it, through its ``Context``,
whichever era each side speaks. Progress and log messages of the forwarded
request are passed back the same way, and a downstream cancel cancels the
upstream call. An error answering an ask goes back to the upstream, which
may cope with it.

Across eras: when the downstream client speaks 2026-07-28 and the upstream asks
for input, the downstream request is answered ``input_required`` and the
upstream call is cancelled; the client's retry runs the forwarded call again,
and this time the answer is there. The upstream tool therefore runs once per
round: what it does before its input calls must be repeatable (as the
2026-07-28 handler rules already ask).

A downstream ``notifications/roots/list_changed`` is passed to every upstream
client. Not forwarded: resource subscriptions (``resources/updated`` from the
upstream is passed on to the proxy's own subscribers), tasks (a task-augmented
call runs as the proxy's task around a plain forwarded call), and resources
the upstream reads but does not list.
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
from concurrent.futures import Future
import itertools
from typing import Any, Callable, Mapping, Sequence

from .client import Client
from .errors import INTERNAL_ERROR, METHOD_NOT_FOUND, MISSING_CLIENT_CAPABILITY, CapabilityError, McpError
from .server import Context, Server
from .server.modern_inputs import InputAsk
from .types import to_wire

__all__ = ["ProxyServer", "UpstreamPool"]

log = logging.getLogger("mcp_sync.proxy")

_DONE = object()
_STOP = object()

ClientFactory = Callable[..., Client]


def client_factory(upstream: Any, *, headers: Mapping[str, str] | None = None, auth: Any = None,
                   env: Mapping[str, str] | None = None, cwd: Any = None, timeout: float | None = 60.0,
                   protocol: str | None = None) -> ClientFactory:
    """``factory(**handlers) -> Client`` (not opened) for ``upstream``.

    ``upstream``: an ``http(s)://`` URL (``headers``, ``auth``: an
    :mod:`mcp_sync.client.auth` provider or a ``requests`` auth), a command
    (a list of strings; ``env``, ``cwd``), a :class:`~mcp_sync.Server` (in
    memory), or a callable taking the client keyword arguments (handlers,
    hooks, ``name``) and returning a Client.
    """
    extra: dict[str, Any] = {"timeout": timeout}
    if protocol is not None:
        extra["protocol"] = protocol
    if isinstance(upstream, str):
        if not upstream.lower().startswith(("http://", "https://")):
            raise ValueError(f"a proxy upstream string must be an http(s):// URL, not {upstream!r} (give a "
                             f"command as a list: ['python', 'server.py'])")
        return lambda **kw: Client.http(upstream, headers=headers, auth=auth, **extra, **kw)
    if isinstance(upstream, Server):
        return lambda **kw: Client.connect(upstream, **extra, **kw)
    if isinstance(upstream, (list, tuple)):
        if not upstream or not all(isinstance(part, str) for part in upstream):
            raise ValueError("a proxy upstream command must be a non-empty list of strings")
        command = list(upstream)
        return lambda **kw: Client.stdio(command, env=dict(env) if env is not None else None, cwd=cwd,
                                         **extra, **kw)
    if callable(upstream):
        factory: Callable[..., Client] = upstream
        return factory
    raise TypeError(f"a proxy upstream is a URL, a command list, a Server or a client factory, "
                    f"not {type(upstream).__name__}")


class _Ask:
    __slots__ = ("method", "params", "future")

    def __init__(self, method: str, params: dict[str, Any]) -> None:
        self.method = method
        self.params = params
        self.future: Future[Any] = Future()


class _Lease:
    """One upstream client and the downstream request it serves now (if any)."""

    def __init__(self, pool: "UpstreamPool", index: int) -> None:
        self.pool = pool
        self.index = index
        self._lock = threading.Lock()
        self.ctx: Context | None = None
        self.owner: threading.Thread | None = None
        self.mailbox: queue.SimpleQueue[Any] | None = None
        self.client = pool.factory(name=f"{pool.name}-{index}", **self._handlers())

    def _handlers(self) -> dict[str, Any]:
        forward = self.pool.forward
        handlers: dict[str, Any] = {"on_log": self._on_log}
        if "sampling" in forward:
            handlers["sampling"] = lambda params: self.ask("sampling/createMessage", to_wire(params))
            handlers["sampling_tools"] = True
        if "elicitation" in forward:
            handlers["elicitation"] = lambda params: self.ask("elicitation/create", to_wire(params))
            handlers["elicitation_url"] = lambda params: self.ask("elicitation/create", to_wire(params))
        if "roots" in forward:
            handlers["roots"] = self._roots
        handlers.update(self.pool.hooks)
        return handlers

    # -- the downstream side ---------------------------------------------------------

    def begin(self, ctx: Context | None) -> queue.SimpleQueue[Any]:
        mailbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        with self._lock:
            self.ctx, self.owner, self.mailbox = ctx, threading.current_thread(), mailbox
        return mailbox

    def end(self) -> None:
        with self._lock:
            mailbox, self.ctx, self.owner, self.mailbox = self.mailbox, None, None, None
        while mailbox is not None:
            try:
                item = mailbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Ask) and not item.future.done():
                item.future.set_exception(McpError(INTERNAL_ERROR, "the proxied request ended before "
                                                                   "this could be asked downstream"))

    def ask(self, method: str, params: dict[str, Any]) -> Any:
        """Called by the upstream client's handlers: ask the downstream client, return its raw answer."""
        with self._lock:
            ctx, owner, mailbox = self.ctx, self.owner, self.mailbox
            if ctx is None or mailbox is None:
                raise McpError(METHOD_NOT_FOUND, f"{method} reached the proxy outside a forwarded request: "
                                                 f"there is no downstream client to ask")
            if owner is threading.current_thread():
                item = None
            else:
                item = _Ask(method, params)
                mailbox.put(item)
        if item is None:
            return _ask_downstream(ctx, method, params)
        return item.future.result()

    def _roots(self) -> list[dict[str, Any]]:
        roots: list[dict[str, Any]] = self.ask("roots/list", {}).get("roots", [])
        return roots

    def _on_log(self, params: Any) -> None:
        with self._lock:
            ctx = self.ctx
        if ctx is not None:
            ctx.log(params.level, params.data, params.logger)


def _ask_downstream(ctx: Context, method: str, params: dict[str, Any]) -> Any:
    """``ctx.gather`` of one raw request; errors become the McpError the upstream is answered with."""
    try:
        return ctx.gather(InputAsk(method, params, _raw, None, method))[0]
    except CapabilityError as exc:  # -32021 in both eras, as a server of our own answers it
        raise McpError(MISSING_CLIENT_CAPABILITY, f"Missing required client capability: the client behind "
                                                  f"this proxy cannot answer {method} ({exc})") from None
    except McpError:
        raise
    except Exception as exc:
        raise McpError(INTERNAL_ERROR, f"the proxy could not ask its client ({method}): {exc}") from None


#: Members of a 2026-07-28 result that belong to the hop, not to the result: the proxy sets its own.
_HOP_MEMBERS = ("resultType", "ttlMs", "cacheScope")
_PROTOCOL_META = "io.modelcontextprotocol/"


def upstream_result(raw: Any) -> Any:
    """An upstream result without what belongs to that hop (``resultType``, cache hints, protocol ``_meta``)."""
    if not isinstance(raw, dict):
        return raw
    out = {k: v for k, v in raw.items() if k not in _HOP_MEMBERS}
    meta = out.get("_meta")
    if isinstance(meta, dict):
        kept = {k: v for k, v in meta.items() if not k.startswith(_PROTOCOL_META)}
        if kept:
            out["_meta"] = kept
        else:
            del out["_meta"]
    return out


def _raw(answer: Any) -> Any:
    return answer


class UpstreamPool:
    """Upstream clients, each leased to one forwarded request at a time (at most ``max_clients``)."""

    def __init__(self, factory: ClientFactory, *, name: str, max_clients: int, forward: Sequence[str],
                 hooks: Mapping[str, Any]) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self.factory = factory
        self.name = name
        self.max_clients = max_clients
        self.forward = frozenset(forward)
        unknown = self.forward - {"sampling", "elicitation", "roots"}
        if unknown:
            raise ValueError(f"forward takes 'sampling', 'elicitation' and 'roots', not {sorted(unknown)}")
        self.hooks = dict(hooks)
        self._cond = threading.Condition()
        self._idle: list[_Lease] = []
        self._all: list[_Lease] = []
        self._opening = 0
        self._numbers = itertools.count(1)
        self._closed = False

    def _take(self) -> _Lease:
        with self._cond:
            while True:
                if self._closed:
                    raise McpError(INTERNAL_ERROR, "the proxy is closed")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._opening < self.max_clients:
                    self._opening += 1
                    break
                self._cond.wait()
        lease = None
        try:
            lease = _Lease(self, next(self._numbers))
            lease.client.open()
        except BaseException:
            if lease is not None:
                lease.client.close()
            with self._cond:
                self._opening -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._opening -= 1
            closed = self._closed
            if not closed:
                self._all.append(lease)
        if closed:
            lease.client.close()
            raise McpError(INTERNAL_ERROR, "the proxy is closed")
        return lease

    def _give_back(self, lease: _Lease) -> None:
        lease.end()
        with self._cond:
            if lease.client.closed:  # the upstream went away: a new client next time
                if lease in self._all:
                    self._all.remove(lease)
                drop = True
            else:
                self._idle.append(lease)
                drop = False
            self._cond.notify()
        if drop:
            lease.client.close()

    def lease(self, ctx: Context | None) -> "_Leased":
        return _Leased(self, ctx)

    def call(self, ctx: Context | None, start: Callable[[Client, Any], Future[Any]]) -> Any:
        """Run ``start(client, progress)`` on a leased client and wait, serving its asks from ``ctx``."""
        with self.lease(ctx) as (lease, mailbox):
            progress = (lambda p, total, message: ctx.report_progress(p, total, message)) if ctx is not None else None
            future = start(lease.client, progress)
            future.add_done_callback(lambda _f: mailbox.put(_DONE))
            cancelled = getattr(ctx.cancelled, "add_callback", None) if ctx is not None else None
            on_cancel = (lambda: mailbox.put(_STOP))
            if cancelled is not None:
                cancelled(on_cancel)
            try:
                while True:
                    item = mailbox.get()
                    if item is _DONE:
                        return future.result()
                    if item is _STOP:
                        future.cancel("the downstream client cancelled the request")  # type: ignore[call-arg]
                        ctx.check_cancelled()  # type: ignore[union-attr]
                        continue
                    try:
                        answer = _ask_downstream(ctx, item.method, item.params)  # type: ignore[arg-type]
                    except McpError as exc:  # the upstream gets the error and carries on (it may cope)
                        item.future.set_exception(exc)
                        continue
                    except BaseException:  # InputRequired (a 2026-07-28 round): this call ends here
                        item.future.set_exception(
                            McpError(INTERNAL_ERROR, "the request is being retried by the client behind the proxy"))
                        raise
                    item.future.set_result(answer)
            finally:
                if cancelled is not None:
                    ctx.cancelled.remove_callback(on_cancel)  # type: ignore[union-attr]
                if not future.done():
                    future.cancel("the proxied request ended")  # type: ignore[call-arg]

    def notify_roots_changed(self) -> None:
        """Tell every upstream server its roots changed (the downstream client said so)."""
        if "roots" not in self.forward:
            return
        for client in self.clients():
            try:
                client.notify_roots_changed()
            except Exception as exc:  # a closed client: it gets the new roots when it asks anyway
                log.debug("roots/list_changed not passed upstream: %s", exc)

    def clients(self) -> list[Client]:
        with self._cond:
            return [lease.client for lease in self._all]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            leases, self._all, self._idle = self._all, [], []
            self._cond.notify_all()
        for lease in leases:
            lease.client.close()


class _Leased:
    def __init__(self, pool: UpstreamPool, ctx: Context | None) -> None:
        self.pool = pool
        self.ctx = ctx

    def __enter__(self) -> tuple[_Lease, queue.SimpleQueue[Any]]:
        self.lease = self.pool._take()
        return self.lease, self.lease.begin(self.ctx)

    def __exit__(self, *exc: Any) -> None:
        self.pool._give_back(self.lease)


class ProxyServer(Server):
    """A :class:`~mcp_sync.Server` serving what an upstream MCP server offers, forwarding every request.

    ``upstream``: an ``http(s)://`` URL (with ``headers=``, ``auth=``), a stdio
    command list (``env=``, ``cwd=``), a :class:`~mcp_sync.Server`, or a
    factory ``fn(**client_kwargs) -> Client``. ``name`` defaults to the
    upstream's; ``instructions`` too. ``max_clients``: upstream clients used
    at most at once, so concurrent requests in flight upstream (default 4 for a
    URL or a Server; 1 for a command: each client is a process of its own, and
    processes do not share state, so requests to a command are forwarded one
    at a time unless you raise it for a stateless server).
    ``forward``: what the upstream may ask back (``"sampling"``,
    ``"elicitation"``, ``"roots"``); the upstream clients declare exactly these.
    ``protocol``: the upstream clients' ``protocol=`` (default: detected).
    ``timeout``: seconds per forwarded request. Other keywords go to
    :class:`~mcp_sync.Server` (``eras``, ``page_size``, ``cache_ttl_ms``...).

    The upstream is connected and listed in the constructor (a failure
    raises there); :meth:`refresh` lists it again (also run on its
    ``list_changed``); :meth:`close` closes every upstream client.
    """

    def __init__(self, upstream: Any, *, name: str | None = None, version: str | None = None,
                 instructions: str | None = None, headers: Mapping[str, str] | None = None, auth: Any = None,
                 env: Mapping[str, str] | None = None, cwd: Any = None, max_clients: int | None = None,
                 forward: Sequence[str] = ("sampling", "elicitation", "roots"), protocol: str | None = None,
                 timeout: float | None = 60.0, **server_options: Any) -> None:
        if max_clients is None:  # each client of a command is a process of its own, with its own state
            max_clients = 1 if isinstance(upstream, (list, tuple)) else 4
        factory = client_factory(upstream, headers=headers, auth=auth, env=env, cwd=cwd, timeout=timeout,
                                 protocol=protocol)
        #: (kind, key) -> the upstream's wire definition registered for it.
        self._registered_wire: dict[tuple[str, str], dict[str, Any]] = {}
        self._refresh_cond = threading.Condition()
        self._refresh_wanted: set[str] = set()
        self._refresher: threading.Thread | None = None
        self._stopping = False
        hooks = {"on_tools_changed": lambda: self._want_refresh("tools"),
                 "on_prompts_changed": lambda: self._want_refresh("prompts"),
                 "on_resources_changed": lambda: self._want_refresh("resources"),
                 "on_resource_updated": self._upstream_updated}
        self.upstream = UpstreamPool(factory, name=f"mcp-proxy-{name or 'upstream'}", max_clients=max_clients,
                                     forward=forward, hooks=hooks)
        try:
            with self.upstream.lease(None) as (lease, _):
                client = lease.client
                info = client.server_info
                upstream_instructions = client.instructions
                capabilities = to_wire(client.server_capabilities)
                if "logging" in capabilities:
                    client.set_log_level("debug")  # the proxy's clients filter with their own level
            super().__init__(name or (info.name if info is not None else "proxy"),
                             version or (info.version if info is not None else "0.1.0"),
                             instructions=instructions if instructions is not None else upstream_instructions,
                             **server_options)
            #: What the upstream declared (its ``capabilities``, as a wire dict).
            self.upstream_capabilities: dict[str, Any] = capabilities
            self.refresh()
            self.on_notification("notifications/roots/list_changed")(
                lambda connection, params: self.upstream.notify_roots_changed())
            self._refresher = threading.Thread(target=self._refresh_loop, name=f"mcp-proxy-{self.name}-refresh",
                                               daemon=True)
            self._refresher.start()
        except BaseException:
            self.upstream.close()
            raise

    # -- forwarding ---------------------------------------------------------------------

    def forward(self, ctx: Context | None, method: str, params: dict[str, Any]) -> Any:
        """Send ``method`` upstream on behalf of ``ctx``'s request; the raw result."""
        return upstream_result(self.upstream.call(ctx, lambda client, progress: client.nowait.request(
            method, params, progress=progress)))

    # -- the upstream's definitions -------------------------------------------------------

    def refresh(self, kinds: Sequence[str] = ("tools", "resources", "prompts")) -> None:
        """List the upstream again and bring the proxy's registrations in step."""
        caps = self.upstream_capabilities
        for kind in kinds:
            if kind not in caps:
                continue
            if kind == "tools":
                self._sync_tools(self._list("tools/list", "tools"))
            elif kind == "prompts":
                self._sync_prompts(self._list("prompts/list", "prompts"))
            else:
                self._sync_resources(self._list("resources/list", "resources"),
                                     self._list("resources/templates/list", "resourceTemplates"))

    def _list(self, method: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        seen: set[Any] = set()
        while True:
            raw = self.forward(None, method, {} if cursor is None else {"cursor": cursor})
            items.extend(i for i in raw.get(key) or [] if isinstance(i, dict))
            cursor = raw.get("nextCursor")
            if cursor is None or cursor in seen:
                return items
            seen.add(cursor)

    def _replace(self, kind: str, current: set[str], wanted: dict[str, dict[str, Any]], register: Callable[..., Any]) -> None:
        for key in current - set(wanted):
            try:
                (self.remove_tool if kind == "tools" else self.remove_prompt if kind == "prompts"
                 else self.remove_resource)(key)
            except KeyError:
                pass
        for key, wire in wanted.items():
            if self._registered_wire.get((kind, key)) == wire:
                continue
            try:
                register(wire)
            except Exception as exc:
                log.warning("proxy %r: the upstream's %s %r cannot be served: %s", self.name, kind, key, exc)
                continue
            self._registered_wire[(kind, key)] = wire
        for key in current - set(wanted):
            self._registered_wire.pop((kind, key), None)

    def _current(self, kind: str) -> set[str]:
        return {key for (k, key) in self._registered_wire if k == kind}

    def _sync_tools(self, tools: list[dict[str, Any]]) -> None:
        self._replace("tools", self._current("tools"), {t["name"]: t for t in tools if "name" in t},
                      self._register_tool)

    def _register_tool(self, wire: dict[str, Any]) -> None:
        name = wire["name"]

        def forward_tool(ctx: Context, **arguments: Any) -> Any:
            return self.forward(ctx, "tools/call", {"name": name, "arguments": arguments})

        forward_tool.__doc__ = None
        output_schema = wire.get("outputSchema")
        self.add_tool(forward_tool, name=name, title=wire.get("title"), description=wire.get("description"),
                      annotations=wire.get("annotations"), icons=wire.get("icons"), meta=wire.get("_meta"),
                      input_schema=wire.get("inputSchema") or {"type": "object"}, output_schema=output_schema,
                      structured_output=None if output_schema is not None else False, replace=True)

    def _sync_prompts(self, prompts: list[dict[str, Any]]) -> None:
        self._replace("prompts", self._current("prompts"), {p["name"]: p for p in prompts if "name" in p},
                      self._register_prompt)

    def _register_prompt(self, wire: dict[str, Any]) -> None:
        name = wire["name"]
        arguments = [a for a in wire.get("arguments") or [] if isinstance(a, dict) and "name" in a]

        def forward_prompt(ctx: Context, **values: Any) -> Any:
            given = {k: v for k, v in values.items() if v is not None}
            return self.forward(ctx, "prompts/get", {"name": name, "arguments": given})

        parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
        annotations: dict[str, Any] = {"ctx": Context}
        docs = []
        for argument in arguments:
            parameters.append(inspect.Parameter(
                argument["name"], inspect.Parameter.KEYWORD_ONLY, annotation=str,
                default=inspect.Parameter.empty if argument.get("required") else None))
            annotations[argument["name"]] = str if argument.get("required") else (str | None)
            if argument.get("description"):
                docs.append(f":param {argument['name']}: {argument['description']}")
        forward_prompt.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        forward_prompt.__annotations__ = annotations
        forward_prompt.__doc__ = "\n".join(docs) or None
        self.add_prompt(forward_prompt, name=name, title=wire.get("title"),
                        description=wire.get("description") or "", icons=wire.get("icons"),
                        meta=wire.get("_meta"), replace=True)
        if "completions" in self.upstream_capabilities:
            for argument in arguments:
                self._register_completion({"type": "ref/prompt", "name": name}, argument["name"],
                                          {"prompt": name, "argument": argument["name"]})

    def _register_completion(self, ref: dict[str, Any], argument: str, key: dict[str, str]) -> None:
        def complete(value: str, context: dict[str, Any], ctx: Context) -> Any:
            params: dict[str, Any] = {"ref": ref, "argument": {"name": argument, "value": value}}
            if context:
                params["context"] = {"arguments": context}
            return self.forward(ctx, "completion/complete", params).get("completion") or {"values": []}

        self.completion(replace=True, **key)(complete)

    def _sync_resources(self, resources: list[dict[str, Any]], templates: list[dict[str, Any]]) -> None:
        self._replace("resources", self._current("resources"),
                      {r["uri"]: r for r in resources if "uri" in r}, self._register_resource)
        self._replace("templates", self._current("templates"),
                      {t["uriTemplate"]: t for t in templates if "uriTemplate" in t}, self._register_template)

    def _metadata(self, wire: dict[str, Any]) -> dict[str, Any]:
        return dict(name=wire.get("name"), title=wire.get("title"), description=wire.get("description"),
                    mime_type=wire.get("mimeType"), annotations=wire.get("annotations"), icons=wire.get("icons"),
                    meta=wire.get("_meta"))

    def _register_resource(self, wire: dict[str, Any]) -> None:
        uri = wire["uri"]

        def read_resource(ctx: Context) -> Any:
            return self.forward(ctx, "resources/read", {"uri": uri})

        read_resource.__doc__ = None
        self.add_resource(uri, read_resource, size=wire.get("size"), replace=True, **self._metadata(wire))

    def _register_template(self, wire: dict[str, Any]) -> None:
        from .server.uri_template import UriTemplate

        template = wire["uriTemplate"]
        upstream_template = UriTemplate(template)
        variables = upstream_template.variables

        def read_template(ctx: Context, **values: Any) -> Any:
            uri = ctx.request.params.get("uri")
            if not isinstance(uri, str) or upstream_template.match(uri) is None:  # served renamed (a mount)
                uri = upstream_template.expand(values)
            return self.forward(ctx, "resources/read", {"uri": uri})

        parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
        parameters += [inspect.Parameter(v, inspect.Parameter.KEYWORD_ONLY, annotation=str) for v in variables]
        read_template.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        read_template.__annotations__ = {"ctx": Context, **{v: str for v in variables}}
        read_template.__doc__ = None
        self.add_resource(template, read_template, replace=True, **self._metadata(wire))
        if "completions" in self.upstream_capabilities:
            for variable in variables:
                self._register_completion({"type": "ref/resource", "uri": template}, variable,
                                          {"template": template, "variable": variable})

    # -- upstream notifications --------------------------------------------------------------

    def _want_refresh(self, kind: str) -> None:
        with self._refresh_cond:
            self._refresh_wanted.add(kind)
            self._refresh_cond.notify()

    def _upstream_updated(self, uri: str) -> None:
        self.notify_resource_updated(uri)

    def _refresh_loop(self) -> None:
        while True:
            with self._refresh_cond:
                while not self._refresh_wanted and not self._stopping:
                    self._refresh_cond.wait()
                if self._stopping:
                    return
                kinds, self._refresh_wanted = sorted(self._refresh_wanted), set()
            try:
                self.refresh(kinds)
            except Exception as exc:
                with self._refresh_cond:
                    if self._stopping:  # closed meanwhile: not a failure
                        return
                log.warning("proxy %r: listing the upstream again failed: %s", self.name, exc)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every upstream client and stop the refresh thread (joined); then :meth:`Server.close <mcp_sync.Server.close>`."""
        with self._refresh_cond:
            self._stopping = True
            self._refresh_cond.notify_all()
        self.upstream.close()  # first: a refresh waiting for an upstream client gives up at once
        refresher = self._refresher
        if refresher is not None and refresher is not threading.current_thread():
            refresher.join()
        super().close()
