"""JSON Schema (2020-12) from Python type hints, and the conversions around it.

Sans-IO, pure functions.  Tools are plain functions; from their signature we
derive the MCP ``inputSchema``, from the return annotation the
``outputSchema``, and we convert between JSON values and the Python types the
function declared.

Public API:

* :func:`build_tool_signature` -- everything about one tool function, computed
  once: :class:`ToolSignature` with ``input_schema``, ``output_schema``,
  ``wrap_output``, ``description``, ``parameters``, ``skipped``,
  ``coerce(arguments)`` and ``structured_content(value)``.
* :func:`schema_for_type` -- the schema of one annotation.
* :func:`output_schema_for` -- ``(schema | None, wrapped)`` for a return
  annotation (the root of an MCP ``outputSchema`` must be ``type: object``).
* :func:`elicitation_schema_for` -- the restricted, flat ``requestedSchema``
  of ``elicitation/create``.
* :func:`to_jsonable`, :func:`coerce_value`, :func:`coerce_arguments` --
  Python values to JSON and back.
* :func:`parse_docstring` -- prose description and per-parameter
  descriptions (Google, NumPy and reST styles).

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None``,
``Any``, ``Optional``/``Union``/``X | Y``, ``Literal``, ``Enum`` (``str``,
``int`` or ``float`` values), ``list``/``Sequence``/``Iterable``,
``set``/``frozenset``, ``tuple[X, Y]``/``tuple[X, ...]``,
``dict[str, X]``/``Mapping``, ``TypedDict`` (``Required``/``NotRequired``,
``total=False``), dataclasses, attrs classes (also generic ones, e.g.
``Page[Item]``), ``datetime``/``date``/``time`` (ISO 8601 strings),
``uuid.UUID``, ``bytes`` (base64), ``NewType``, type aliases and
``Annotated[X, "description" | Field(...)]``.

Models (TypedDict, dataclass, attrs) used once are inlined; models used more
than once, or recursively, go to ``$defs`` and are referenced as
``{"$ref": "#/$defs/Name"}``.
"""

from __future__ import annotations

import base64
import collections.abc as cabc
import dataclasses
import sys
import datetime as dt
import enum
import functools
import inspect
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Union, get_args, get_origin

import attrs

from mcp_sync.server.fields import CONSTRAINT_KEYWORDS, MISSING, Field

__all__ = [
    "Docstring",
    "ParameterInfo",
    "ToolSignature",
    "build_tool_signature",
    "coerce_arguments",
    "coerce_value",
    "elicitation_schema_for",
    "output_schema_for",
    "parse_docstring",
    "schema_for_type",
    "to_jsonable",
]

JsonSchema = dict[str, Any]
SkipPredicate = Callable[[inspect.Parameter, Any], bool]
# Either classes whose instances a tool returns as MCP content (no structured
# output), or a predicate over an annotation saying the same.
Unstructured = Union[tuple[type, ...], Callable[[Any], bool]]

_NoneType = type(None)
_EMPTY = inspect.Parameter.empty

_LIST_ORIGINS = frozenset(
    {
        list,
        cabc.Sequence,
        cabc.MutableSequence,
        cabc.Iterable,
        cabc.Collection,
        cabc.Iterator,
    }
)
_SET_ORIGINS = frozenset({set, frozenset, cabc.Set, cabc.MutableSet})
_DICT_ORIGINS = frozenset({dict, cabc.Mapping, cabc.MutableMapping})
_STRING_FORMATS: dict[Any, str] = {
    dt.datetime: "date-time",  # before date: datetime is a date subclass
    dt.date: "date",
    dt.time: "time",
    uuid.UUID: "uuid",
}
_QUALIFIERS = frozenset({"Required", "NotRequired", "ReadOnly"})


class _Unsupported(Exception):
    """Internal: ``tp`` cannot be expressed; turned into a TypeError with context."""

    def __init__(self, tp: Any, reason: str = "") -> None:
        super().__init__(tp, reason)
        self.tp = tp
        self.reason = reason


def _type_repr(tp: Any) -> str:
    if isinstance(tp, type) and not get_args(tp):
        return tp.__qualname__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__qualname__}"
    return repr(tp).replace("typing.", "")


def _unsupported_error(where: str, outer: Any, exc: _Unsupported) -> TypeError:
    msg = f"{where}: unsupported type annotation {_type_repr(exc.tp)}"
    if exc.tp is not outer:
        msg += f" (in {_type_repr(outer)})"
    if exc.reason:
        msg += f": {exc.reason}"
    return TypeError(msg)


# --------------------------------------------------------------------------
# Annotation helpers
# --------------------------------------------------------------------------


def _qualifier(tp: Any) -> str | None:
    origin = get_origin(tp)
    if origin is None:
        return None
    name = getattr(origin, "_name", None)
    return name if name in _QUALIFIERS else None


def _unwrap(tp: Any) -> tuple[Any, Field | None]:
    """Strip Annotated / NewType / aliases / TypedDict qualifiers; merge markers.

    Markers closer to the use site win over markers from inner aliases.
    """
    markers: list[Field] = []
    while True:
        if hasattr(tp, "__metadata__") and hasattr(tp, "__origin__"):  # Annotated
            level = [
                m if isinstance(m, Field) else Field(description=m)
                for m in tp.__metadata__
                if isinstance(m, (Field, str))
            ]
            markers = level + markers
            tp = tp.__origin__
        elif _qualifier(tp) is not None:
            tp = get_args(tp)[0]
        elif callable(tp) and hasattr(tp, "__supertype__"):  # NewType
            tp = tp.__supertype__
        elif type(tp).__name__ == "TypeAliasType":  # `type X = ...` (3.12+)
            tp = tp.__value__
        else:
            return tp, (Field.merge(markers) if markers else None)


def _is_literal(origin: Any) -> bool:
    return origin is typing.Literal or getattr(origin, "_name", None) == "Literal"


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def _is_typeddict(tp: Any) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, dict)
        and hasattr(tp, "__required_keys__")
        and hasattr(tp, "__total__")
    )


def _model_class(tp: Any) -> type | None:
    """The class if ``tp`` is a TypedDict, dataclass or attrs class (or a generic alias of one)."""
    cls = get_origin(tp) or tp
    if not isinstance(cls, type):
        return None
    if _is_typeddict(cls) or dataclasses.is_dataclass(cls) or attrs.has(cls):
        return cls
    return None


