"""String arguments (prompt arguments, URI template variables) to the declared Python types.

Prompt arguments and template variables are strings on the wire. A function
may still declare ``n: int`` or ``mode: Literal["a", "b"]``; the converter is
chosen once, at registration, from the annotation.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from typing import Any, Callable, Optional, Union, get_args, get_origin

Converter = Callable[[Any], Any]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _to_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


def _strip(annotation: Any) -> Any:
    """Drop Annotated and Optional wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def choices(annotation: Any) -> list[str] | None:
    """The allowed string values of a Literal or Enum annotation (None for others)."""
    annotation = _strip(annotation)
    if get_origin(annotation) is typing.Literal:
        values = list(get_args(annotation))
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [m.value for m in annotation]
    else:
        return None
    return [str(v) for v in values]


def string_converter(annotation: Any) -> Optional[Converter]:
    """A function turning a wire string into ``annotation``'s type, or None to pass it as is."""
    annotation = _strip(annotation)
    if annotation in (inspect.Parameter.empty, Any, str, object):
        return None
    if annotation is int:
        return int
    if annotation is float:
        return float
    if annotation is bool:
        return _to_bool
    if get_origin(annotation) is typing.Literal:
        allowed = {str(v): v for v in get_args(annotation)}

        def literal(value: str) -> Any:
            if value not in allowed:
                raise ValueError(f"expected one of {sorted(allowed)}, got {value!r}")
            return allowed[value]

        return literal
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        members = {str(m.value): m for m in annotation}

        def member(value: str) -> Any:
            if value not in members:
                raise ValueError(f"expected one of {sorted(members)}, got {value!r}")
            return members[value]

        return member
    if get_origin(annotation) in (list, tuple) or annotation in (list, tuple):
        return None  # exploded URI template variables already arrive as lists
    from .schema import coerce_value

    return lambda value: coerce_value(annotation, value)
