"""Roots (``roots/list``)."""

from typing import Any

from .base import WireType, wire


@wire
class Root(WireType):
    uri: str
    name: str | None = None
    meta: dict[str, Any] | None = None


@wire
class ListRootsResult(WireType):
    roots: list[Root]
    meta: dict[str, Any] | None = None