def pydantic_model(tp: Any) -> type | None:
    """The class if ``tp`` is a pydantic ``BaseModel`` subclass (pydantic is never imported for this)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None:  # a model class cannot exist without pydantic being imported
        return None
    base = getattr(pydantic, "BaseModel", None)
    if base is not None and isinstance(tp, type) and issubclass(tp, base) and tp is not base:
        return tp
    return None


def _allows_none(tp: Any) -> bool:
    tp, _ = _unwrap(tp)
    if tp is None or tp is _NoneType or tp is Any or tp is object:
        return True
    origin = get_origin(tp)
    if _is_union(origin):
        return any(_allows_none(arg) for arg in get_args(tp))
    if _is_literal(origin):
        return None in get_args(tp)
    return False


def _literal_values(tp: Any) -> list[Any]:
    values: list[Any] = []
    for arg in get_args(tp):
        if _is_literal(get_origin(arg)):  # nested Literal (older typing versions)
            values.extend(_literal_values(arg))
        else:
            values.append(arg)
    return values


def _json_type_of(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _resolve_hints(obj: Any) -> dict[str, Any]:
    """``get_type_hints`` with extras, for functions, partials, methods and callables.

    If some string annotations cannot be resolved (say, a name imported only
    under ``TYPE_CHECKING``), the others are still resolved and those stay
    strings: the ``skip`` predicate may still recognise them by name.
    """
    target = obj
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isfunction(target) or inspect.ismethod(target) or isinstance(target, type)):
        call = getattr(type(target), "__call__", None)
        if call is not None and not inspect.isbuiltin(target):
            target = call
    try:
        return typing.get_type_hints(target, include_extras=True)
    except NameError:
        pass
    except TypeError:
        return {}
    function = inspect.unwrap(getattr(target, "__func__", target))
    annotations = getattr(function, "__annotations__", None) or {}
    namespace = getattr(function, "__globals__", None)
    if namespace is None:
        return {}
    hints: dict[str, Any] = {}
    for name, annotation in annotations.items():
        shim = types.FunctionType((lambda: None).__code__, namespace)
        shim.__annotations__ = {name: annotation}
        try:
            hints[name] = typing.get_type_hints(shim, include_extras=True)[name]
        except NameError:
            hints[name] = annotation.__forward_arg__ if isinstance(annotation, typing.ForwardRef) else annotation
    return hints


def _substitute(tp: Any, mapping: Mapping[Any, Any]) -> Any:
    if not mapping:
        return tp
    if isinstance(tp, typing.TypeVar):
        return mapping.get(tp, Any)
    params = getattr(tp, "__parameters__", ())
    if params:
        try:
            return tp[tuple(mapping.get(p, Any) for p in params)]
        except TypeError:
            return tp
    return tp


# --------------------------------------------------------------------------
# Docstrings
# --------------------------------------------------------------------------


@attrs.frozen
class Docstring:
    """A parsed docstring: the prose before any section, and per-name descriptions.

    ``params`` holds the ``Args:``/``Parameters``/``:param x:`` entries (and
    ``Attributes:``/``:ivar x:`` entries, for classes).
    """

    description: str | None
    params: Mapping[str, str]


_GOOGLE_PARAM_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "other parameters",
        "attributes",
    }
)
_GOOGLE_SECTIONS = _GOOGLE_PARAM_SECTIONS | {
    "returns",
    "return",
    "yields",
    "yield",
    "raises",
    "raise",
    "example",
    "examples",
    "note",
    "notes",
    "see also",
    "warning",
    "warnings",
    "todo",
    "references",
    "methods",
}
_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ENTRY = re.compile(r"^\**(\w+)\s*(?:\([^)]*\))?\s*:(.*)$")
_NUMPY_ENTRY = re.compile(r"^\**(\w+)\s*(?::.*)?$")
_REST_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]*?))?:(.*)$")
_REST_PARAM_FIELDS = frozenset(
    {"param", "parameter", "arg", "argument", "key", "keyword", "ivar", "var", "cvar"}
)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def parse_docstring(doc: str | None) -> Docstring:
    """Split a docstring into its prose and its per-parameter descriptions.

    Understands Google (``Args:``), NumPy (``Parameters`` + dashes) and reST
    (``:param x:``) styles.  The description is all prose before the first
    section or field (paragraphs kept), or ``None``.
    """
    if not doc:
        return Docstring(None, {})
    lines = inspect.cleandoc(doc).splitlines()
    n = len(lines)
    prose_end = n
    params: dict[str, str] = {}
    i = 0
    while i < n:
        line = lines[i]
        stripped = line.strip()
        base = _indent(line)
        header = _GOOGLE_HEADER.match(stripped)
        if header and header.group(1).strip().lower() in _GOOGLE_SECTIONS:
            prose_end = min(prose_end, i)
            is_params = header.group(1).strip().lower() in _GOOGLE_PARAM_SECTIONS
            # A header on the docstring's first line: cleandoc() has dedented its
            # entries to column 0, so only the next header ends the section.
            first_line = i == 0
            i += 1
            body: list[str] = []
            while i < n and (
                not lines[i].strip()
                or _indent(lines[i]) > base
                or (first_line and not _GOOGLE_HEADER.match(lines[i].strip()))
            ):
                body.append(lines[i])
                i += 1
            if is_params:
                _google_entries(body, params)
            continue
        if (
            i + 1 < n
            and stripped
            and re.fullmatch(r"-{3,}", lines[i + 1].strip())
            and stripped.lower() in _GOOGLE_SECTIONS
        ):
            prose_end = min(prose_end, i)
            is_params = stripped.lower() in _GOOGLE_PARAM_SECTIONS
            i += 2
            body = []
            while i < n and not (
                i + 1 < n and lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())
            ):
                body.append(lines[i])
                i += 1
            if is_params:
                _numpy_entries(body, params, base)
            continue
        field = _REST_FIELD.match(stripped)
        if field:
            prose_end = min(prose_end, i)
            kind, arg, text = field.group(1), field.group(2), field.group(3)
            i += 1
            parts = [text]
            while i < n and lines[i].strip() and not lines[i].strip().startswith(":"):
                parts.append(lines[i])
                i += 1
            if kind in _REST_PARAM_FIELDS and arg:
                name = arg.split()[-1].lstrip("*")
                params[name] = _join(parts)
            continue
        i += 1
    description = "\n".join(lines[:prose_end]).strip() or None
    return Docstring(description, params)


def _google_entries(body: list[str], params: dict[str, str]) -> None:
    indents = [_indent(line) for line in body if line.strip()]
    if not indents:
        return
    entry_indent = min(indents)
    name: str | None = None
    parts: list[str] = []
    for line in body:
        if line.strip() and _indent(line) == entry_indent:
            if name is not None:
                params[name] = _join(parts)
            m = _GOOGLE_ENTRY.match(line.strip())
            name, parts = (m.group(1), [m.group(2)]) if m else (None, [])
        elif name is not None:
            parts.append(line)
    if name is not None:
        params[name] = _join(parts)


def _numpy_entries(body: list[str], params: dict[str, str], base: int) -> None:
    name: str | None = None
    parts: list[str] = []
    for line in body:
        if line.strip() and _indent(line) <= base:
            if name is not None:
                params[name] = _join(parts)
            m = _NUMPY_ENTRY.match(line.strip())
            name, parts = (m.group(1), []) if m else (None, [])
        elif name is not None:
            parts.append(line)
    if name is not None:
        params[name] = _join(parts)


def _class_docstring(cls: type) -> Docstring:
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return Docstring(None, {})
    if dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "(") and "\n" not in doc:
        return Docstring(None, {})  # the signature dataclasses puts in __doc__
    return parse_docstring(doc)


# --------------------------------------------------------------------------
# Models: TypedDict, dataclasses, attrs
# --------------------------------------------------------------------------


@attrs.frozen
class _ModelField:
    name: str  # JSON key (the attribute name)
    init_name: str  # constructor keyword (attrs strips the leading "_")
    tp: Any
    default: Any  # MISSING if none (or only a factory)
    required: bool
    description: str | None


@attrs.frozen
class _Model:
    kind: str  # "typeddict" | "dataclass" | "attrs"
    cls: type
    fields: tuple[_ModelField, ...]
    description: str | None


def _model_info(tp: Any) -> _Model:
    cls = _model_class(tp)
    assert cls is not None
    typevars = dict(zip(getattr(cls, "__parameters__", ()), get_args(tp)))
    doc = _class_docstring(cls)
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as exc:
        raise _Unsupported(tp, f"cannot resolve the annotations of {cls.__qualname__}: {exc}") from exc
    fields: list[_ModelField] = []
    if _is_typeddict(cls):
        required_keys = set(cls.__required_keys__)  # type: ignore[attr-defined]
        for name, hint in hints.items():
            required = name in required_keys
            inner = hint
            while hasattr(inner, "__metadata__") and hasattr(inner, "__origin__"):
                inner = inner.__origin__
            qualifier = _qualifier(inner)
            if qualifier == "Required":
                required = True
            elif qualifier == "NotRequired":
                required = False
            fields.append(
                _ModelField(
                    name, name, _substitute(hint, typevars), MISSING, required, doc.params.get(name)
                )
            )
        return _Model("typeddict", cls, tuple(fields), doc.description)
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            default = f.default if f.default is not dataclasses.MISSING else MISSING
            has_factory = f.default_factory is not dataclasses.MISSING
            hint = hints.get(f.name, f.type)
            if isinstance(hint, str):
                raise _Unsupported(tp, f"unresolved annotation {hint!r} on field {f.name!r}")
            description = f.metadata.get("description") or doc.params.get(f.name)
            fields.append(
                _ModelField(
                    f.name,
                    f.name,
                    _substitute(hint, typevars),
                    default,
                    default is MISSING and not has_factory,
                    description,
                )
            )
        return _Model("dataclass", cls, tuple(fields), doc.description)
    for a in attrs.fields(cls):
        if not a.init:
            continue
        hint = hints.get(a.name, a.type)
        if hint is None or isinstance(hint, str):
            hint = Any if hint is None else hint
            if isinstance(hint, str):
                raise _Unsupported(tp, f"unresolved annotation {hint!r} on field {a.name!r}")
        if isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            default, required = MISSING, False
        elif a.default is attrs.NOTHING:
            default, required = MISSING, True
        else:
            default, required = a.default, False
        description = a.metadata.get("description") or doc.params.get(a.name)
        alias = getattr(a, "alias", None) or a.name.lstrip("_")
        fields.append(
            _ModelField(a.name, alias, _substitute(hint, typevars), default, required, description)
        )
    return _Model("attrs", cls, tuple(fields), doc.description)


# --------------------------------------------------------------------------
# Schema generation
# --------------------------------------------------------------------------


def _jsonable_default(value: Any) -> tuple[bool, Any]:
    try:
        return True, to_jsonable(value)
    except (TypeError, ValueError):
        return False, None


def _apply_field(schema: JsonSchema, field: Field) -> JsonSchema:
    is_array = schema.get("type") == "array"
    if field.title is not None:
        schema["title"] = field.title
    if field.description is not None:
        schema["description"] = field.description
    for attr, keyword in CONSTRAINT_KEYWORDS.items():
        value = getattr(field, attr)
        if value is None:
            continue
        if is_array and attr in ("min_length", "max_length"):
            keyword = "minItems" if attr == "min_length" else "maxItems"
        schema[keyword] = value
    if field.examples is not None:
        schema["examples"] = [to_jsonable(e) for e in field.examples]
    if field.default is not MISSING:
        ok, value = _jsonable_default(field.default)
        if ok:
            schema["default"] = value
    if field.json_schema_extra:
        schema.update(field.json_schema_extra)
    return schema


def _merge_union(schemas: list[JsonSchema]) -> JsonSchema:
    if any(not s for s in schemas):
        return {}
    unique: list[JsonSchema] = []
    for s in schemas:
        if s not in unique:
            unique.append(s)
    if len(unique) == 1:
        return unique[0]
    if all(len(s) == 1 and isinstance(s.get("type"), str) for s in unique):
        return {"type": [s["type"] for s in unique]}
    return {"anyOf": unique}


def _def_name_base(tp: Any, cls: type) -> str:
    args = get_args(tp)
    name = cls.__name__
    if args:
        arg_names = [getattr(_unwrap(a)[0], "__name__", None) or _type_repr(a) for a in args]
        name += "_" + "_".join(arg_names) + "_"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


class _SchemaBuilder:
    """One schema-generation pass; collects model definitions for ``$defs``."""

    def __init__(self) -> None:
        self.defs: dict[str, JsonSchema] = {}
        self.def_names: dict[Any, str] = {}

    def schema(self, tp: Any, extra: Field | None = None) -> JsonSchema:
        base, field = _unwrap(tp)
        schema = self._core(base)
        if extra is not None:
            field = Field.merge([field, extra]) if field is not None else extra
        if field is not None:
            schema = _apply_field(schema, field)
        return schema

    def _core(self, tp: Any) -> JsonSchema:
        if tp is Any or tp is object:
            return {}
        if tp is None or tp is _NoneType:
            return {"type": "null"}
        if tp is str:
            return {"type": "string"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is bytes:
            return {"type": "string", "contentEncoding": "base64"}
        fmt = _STRING_FORMATS.get(tp)
        if fmt is not None:
            return {"type": "string", "format": fmt}
        origin = get_origin(tp)
        args = get_args(tp)
        if _is_literal(origin):
            return _literal_schema(tp)
        if _is_union(origin):
            return _merge_union([self.schema(arg) for arg in args])
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum_schema(tp)
        base = origin if origin is not None else tp
        if base in _LIST_ORIGINS:
            return self._array(args[0] if args else Any)
        if base in _SET_ORIGINS:
            return {**self._array(args[0] if args else Any), "uniqueItems": True}
        if base is tuple:
            return self._tuple(tp, args)
        if base in _DICT_ORIGINS:
            return self._dict(tp, args)
        if _model_class(tp) is not None:
            return self._model_ref(tp)
        if pydantic_model(tp) is not None:
            return self._pydantic_ref(tp)
        if isinstance(tp, (str, typing.ForwardRef)):
            raise _Unsupported(tp, "unresolved forward reference")
        raise _Unsupported(tp)

    def _array(self, item: Any) -> JsonSchema:
        items = self.schema(item)
        return {"type": "array", "items": items} if items else {"type": "array"}

    def _tuple(self, tp: Any, args: tuple[Any, ...]) -> JsonSchema:
        if tp is tuple or tp is typing.Tuple:
            return {"type": "array"}
        if not args or args == ((),):  # tuple[()]; ((),) on older Pythons
            return {"type": "array", "maxItems": 0}
        if len(args) == 2 and args[1] is Ellipsis:
            return self._array(args[0])
        return {
            "type": "array",
            "prefixItems": [self.schema(a) for a in args],
            "items": False,
            "minItems": len(args),
            "maxItems": len(args),
        }

    def _dict(self, tp: Any, args: tuple[Any, ...]) -> JsonSchema:
        schema: JsonSchema = {"type": "object"}
        if not args:
            return schema
        key, _ = _unwrap(args[0])
        if key is not str and key is not Any:
            key_schema = self.schema(args[0])
            if key_schema.get("type") != "string":
                raise _Unsupported(tp, "JSON object keys are strings; use dict[str, ...]")
            schema["propertyNames"] = key_schema
        value = self.schema(args[1])
        if value:
            schema["additionalProperties"] = value
        return schema

    def _model_ref(self, tp: Any) -> JsonSchema:
        try:
            name = self.def_names.get(tp)
        except TypeError:  # unhashable generic alias
            name = None
        if name is None:
            cls = _model_class(tp)
            assert cls is not None
            name = _def_name_base(tp, cls)
            if name in self.defs:
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{cls.__module__}.{cls.__qualname__}")
                suffix = 2
                while name in self.defs:
                    name = f"{name}_{suffix}"
                    suffix += 1
            self.def_names[tp] = name
            self.defs[name] = {}  # placeholder: recursion stops here
            self.defs[name] = self._model_body(tp)
        return {"$ref": f"#/$defs/{name}"}

    def _pydantic_ref(self, cls: Any) -> JsonSchema:
        """A pydantic model: its own JSON Schema (``model_json_schema``), its nested models in ``$defs``."""
        name = self.def_names.get(cls)
        if name is None:
            schema = dict(cls.model_json_schema(ref_template="#/$defs/{model}"))
            for nested, body in (schema.pop("$defs", None) or {}).items():
                if nested in self.defs and self.defs[nested] != body:
                    raise _Unsupported(cls, f"two different models are both named {nested!r} in one schema")
                self.defs[nested] = body
            name = cls.__name__
            if name in self.defs and self.def_names.get(cls) != name and self.defs[name] != schema:
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{cls.__module__}.{cls.__qualname__}")
            self.def_names[cls] = name
            self.defs[name] = schema
        return {"$ref": f"#/$defs/{name}"}

    def _model_body(self, tp: Any) -> JsonSchema:
        model = _model_info(tp)
        body: JsonSchema = {"type": "object"}
        if model.description:
            body["description"] = model.description
        properties: JsonSchema = {}
        required: list[str] = []
        for f in model.fields:
            properties[f.name] = self.property(f.tp, f.default, f.description)
            if f.required:
                required.append(f.name)
        body["properties"] = properties
        if required:
            body["required"] = required
        return body

    def property(
        self, tp: Any, default: Any, description: str | None, extra: Field | None = None
    ) -> JsonSchema:
        """Schema of a parameter or model field with its default and fallback description."""
        if default is None and not _allows_none(tp):
            tp = typing.Optional[tp]  # `x: int = None` means "int or null"
        schema = self.schema(tp, extra)
        if description and "description" not in schema:
            schema["description"] = description
        if default is not MISSING:
            ok, value = _jsonable_default(default)
            if ok:
                schema["default"] = value
        return schema

    # -- finishing: inline single-use models, keep the rest in $defs --------

    def finish(self, root: JsonSchema) -> JsonSchema:
        if not self.defs:
            return root
        prefix = "#/$defs/"
        if set(root) >= {"$ref"} and root["$ref"].startswith(prefix):
            # The root itself is a model: inline it (the root must be an object schema).
            rest = {k: v for k, v in root.items() if k != "$ref"}
            root = {**self.defs[root["$ref"][len(prefix) :]], **rest}

        def refs_in(node: Any, out: list[str]) -> list[str]:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith(prefix):
                    out.append(ref[len(prefix) :])
                for value in node.values():
                    refs_in(value, out)
            elif isinstance(node, list):
                for value in node:
                    refs_in(value, out)
            return out

        graph = {name: refs_in(body, []) for name, body in self.defs.items()}
        counts: dict[str, int] = {}
        reachable: list[str] = []
        pending = refs_in(root, [])
        for name in pending:
            counts[name] = counts.get(name, 0) + 1
        while pending:
            name = pending.pop()
            if name in reachable:
                continue
            reachable.append(name)
            for child in graph[name]:
                counts[child] = counts.get(child, 0) + 1
                pending.append(child)

        def on_cycle(start: str) -> bool:
            seen: set[str] = set()
            stack = list(graph[start])
            while stack:
                name = stack.pop()
                if name == start:
                    return True
                if name not in seen:
                    seen.add(name)
                    stack.extend(graph[name])
            return False

        inline = {name for name in reachable if counts[name] == 1 and not on_cycle(name)}

        def resolve(node: Any) -> Any:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref[len(prefix) :] in inline and ref.startswith(prefix):
                    body = resolve(self.defs[ref[len(prefix) :]])
                    body.update({k: resolve(v) for k, v in node.items() if k != "$ref"})
                    return body
                return {k: resolve(v) for k, v in node.items()}
            if isinstance(node, list):
                return [resolve(v) for v in node]
            return node

        result: dict[str, Any] = resolve(root)
        kept = {name: resolve(self.defs[name]) for name in self.defs if name in reachable and name not in inline}
        if kept:
            result["$defs"] = kept
        return result


def _literal_schema(tp: Any) -> JsonSchema:
    values = [v.value if isinstance(v, enum.Enum) else v for v in _literal_values(tp)]
    json_types: list[str] = []
    for v in values:
        t = _json_type_of(v)
        if t is None:
            raise _Unsupported(tp, f"Literal value {v!r} is not a JSON scalar")
        if t not in json_types:
            json_types.append(t)
    schema: JsonSchema = {"type": json_types[0] if len(json_types) == 1 else json_types}
    if len(values) == 1:
        schema["const"] = values[0]
    else:
        schema["enum"] = values
    return schema


def _enum_schema(tp: type[enum.Enum]) -> JsonSchema:
    values = [m.value for m in tp]
    json_types: list[str] = []
    for v in values:
        t = _json_type_of(v)
        if t is None or t == "null":
            raise _Unsupported(tp, f"enum value {v!r} is not a string or number")
        if t not in json_types:
            json_types.append(t)
    if not json_types:
        raise _Unsupported(tp, "enum has no members")
    schema: JsonSchema = {"type": json_types[0] if len(json_types) == 1 else json_types}
    schema["enum"] = values
    return schema


def schema_for_type(tp: Any) -> JsonSchema:
    """The JSON Schema (2020-12) of annotation ``tp``; ``$defs`` sit at its root.

    Raises ``TypeError`` for annotations that have no JSON representation.
    """
    builder = _SchemaBuilder()
    try:
        return builder.finish(builder.schema(tp))
    except _Unsupported as exc:
        raise _unsupported_error("schema_for_type", tp, exc) from None


def _is_unstructured(tp: Any, unstructured: Unstructured) -> bool:
    """True if values of ``tp`` are text or MCP content rather than structured data."""
    tp, _ = _unwrap(tp)
    if callable(unstructured) and not isinstance(unstructured, tuple):
        if unstructured(tp):
            return True
    elif unstructured and isinstance(tp, type) and issubclass(tp, unstructured):
        return True
    origin = get_origin(tp)
    args = get_args(tp)
    if _is_union(origin):
        members = [a for a in args if a is not _NoneType]
        return bool(members) and all(_is_unstructured(a, unstructured) for a in members)
    if (origin in _LIST_ORIGINS or origin is tuple) and args:
        members = [a for a in args if a is not Ellipsis]
        return all(_is_unstructured(a, unstructured) for a in members)
    return False


def _is_object_type(tp: Any) -> bool:
    base, _ = _unwrap(tp)
    if _model_class(base) is not None or pydantic_model(base) is not None:
        return True
    origin = get_origin(base)
    return (origin if origin is not None else base) in _DICT_ORIGINS


def output_schema_for(
    annotation: Any, *, unstructured: Unstructured = ()
) -> tuple[JsonSchema | None, bool]:
    """The MCP ``outputSchema`` for a return annotation, and whether values are wrapped.

    * No annotation, ``None``, ``Any`` and unstructured types
      (``unstructured``: classes, or a predicate over an annotation; unions
      and lists of them count too) → ``(None, False)``: plain content.
    * TypedDict, dataclass, attrs class, ``dict[str, X]`` → their object
      schema, ``wrapped=False``.
    * Anything else (primitives, lists, unions, enums, ...) → ``{"type":
      "object", "properties": {"result": <schema>}, "required": ["result"]}``
      and ``wrapped=True``: send ``{"result": value}``.

    Raises ``TypeError`` for unsupported annotations.
    """
    if annotation is _EMPTY or annotation is None or annotation is _NoneType:
        return None, False
    base, _ = _unwrap(annotation)
    if base is None or base is _NoneType or base is Any or base is object:
        return None, False
    if _is_unstructured(annotation, unstructured):
        return None, False
    builder = _SchemaBuilder()
    try:
        schema = builder.schema(annotation)
    except _Unsupported as exc:
        raise _unsupported_error("return annotation", annotation, exc) from None
    if _is_object_type(annotation):
        return builder.finish(schema), False
    wrapped = {"type": "object", "properties": {"result": schema}, "required": ["result"]}
    return builder.finish(wrapped), True


# --------------------------------------------------------------------------
# Elicitation (restricted, flat schemas)
# --------------------------------------------------------------------------

_ELICIT_FORMATS = frozenset({"email", "uri", "date", "date-time"})
_ELICIT_ALLOWED = (
    "str, int, float, bool, date, datetime, Literal/Enum of str, "
    "or list/set of Literal/Enum of str"
)


def _string_enum_values(tp: Any) -> list[str] | None:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
    elif _is_literal(get_origin(tp)):
        values = [v.value if isinstance(v, enum.Enum) else v for v in _literal_values(tp)]
    else:
        return None
    return values if values and all(isinstance(v, str) for v in values) else None


def elicitation_schema_for(tp: Any) -> JsonSchema:
    """The ``requestedSchema`` of a form-mode ``elicitation/create`` for model ``tp``.

    ``tp`` is a dataclass, TypedDict or attrs class whose fields are flat:
    ``str``/``int``/``float``/``bool``, ``date``/``datetime`` (string
    formats), ``Literal``/``Enum`` of strings (single choice, ``enum``) or a
    ``list``/``set`` of those (multi-select array).  ``Optional[X]`` is
    treated as ``X``.  Fields with defaults are optional and carry
    ``default``.  Field constraints allowed by the restricted schema
    (``title``, ``description``, ``min_length``, ``max_length``,
    ``pattern``, ``format``, ``ge``, ``le``, ``min_items``, ``max_items``)
    are kept; others raise ``TypeError``.  Nested objects raise
    ``TypeError``.
    """
    base, _ = _unwrap(tp)
    if _model_class(base) is None:
        raise TypeError(
            f"elicitation schemas are built from a dataclass, TypedDict or attrs class, "
            f"not {_type_repr(tp)}"
        )
    try:
        model = _model_info(base)
    except _Unsupported as exc:
        raise _unsupported_error("elicitation schema", tp, exc) from None
    properties: JsonSchema = {}
    required: list[str] = []
    for f in model.fields:
        properties[f.name] = _elicitation_property(model.cls, f)
        if f.required:
            required.append(f.name)
    schema: JsonSchema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _elicitation_property(cls: type, f: _ModelField) -> JsonSchema:
    where = f"elicitation field {f.name!r} of {cls.__qualname__}"
    tp, field = _unwrap(f.tp)
    if _is_union(get_origin(tp)):
        members = [a for a in get_args(tp) if a is not _NoneType]
        if len(members) == 1:
            tp, inner = _unwrap(members[0])
            if inner is not None:
                field = Field.merge([inner, field]) if field is not None else inner
    field = field or Field()
    origin = get_origin(tp)
    args = get_args(tp)
    enum_values = _string_enum_values(tp)
    schema: JsonSchema
    allowed: set[str] = {"description", "title", "default", "json_schema_extra"}
    if tp is str:
        schema = {"type": "string"}
        allowed |= {"min_length", "max_length", "pattern", "format"}
    elif tp is bool:
        schema = {"type": "boolean"}
    elif tp is int or tp is float:
        schema = {"type": "integer" if tp is int else "number"}
        allowed |= {"ge", "le"}
        if tp is int:
            allowed |= {"gt", "lt"}
    elif tp in (dt.date, dt.datetime):
        schema = {"type": "string", "format": _STRING_FORMATS[tp]}
    elif enum_values is not None:
        schema = {"type": "string", "enum": enum_values}
    elif (
        (origin in _LIST_ORIGINS or origin in _SET_ORIGINS)
        and args
        and _string_enum_values(_unwrap(args[0])[0]) is not None
    ):
        schema = {
            "type": "array",
            "items": {"type": "string", "enum": _string_enum_values(_unwrap(args[0])[0])},
        }
        allowed |= {"min_items", "max_items", "min_length", "max_length"}
    else:
        nested = " (nested objects are not allowed)" if _is_object_type(tp) else ""
        raise TypeError(
            f"{where}: elicitation schemas must be flat; unsupported type "
            f"{_type_repr(tp)}{nested}; allowed: {_ELICIT_ALLOWED}"
        )
    used = {
        attr
        for attr in ("description", "title", "examples", "json_schema_extra", *CONSTRAINT_KEYWORDS)
        if getattr(field, attr) is not None
    }
    bad = sorted(used - allowed)
    if bad:
        raise TypeError(f"{where}: Field constraints {bad} are not allowed in elicitation schemas")
    if field.format is not None and field.format not in _ELICIT_FORMATS:
        raise TypeError(
            f"{where}: format {field.format!r} is not allowed in elicitation schemas "
            f"(use one of {sorted(_ELICIT_FORMATS)})"
        )
    if tp is int and field.gt is not None:
        field = Field.merge([field, Field(ge=field.gt + 1)])
        field.gt = None
    if tp is int and field.lt is not None:
        field = Field.merge([field, Field(le=field.lt - 1)])
        field.lt = None
    schema = _apply_field(schema, field)
    if f.description and "description" not in schema:
        schema["description"] = f.description
    if f.default is not MISSING and f.default is not None:
        ok, value = _jsonable_default(f.default)
        if ok:
            schema["default"] = value
    return schema


# --------------------------------------------------------------------------
# Python values -> JSON
# --------------------------------------------------------------------------

_SCALARS = (str, int, float, bool, _NoneType)


def _json_key(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return str(key)
    if isinstance(key, uuid.UUID):
        return str(key)
    raise TypeError(f"cannot use {type(key).__name__} as a JSON object key")


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to JSON-compatible data (dicts, lists, str, numbers, bool, None).

    Handles dataclass and attrs instances, mappings (TypedDicts), Enums
    (their value), lists, tuples, sets (sorted when possible),
    ``datetime``/``date``/``time`` (ISO 8601), ``UUID``, ``bytes`` (base64)
    and objects with a pydantic-style ``model_dump``.  Raises ``TypeError``
    for anything else.
    """
    if type(value) in _SCALARS:
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (str, int, float)):  # subclasses (bool is caught above)
        return value
    if isinstance(value, Mapping):
        return {_json_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    cls = type(value)
    if dataclasses.is_dataclass(cls):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(cls)}
    if attrs.has(cls):
        base = sys.modules.get("mcp_sync.types.base")
        if base is not None and isinstance(value, base.WireType):  # an MCP object: its wire form
            from ..types import to_wire

            return to_wire(value)
        return {a.name: to_jsonable(getattr(value, a.name)) for a in attrs.fields(cls)}
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"Object of type {cls.__name__} is not JSON serializable")


