"""An ordered, copy-on-write table of named definitions (tools, prompts, resources...).

Writers (registration, removal) take the table's lock, build a new mapping and
swap it in; readers (every request) read the current mapping and its ordered
snapshot without locking. The change callback runs after the lock is released,
so it may do I/O (``list_changed`` notifications).
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, Mapping, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Definitions by key, in registration order. ``on_change()`` runs after each change."""

    def __init__(self, kind: str, on_change: Callable[[], None]) -> None:
        self.kind = kind
        self._on_change = on_change
        self._lock = threading.Lock()
        self._items: Mapping[str, T] = {}
        self._snapshot: tuple[T, ...] = ()

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def snapshot(self) -> tuple[T, ...]:
        """Every definition, in registration order (an immutable tuple)."""
        return self._snapshot

    def keys(self) -> list[str]:
        return list(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._snapshot)

    def add(self, key: str, item: T, *, replace: bool = False) -> None:
        """Add ``item`` under ``key``; a duplicate key is an error unless ``replace``."""
        with self._lock:
            if key in self._items and not replace:
                raise ValueError(f"{self.kind} {key!r} is already registered (pass replace=True to replace it)")
            items = dict(self._items)
            items[key] = item
            self._items, self._snapshot = items, tuple(items.values())
        self._on_change()

    def remove(self, key: str) -> T:
        """Remove and return the definition under ``key``; KeyError if there is none."""
        with self._lock:
            if key not in self._items:
                raise KeyError(f"no {self.kind} {key!r} is registered")
            items = dict(self._items)
            item = items.pop(key)
            self._items, self._snapshot = items, tuple(items.values())
        self._on_change()
        return item
