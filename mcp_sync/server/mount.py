"""``server.mount(other, prefix=...)``: serve another Server's tools, resources and prompts.

A mount is live: the mounted server's definitions are mirrored into the
parent's tables, and every later registration or removal on the mounted server
is mirrored too (the parent's clients hear ``list_changed``). The parent then
serves them like its own, in both eras and on every transport: argument
validation, ``Context`` (progress, logging, elicitation, sampling, roots go to
the parent's client), tasks, pagination, cache hints.

Namespacing, with ``prefix="weather"`` (and the default ``separator="_"``):

* tools and prompts: ``forecast`` -> ``weather_forecast``;
* resources and templates: the prefix becomes the first path segment after
  the scheme, ``data://cities`` -> ``data://weather/cities``,
  ``data://city/{name}`` -> ``data://weather/city/{name}`` (a URI without
  ``://`` becomes ``weather/<uri>``);
* completions follow their prompt or template.

``prefix=None`` mounts the names unchanged. A name that is already taken in
the parent is a :class:`ValueError` at mount time (nothing is mounted); one
that the mounted server registers later while the parent has it is skipped
with a warning (the parent's own definition wins). The parent cannot register
a name a mount holds ("already registered"). :meth:`Mount.close` (or
``server.unmount(mount)``) removes everything the mount added.

What is not mirrored: the mounted server's low-level ``server.method()`` and
notification handlers, its ``capabilities=`` extras, and its
``notify_resource_updated`` (call the parent's with :meth:`Mount.resource_uri`).
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any, Callable, Mapping

from .registry import Registry
from .uri_template import UriTemplate
from .wire_view import views as make_views

__all__ = ["Mount", "prefixed_name", "prefixed_uri"]

log = logging.getLogger("mcp_sync.server")

#: The kinds of definitions a mount mirrors, in the order they are applied.
KINDS = ("tools", "prompts", "resources", "templates", "completions")


def prefixed_name(prefix: str | None, name: str, separator: str = "_") -> str:
    """``prefix + separator + name`` (``name`` itself without a prefix)."""
    return name if not prefix else f"{prefix}{separator}{name}"


def prefixed_uri(prefix: str | None, uri: str) -> str:
    """``scheme://rest`` -> ``scheme://prefix/rest`` (``prefix/uri`` without a scheme)."""
    if not prefix:
        return uri
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return f"{prefix}/{uri}"
    return f"{scheme}://{prefix}/{rest}"