# --------------------------------------------------------------------------
# JSON -> Python values (coercion after validation)
# --------------------------------------------------------------------------

Converter = Callable[[Any], Any]
Matcher = Callable[[Any], bool]


def _parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    return dt.datetime.fromisoformat(text)


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date string, got {type(value).__name__}")
    return dt.date.fromisoformat(value)


def _parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 time string, got {type(value).__name__}")
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    return dt.time.fromisoformat(text)


def _parse_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _parse_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a base64 string, got {type(value).__name__}")
    return base64.b64decode(value, validate=True)


_SCALAR_CONVERTERS: dict[Any, Converter] = {
    dt.datetime: _parse_datetime,
    dt.date: _parse_date,
    dt.time: _parse_time,
    uuid.UUID: _parse_uuid,
    bytes: _parse_bytes,
}


class _ModelConverter:
    """dict -> dataclass/attrs instance, or TypedDict with converted values."""

    __slots__ = ("cls", "kind", "fields", "required", "known", "passthrough")

    def __init__(self, model: _Model) -> None:
        self.cls = model.cls
        self.kind = model.kind
        self.required = frozenset(f.name for f in model.fields if f.required)
        self.known = frozenset(f.name for f in model.fields)
        self.fields: tuple[tuple[str, str, Converter | None], ...] = ()
        self.passthrough = False

    def matches(self, value: Any) -> bool:
        return isinstance(value, dict) and self.required <= value.keys() <= self.known

    def __call__(self, value: Any) -> Any:
        if self.passthrough:
            return value
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {self.cls.__qualname__}, got {type(value).__name__}")
        if self.kind == "typeddict":
            out = dict(value)
            for key, _, conv in self.fields:
                if conv is not None and key in value:
                    out[key] = conv(value[key])
            return out
        kwargs: dict[str, Any] = {}
        for key, init_name, conv in self.fields:
            if key in value:
                item = value[key]
                kwargs[init_name] = item if conv is None else conv(item)
        return self.cls(**kwargs)


