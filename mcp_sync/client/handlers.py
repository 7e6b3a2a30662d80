"""What the client does for the server: sampling, elicitation, roots.

Pure helpers (no I/O, no threads): turning the user's roots into wire roots,
applying elicitation defaults (SEP-1034), reading handler results.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any, Callable, Iterable, Mapping, Union
from urllib.parse import urlsplit

from ..errors import INVALID_PARAMS, McpError
from ..types import (
    CreateMessageResult,
    ElicitResult,
    Root,
    WireFormatError,
    from_wire,
    to_wire,
)

#: A root as the user may give it: a :class:`~mcp_sync.types.Root`, a wire dict,
#: a ``file://`` URI, or a filesystem path (made absolute and turned into a URI).
RootLike = Union[Root, Mapping[str, Any], str, "os.PathLike[str]"]
RootsSource = Union[Iterable[RootLike], Callable[[], Iterable[RootLike]]]


def to_root(value: RootLike) -> Root:
    """One root in wire shape; raises ``ValueError``/``TypeError`` for anything else."""
    if isinstance(value, Root):
        root = value
    elif isinstance(value, Mapping):
        root = from_wire(Root, dict(value))
    elif isinstance(value, os.PathLike):
        root = Root(uri=pathlib.Path(value).resolve().as_uri())
    elif isinstance(value, str):
        parts = urlsplit(value)
        if len(parts.scheme) > 1:  # "C:\\..." has a one-letter "scheme": a Windows path
            root = Root(uri=value)
        else:
            root = Root(uri=pathlib.Path(value).resolve().as_uri())
    else:
        raise TypeError(f"a root must be a Root, a dict, a file:// URI or a path, not {type(value).__name__}")
    if not root.uri.startswith("file://"):
        raise ValueError(f"root URIs must start with file:// (got {root.uri!r})")
    return root


def to_roots(values: Iterable[RootLike]) -> list[Root]:
    if isinstance(values, (str, bytes, Mapping, Root)):
        raise TypeError("roots must be a list (or a callable returning one), not a single root")
    return [to_root(v) for v in values]


def apply_defaults(requested_schema: Mapping[str, Any], content: Mapping[str, Any] | None) -> dict[str, Any]:
    """SEP-1034: fill in the ``default`` of every requested field the user left out."""
    filled = dict(content or {})
    properties = requested_schema.get("properties")
    if isinstance(properties, Mapping):
        for name, schema in properties.items():
            if name not in filled and isinstance(schema, Mapping) and "default" in schema:
                filled[name] = schema["default"]
    return filled


def read_result(cls: type, value: Any, what: str) -> Any:
    """A handler's return value as ``cls`` (an instance of it, or its wire dict)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return from_wire(cls, dict(value))
    raise TypeError(f"the {what} handler must return a {cls.__name__} or a dict, not {type(value).__name__}")


def sampling_result(value: Any) -> dict[str, Any]:
    return to_wire(read_result(CreateMessageResult, value, "sampling"))


def elicitation_result(value: Any, mode: str, requested_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    result = read_result(ElicitResult, value, "elicitation")
    if result.action == "accept" and mode == "form":
        result.content = apply_defaults(requested_schema or {}, result.content)
    elif result.content is not None:
        result.content = None  # content belongs to an accepted form only
    return to_wire(result)


def parse_params(cls: Any, params: Mapping[str, Any], method: str) -> Any:
    """Request params as ``cls``; malformed params answer -32602."""
    try:
        return from_wire(cls, dict(params))
    except WireFormatError as exc:
        raise McpError(INVALID_PARAMS, f"Invalid params for {method}: {exc}") from None
