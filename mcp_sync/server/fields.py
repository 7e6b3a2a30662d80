"""``Field``: per-parameter metadata for tool, prompt and elicitation schemas.

Use it inside ``Annotated`` (several markers merge, later ones win)::

    def search(
        query: Annotated[str, Field(description="What to look for", min_length=1)],
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
    ) -> list[str]: ...

or as the parameter's default value, in which case ``Field(default=...)``
supplies the real default (a ``Field`` without ``default`` keeps the parameter
required)::

    def search(query: str = Field(description="What to look for")) -> list[str]: ...

A plain string in ``Annotated[X, "text"]`` is shorthand for
``Field(description="text")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["MISSING", "Field"]


class _Missing:
    """Sentinel type: "no default was given"."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()

# Field attribute -> JSON Schema keyword.  ``min_length``/``max_length`` on an
# array schema become ``minItems``/``maxItems`` (see schema.py).
CONSTRAINT_KEYWORDS: Final[Mapping[str, str]] = {
    "ge": "minimum",
    "gt": "exclusiveMinimum",
    "le": "maximum",
    "lt": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
    "min_items": "minItems",
    "max_items": "maxItems",
    "format": "format",
}

_ATTRS: Final = (
    "description",
    "title",
    "examples",
    *CONSTRAINT_KEYWORDS,
    "json_schema_extra",
)


class Field:
    """Schema metadata for one parameter or model field.

    ``default`` is the value used when the argument is omitted; every other
    argument is JSON Schema metadata: ``description``, ``title``,
    ``examples`` (a list), numeric bounds ``ge`` (``minimum``), ``gt``
    (``exclusiveMinimum``), ``le`` (``maximum``), ``lt``
    (``exclusiveMaximum``), ``multiple_of``, string or array lengths
    ``min_length``/``max_length``, array sizes ``min_items``/``max_items``, a
    regular expression ``pattern``, a ``format`` (``"email"``, ``"uri"``,
    ...), and ``json_schema_extra``, a mapping merged into the schema last.

    Instances compare and hash by identity, so they can sit in ``Annotated``
    metadata even when they hold lists.
    """

    __slots__ = ("default", *_ATTRS)

    def __init__(
        self,
        default: Any = MISSING,
        *,
        description: str | None = None,
        title: str | None = None,
        examples: list[Any] | None = None,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        multiple_of: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        min_items: int | None = None,
        max_items: int | None = None,
        format: str | None = None,  # noqa: A002 - the JSON Schema keyword
        json_schema_extra: Mapping[str, Any] | None = None,
    ) -> None:
        if examples is not None and not isinstance(examples, (list, tuple)):
            raise TypeError("Field(examples=...) must be a list of example values")
        if json_schema_extra is not None and not isinstance(json_schema_extra, Mapping):
            raise TypeError("Field(json_schema_extra=...) must be a mapping")
        self.default = default
        self.description = description
        self.title = title
        self.examples = list(examples) if examples is not None else None
        self.ge = ge
        self.gt = gt
        self.le = le
        self.lt = lt
        self.multiple_of = multiple_of
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self.min_items = min_items
        self.max_items = max_items
        self.format = format
        self.json_schema_extra = dict(json_schema_extra) if json_schema_extra is not None else None

    def __repr__(self) -> str:
        parts = [] if self.default is MISSING else [f"default={self.default!r}"]
        parts += [
            f"{name}={getattr(self, name)!r}" for name in _ATTRS if getattr(self, name) is not None
        ]
        return f"Field({', '.join(parts)})"

    @staticmethod
    def merge(markers: list[Field]) -> Field:
        """One ``Field`` combining ``markers``; later non-``None`` values win."""
        if len(markers) == 1:
            return markers[0]
        merged = Field()
        for marker in markers:
            if marker.default is not MISSING:
                merged.default = marker.default
            for name in _ATTRS:
                value = getattr(marker, name)
                if value is None:
                    continue
                if name == "json_schema_extra" and merged.json_schema_extra is not None:
                    value = {**merged.json_schema_extra, **value}
                setattr(merged, name, value)
        return merged