class _UnionConverter:
    __slots__ = ("members",)

    def __init__(self, members: list[tuple[Matcher, Matcher, Converter | None]]) -> None:
        self.members = members  # (strict matcher, loose matcher, converter)

    def __call__(self, value: Any) -> Any:
        for index in (0, 1):
            for strict, loose, conv in self.members:
                if not (loose if index else strict)(value):
                    continue
                if conv is None:
                    return value
                try:
                    return conv(value)
                except (ValueError, TypeError, KeyError):
                    continue
        return value


def _matchers(tp: Any, conv: Converter | None) -> tuple[Matcher, Matcher]:
    """(strict, loose) tests of whether raw JSON ``value`` could be a ``tp``."""
    tp, _ = _unwrap(tp)
    origin = get_origin(tp)
    base = origin if origin is not None else tp

    def is_a(*types_: type) -> Matcher:
        return lambda v: isinstance(v, types_) and not (isinstance(v, bool) and bool not in types_)

    matcher: Matcher
    if tp is Any or tp is object:
        matcher = lambda v: True  # noqa: E731
    elif tp is None or tp is _NoneType:
        matcher = lambda v: v is None  # noqa: E731
    elif tp is bool:
        matcher = is_a(bool)
    elif tp is int:
        matcher = is_a(int)
    elif tp is float:
        matcher = is_a(int, float)
    elif tp is str or tp in _SCALAR_CONVERTERS:
        matcher = is_a(str)
    elif _is_literal(origin):
        values = [v.value if isinstance(v, enum.Enum) else v for v in _literal_values(tp)]
        matcher = lambda v: any(type(v) is type(x) and v == x for x in values)  # noqa: E731
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        matcher = lambda v: any(type(v) is type(x) and v == x for x in values)  # noqa: E731
    elif base in _LIST_ORIGINS or base in _SET_ORIGINS or base is tuple:
        matcher = is_a(list, tuple)
    elif isinstance(conv, _ModelConverter):
        return conv.matches, is_a(dict)
    elif base in _DICT_ORIGINS or _model_class(tp) is not None:
        matcher = is_a(dict)
    else:
        matcher = lambda v: False  # noqa: E731
    return matcher, matcher


