"""The wire-type mechanism shared by every module of this package.

* :class:`WireType` is the base of every wire class.  It carries ``extra``: the
  wire keys the class does not know, kept so that a newer peer's fields survive
  a round trip.
* :func:`wire` is the class decorator (attrs, keyword-only, slots).
* :data:`UNSET` marks an optional field that is absent from the wire, for the
  fields where ``None`` is a legitimate value (arbitrary JSON such as
  ``structuredContent`` or error ``data``).  Typed optional fields use ``None``
  for "absent"; a required field whose value may be ``null`` has no default.
* :func:`register_union` declares how a union alias (``ContentBlock``...) is
  told apart on the wire; the converter turns that into a structure hook.
* :class:`WireFormatError` is what bad input raises.
"""

from typing import TYPE_CHECKING, Any, Callable, TypeVar

import attrs

from ..errors import McpSyncError

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers need it (typing has it from Python 3.11 on)

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated


_C = TypeVar("_C", bound=type)

__all__ = [
    "UNSET",
    "WireFormatError",
    "WireType",
    "by_key",
    "json_type_name",
    "register_union",
    "union_choosers",
    "wire",
]


class _Unset:
    """Type of :data:`UNSET`; a falsy singleton."""

    __slots__ = ()
    _instance = None

    def __new__(cls) -> "_Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


#: "Not on the wire", for fields whose value may legitimately be ``null``.
UNSET: Any = _Unset()


class WireFormatError(McpSyncError, ValueError):
    """A wire value does not fit the type it was read as.

    ``type_name`` is the class (or union) that was asked for; ``problems`` is a
    list of ``(path, message)`` pairs, ``path`` in wire names (``content[0].text``,
    empty for the value itself); ``path`` is the first one's path.
    """

    def __init__(self, type_name: str, problems: list[tuple[str, str]]) -> None:
        self.type_name = type_name
        self.problems = problems
        self.path = problems[0][0] if problems else ""
        detail = "; ".join(f"{path}: {msg}" if path else msg for path, msg in problems)
        super().__init__(f"invalid {type_name}: {detail}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable
        return (type(self), (self.type_name, self.problems))


@dataclass_transform(kw_only_default=True, field_specifiers=(attrs.field, attrs.Factory))
def wire(cls: _C) -> _C:
    """Class decorator for wire types: attrs, keyword-only, slots.

    ``__eq__`` and ``__repr__`` come from :class:`WireType` (one generic
    implementation instead of one compiled per class keeps imports fast).
    """
    return attrs.define(kw_only=True, slots=True, repr=False, eq=False)(cls)


@wire
class WireType:
    """Base of every wire class.

    ``extra`` holds every wire key the class does not know; :func:`to_wire`
    emits them again (a known field wins over an ``extra`` entry of the same
    name).
    """

    extra: dict[str, Any] = attrs.field(factory=dict)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(
            getattr(self, a.name) == getattr(other, a.name)
            for a in self.__attrs_attrs__  # type: ignore[attr-defined]
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        parts = []
        cls: Any = type(self)
        for field in attrs.fields(cls):
            if field.name == "extra":
                continue
            value = getattr(self, field.name)
            default = field.default
            if (
                default is not attrs.NOTHING
                and not isinstance(default, attrs.Factory)  # type: ignore[arg-type]
                and (value is default or value == default)
            ):
                continue
            parts.append(f"{field.name}={value!r}")
        if self.extra:
            parts.append(f"extra={self.extra!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def json_type_name(value: Any) -> str:
    """The JSON name of a Python value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# Union alias -> (name, chooser(raw value) -> the type to structure the value as).
_UNIONS: dict[Any, tuple[str, Callable[[Any], Any]]] = {}


def register_union(name: str, alias: Any, chooser: Callable[[Any], Any]) -> None:
    """Declare how values of the union ``alias`` (called ``name``) are told apart.

    ``chooser`` gets the raw wire value and returns the type to read it as, or
    raises ``TypeError``/``ValueError`` with a message for the user.
    """
    _UNIONS[alias] = (name, chooser)


def union_choosers() -> dict[Any, tuple[str, Callable[[Any], Any]]]:
    """The registered union aliases: alias -> (name, chooser)."""
    return _UNIONS


_MISSING = object()


def by_key(
    key: str,
    table: dict[Any, Any],
    *,
    what: str,
    fallback: Any = None,
    when_absent: Any = None,
) -> Callable[[Any], Any]:
    """A chooser that looks at one discriminator key of a JSON object.

    ``fallback`` is used for values not in ``table`` (``None``: an error);
    ``when_absent`` when the key is missing (``None``: like an unknown value).
    """
    expected = ", ".join(repr(k) for k in table)

    def choose(value: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object ({what}), got {json_type_name(value)}")
        tag = value.get(key, _MISSING)
        try:
            cls = table.get(tag) if tag is not _MISSING else when_absent
        except TypeError:  # unhashable tag: certainly not a known one
            cls = None
        if cls is not None:
            return cls
        if fallback is not None:
            return fallback
        if tag is _MISSING:
            raise ValueError(f"{what}: {key!r} is missing (expected one of {expected})")
        raise ValueError(f"unknown {what} {key} {tag!r} (expected one of {expected})")

    return choose