class Mount:
    """One mounted server: what it mirrored into the parent, kept in step with it.

    Made by :meth:`mcp_sync.Server.mount`; ``close()`` unmounts.
    """

    def __init__(self, parent: Any, child: Any, prefix: str | None, separator: str,
                 parent_tables: Mapping[str, Registry[Any]], child_tables: Mapping[str, Registry[Any]],
                 unwatch: Callable[[], None] | None = None) -> None:
        if prefix is not None and (not isinstance(prefix, str) or not prefix):
            raise ValueError("prefix must be a non-empty string or None")
        if child is parent:
            raise ValueError("a server cannot be mounted on itself")
        self.parent = parent
        self.server = child
        self.prefix = prefix
        self.separator = separator
        self._parent_tables = parent_tables
        self._child_tables = child_tables
        self._unwatch = unwatch
        self._lock = threading.Lock()  # guards the fields below, never held while applying
        self._mirrored: dict[str, dict[str, tuple[Any, Any]]] = {kind: {} for kind in KINDS}  # key -> (orig, copy)
        self._dirty = False
        self._applying = False
        self._closed = False

    # -- naming ------------------------------------------------------------------

    def name(self, name: str) -> str:
        """The parent's name of the mounted tool or prompt ``name``."""
        return prefixed_name(self.prefix, name, self.separator)

    def resource_uri(self, uri: str) -> str:
        """The parent's URI (or URI template) of the mounted resource ``uri``."""
        return prefixed_uri(self.prefix, uri)

    def _key(self, kind: str, key: str) -> str:
        if kind in ("tools", "prompts"):
            return self.name(key)
        if kind in ("resources", "templates"):
            return self.resource_uri(key)
        ref, target, argument = key.split("\n", 2)  # completions: "ref/prompt\n<name>\n<arg>"
        target = self.name(target) if ref == "ref/prompt" else self.resource_uri(target)
        return f"{ref}\n{target}\n{argument}"

    def _copy(self, kind: str, key: str, item: Any) -> Any:
        """``item`` renamed to ``key`` (the parent's name), sharing the function and its analysis."""
        if kind == "completions":
            return item
        renamed = copy.copy(item)
        if kind == "tools":
            renamed.name = key
            renamed.wire = {**item.wire, "name": key}
            renamed.views = make_views("tool", renamed.wire)
        elif kind == "prompts":
            renamed.name = key
            renamed.wire = {**item.wire, "name": key}
            renamed.views = make_views("prompt", renamed.wire)
        elif kind == "resources":
            renamed.uri = key
            renamed.wire = {**item.wire, "uri": key}
            renamed.views = make_views("resource", renamed.wire)
        else:
            renamed.template = UriTemplate(key)
            renamed.wire = {**item.wire, "uriTemplate": key}
            renamed.views = make_views("template", renamed.wire)
        return renamed

    # -- mirroring ------------------------------------------------------------------

    def check_free(self) -> None:
        """ValueError naming every mounted name the parent already has (before mounting)."""
        taken = []
        for kind in KINDS:
            parent = self._parent_tables[kind]
            for key in self._child_tables[kind].keys():
                if self._key(kind, key) in parent:
                    taken.append(self._key(kind, key).replace("\n", " "))
        if taken:
            raise ValueError(f"cannot mount server {self.server.name!r}"
                             + (f" under prefix {self.prefix!r}" if self.prefix else " without a prefix")
                             + f": the parent already has {', '.join(taken)}; mount it with another prefix")

    def sync(self, kind: str | None = None) -> None:
        """Bring the parent in step with the mounted server (called on each change of it).

        One thread applies at a time; a change arriving meanwhile makes it go
        round again, so the last state of the mounted server always wins.
        """
        with self._lock:
            if self._closed:
                return
            self._dirty = True
            if self._applying:
                return
            self._applying = True
        try:
            while True:
                with self._lock:
                    if not self._dirty or self._closed:
                        self._applying = False
                        return
                    self._dirty = False
                self._apply()
        except BaseException:
            with self._lock:
                self._applying = False
            raise

    def _apply(self) -> None:
        for kind in KINDS:
            parent = self._parent_tables[kind]
            child = self._child_tables[kind]
            wanted = {self._key(kind, key): item for key, item in
                      ((key, child.get(key)) for key in child.keys()) if item is not None}
            with self._lock:
                mirrored = dict(self._mirrored[kind])
            for key, (orig, mine) in mirrored.items():
                if wanted.get(key) is not orig:
                    if parent.get(key) is mine:
                        try:
                            parent.remove(key)
                        except KeyError:
                            pass
                    with self._lock:
                        self._mirrored[kind].pop(key, None)
            for key, item in wanted.items():
                if key in mirrored and mirrored[key][0] is item:
                    continue
                if key in parent:
                    log.warning("server %r: %s %r of mounted server %r is not mounted: the parent has its own",
                                self.parent.name, kind, key.replace("\n", " "), self.server.name)
                    continue
                mine = self._copy(kind, key, item)
                with self._lock:
                    if self._closed:
                        return
                try:
                    parent.add(key, mine)
                except ValueError:  # registered by the parent meanwhile: its own wins
                    continue
                with self._lock:
                    closed = self._closed
                    if not closed:
                        self._mirrored[kind][key] = (item, mine)
                if closed:  # unmounted while adding: take it back
                    if parent.get(key) is mine:
                        try:
                            parent.remove(key)
                        except KeyError:
                            pass
                    return

    def close(self) -> None:
        """Unmount: remove from the parent everything this mount added (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            mirrored = {kind: dict(items) for kind, items in self._mirrored.items()}
            for items in self._mirrored.values():
                items.clear()
        if self._unwatch is not None:
            self._unwatch()
        for kind in KINDS:
            parent = self._parent_tables[kind]
            for key, (_orig, mine) in mirrored[kind].items():
                if parent.get(key) is mine:
                    try:
                        parent.remove(key)
                    except KeyError:
                        pass

    def __repr__(self) -> str:
        return f"<Mount {self.server.name!r} prefix={self.prefix!r}>"