def _converter(tp: Any, cache: dict[Any, Any]) -> Converter | None:
    """A function turning validated JSON into a ``tp`` value; ``None`` means "as is"."""
    tp, _ = _unwrap(tp)
    if tp in (Any, object, str, int, float, bool, None, _NoneType):
        return None
    scalar = _SCALAR_CONVERTERS.get(tp)
    if scalar is not None:
        return scalar
    origin = get_origin(tp)
    args = get_args(tp)
    if _is_literal(origin):
        members = {v.value: v for v in _literal_values(tp) if isinstance(v, enum.Enum)}
        if not members:
            return None
        return lambda v: members.get(v, v) if isinstance(v, (str, int, float)) else v
    if _is_union(origin):
        convs = [_converter(arg, cache) for arg in args]
        if all(c is None for c in convs):
            return None
        return _UnionConverter([(*_matchers(arg, c), c) for arg, c in zip(args, convs)])
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp
    base = origin if origin is not None else tp
    if base in _LIST_ORIGINS:
        item = _converter(args[0], cache) if args else None
        if item is None:
            return None
        list_item: Converter = item
        return lambda v: [list_item(x) for x in v]
    if base in _SET_ORIGINS:
        item = _converter(args[0], cache) if args else None
        factory = frozenset if base is frozenset else set
        if item is None:
            return factory
        set_item: Converter = item
        return lambda v: factory(set_item(x) for x in v)
    if base is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0], cache)
            if item is None:
                return tuple
            return lambda v: tuple(item(x) for x in v)
        if tp is tuple or tp is typing.Tuple or not args or args == ((),):
            return tuple
        convs = [_converter(a, cache) for a in args]
        if all(c is None for c in convs):
            return tuple
        return lambda v: tuple(x if c is None else c(x) for c, x in zip(convs, v))
    if base in _DICT_ORIGINS:
        key = _converter(args[0], cache) if args else None
        value = _converter(args[1], cache) if args else None
        if key is None and value is None:
            return None
        return lambda v: {
            (k if key is None else key(k)): (x if value is None else value(x)) for k, x in v.items()
        }
    if _model_class(tp) is not None:
        try:
            cached = cache.get(tp)
        except TypeError:
            cached = None
        if cached is not None:
            hit: Converter = cached
            return hit
        model = _model_info(tp)
        conv = _ModelConverter(model)
        try:
            cache[tp] = conv
        except TypeError:
            pass
        fields = []
        for f in model.fields:
            ftp = typing.Optional[f.tp] if f.default is None and not _allows_none(f.tp) else f.tp
            fields.append((f.name, f.init_name, _converter(ftp, cache)))
        conv.fields = tuple(fields)
        if model.kind == "typeddict" and all(c is None for _, _, c in fields):
            conv.passthrough = True
            return None
        return conv
    pydantic_cls = pydantic_model(tp)
    if pydantic_cls is not None:
        return pydantic_cls.model_validate  # type: ignore[attr-defined, no-any-return]
    return None


def coerce_value(tp: Any, value: Any) -> Any:
    """Convert JSON ``value`` (already validated against ``schema_for_type(tp)``) to ``tp``.

    Builds enum members, dataclass/attrs instances, tuples, sets, datetimes,
    recursively.  Useful for elicitation results.
    """
    try:
        conv = _converter(tp, {})
    except _Unsupported as exc:
        raise _unsupported_error("coerce_value", tp, exc) from None
    return value if conv is None else conv(value)


# --------------------------------------------------------------------------
# Tool signatures
# --------------------------------------------------------------------------


@attrs.frozen
class ParameterInfo:
    """One argument of a tool (or prompt): what the client sees."""

    name: str
    annotation: Any
    required: bool
    default: Any  # MISSING if required
    description: str | None


class ToolSignature:
    """Everything derived from one tool function, computed once.

    * ``input_schema``: the ``inputSchema`` (``type: object``).
    * ``output_schema``: the ``outputSchema``, or ``None``.
    * ``wrap_output``: structured results are sent as ``{"result": value}``.
    * ``description``: the docstring's prose (before any ``Args:`` section).
    * ``parameters``: :class:`ParameterInfo` per exposed argument.
    * ``skipped``: names of parameters the ``skip`` predicate excluded (e.g.
      the request context), which the caller supplies itself.
    * ``coerce(arguments)``: validated JSON arguments → keyword arguments.
    * ``structured_content(value)``: a return value → ``structuredContent``.
    """

    __slots__ = (
        "name",
        "description",
        "input_schema",
        "output_schema",
        "wrap_output",
        "parameters",
        "skipped",
        "_names",
        "_plan",
        "_defaults",
        "_trivial",
    )

    def __init__(
        self,
        *,
        name: str,
        description: str | None,
        input_schema: JsonSchema,
        output_schema: JsonSchema | None,
        wrap_output: bool,
        parameters: tuple[ParameterInfo, ...],
        skipped: tuple[str, ...],
        plan: tuple[tuple[str, Converter | None], ...],
        defaults: Mapping[str, Any],
    ) -> None:
        self.name = name
        self.description = description
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.wrap_output = wrap_output
        self.parameters = parameters
        self.skipped = skipped
        self._names = frozenset(p.name for p in parameters)
        self._plan = tuple(item for item in plan if item[1] is not None)
        self._defaults = dict(defaults)
        self._trivial = not self._plan and not self._defaults

    def __repr__(self) -> str:
        return f"<ToolSignature {self.name}({', '.join(p.name for p in self.parameters)})>"

    def coerce(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Keyword arguments for the function from validated JSON ``arguments``.

        Unknown arguments are dropped; ``Field(default=...)`` defaults the
        function itself lacks are filled in; values are converted to the
        declared types.  A conversion failure raises ``ValueError`` naming
        the argument.
        """
        if not arguments:
            return dict(self._defaults)
        names = self._names
        if self._trivial:
            if arguments.keys() <= names:
                return dict(arguments)
            return {k: v for k, v in arguments.items() if k in names}
        kwargs = {k: v for k, v in arguments.items() if k in names}
        for name, conv in self._plan:
            if name in kwargs:
                try:
                    kwargs[name] = conv(kwargs[name])  # type: ignore[misc]
                except (ValueError, TypeError, KeyError) as exc:
                    raise ValueError(f"invalid value for argument {name!r}: {exc}") from exc
        for name, default in self._defaults.items():
            if name not in kwargs:
                kwargs[name] = default
        return kwargs

    def structured_content(self, value: Any) -> Any:
        """``structuredContent`` for return value ``value`` (``None`` without an output schema)."""
        if self.output_schema is None:
            return None
        data = to_jsonable(value)
        return {"result": data} if self.wrap_output else data


def _func_name(func: Any) -> str:
    target = func
    while isinstance(target, functools.partial):
        target = target.func
    return getattr(target, "__name__", None) or type(target).__name__


def build_tool_signature(
    func: Callable[..., Any],
    *,
    skip: SkipPredicate | None = None,
    unstructured: Unstructured = (),
    structured_output: bool | None = None,
) -> ToolSignature:
    """Analyse ``func`` once: schemas, descriptions and the argument-coercion plan.

    ``skip(parameter, annotation)`` returns True for parameters the caller
    injects itself (the request context); ``annotation`` is the resolved
    type hint, or ``inspect.Parameter.empty``.  ``*args``/``**kwargs`` and
    positional-only parameters raise ``TypeError`` unless skipped.

    ``structured_output``: ``None`` infers an output schema when the return
    annotation allows one (and quietly has none if it is unsupported);
    ``True`` requires one (``TypeError`` otherwise); ``False`` never emits
    one.  ``unstructured`` is passed to :func:`output_schema_for`.
    """
    name = _func_name(func)
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of {name}: {exc}") from exc
    hints = _resolve_hints(func)
    doc = parse_docstring(inspect.getdoc(func))
    builder = _SchemaBuilder()
    properties: JsonSchema = {}
    required: list[str] = []
    parameters: list[ParameterInfo] = []
    skipped: list[str] = []
    plan: list[tuple[str, Converter | None]] = []
    field_defaults: dict[str, Any] = {}
    cache: dict[Any, Any] = {}
    for param in signature.parameters.values():
        annotation = hints.get(param.name, param.annotation)
        if skip is not None and skip(param, annotation):
            skipped.append(param.name)
            continue
        if isinstance(annotation, (str, typing.ForwardRef)):
            raise TypeError(
                f"parameter {param.name!r} of {name}: cannot resolve annotation {annotation!r}"
            )
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise TypeError(
                f"tool {name}: {star}{param.name} is not supported; "
                "declare every argument as a named parameter"
            )
        if param.kind is param.POSITIONAL_ONLY:
            raise TypeError(
                f"tool {name}: positional-only parameter {param.name!r} is not supported"
            )
        tp = Any if annotation is _EMPTY else annotation
        default_field = param.default if isinstance(param.default, Field) else None
        default = MISSING if param.default is _EMPTY or default_field else param.default
        if default is MISSING:
            _, marker = _unwrap(tp)
            merged = [m for m in (marker, default_field) if m is not None]
            field_default = Field.merge(merged).default if merged else MISSING
            if field_default is not MISSING:
                default = field_default
                field_defaults[param.name] = field_default
        where = f"parameter {param.name!r} of {name}"
        try:
            schema = builder.property(tp, default, doc.params.get(param.name), default_field)
            effective = typing.Optional[tp] if default is None and not _allows_none(tp) else tp
            conv = _converter(effective, cache)
        except _Unsupported as exc:
            raise _unsupported_error(where, tp, exc) from None
        properties[param.name] = schema
        is_required = default is MISSING
        if is_required:
            required.append(param.name)
        parameters.append(
            ParameterInfo(
                param.name, tp, is_required, default, schema.get("description")
            )
        )
        plan.append((param.name, conv))
    # One rule for every tool: an argument the function does not take is refused
    # (declared in the schema, so a client knows before it calls).
    root: JsonSchema = {"type": "object"}
    if properties:
        root["properties"] = properties
        if required:
            root["required"] = required
    root["additionalProperties"] = False
    input_schema = builder.finish(root)

    output_schema: JsonSchema | None = None
    wrap = False
    if structured_output is not False:
        returns = hints.get("return", signature.return_annotation)
        try:
            output_schema, wrap = output_schema_for(returns, unstructured=unstructured)
        except TypeError:
            if structured_output:
                raise
        if structured_output and output_schema is None:
            raise TypeError(
                f"tool {name}: structured_output=True but the return annotation "
                f"{_type_repr(returns)} has no structured schema"
            )
    return ToolSignature(
        name=name,
        description=doc.description,
        input_schema=input_schema,
        output_schema=output_schema,
        wrap_output=wrap,
        parameters=tuple(parameters),
        skipped=tuple(skipped),
        plan=tuple(plan),
        defaults=field_defaults,
    )


def coerce_arguments(
    func_or_signature: Callable[..., Any] | ToolSignature,
    arguments: Mapping[str, Any] | None,
    *,
    skip: SkipPredicate | None = None,
) -> dict[str, Any]:
    """Convert validated JSON ``arguments`` into keyword arguments for the function.

    Prefer building a :class:`ToolSignature` once and calling its
    ``coerce``; given a function, this builds (and caches) one.
    """
    if isinstance(func_or_signature, ToolSignature):
        return func_or_signature.coerce(arguments)
    return _cached_signature(func_or_signature, skip).coerce(arguments)


@functools.lru_cache(maxsize=256)
def _cached_signature(func: Callable[..., Any], skip: SkipPredicate | None) -> ToolSignature:
    return build_tool_signature(func, skip=skip, structured_output=False)
