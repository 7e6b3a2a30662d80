"""The cattrs converter and the public ``to_wire``/``from_wire``.

Configured once at import.  Each wire class gets a structure and an
unstructure function generated (compiled) by cattrs with the camelCase
renames, the first time the class is used (``warm_up()`` generates them all);
after that a call is a dict lookup plus the generated code.

Wire names: ``snake_case`` attribute -> ``camelCase`` key; ``meta`` -> ``_meta``.
Unknown keys go to ``extra``.  Fields defaulting to ``None`` or ``UNSET`` are
omitted on output when they hold that default; a required field is always
emitted (``None`` as ``null``).  Primitive fields are type-checked, not coerced.
Arbitrary JSON (``dict[str, Any]``/``Any`` fields) is passed through as is.

Errors: the fast converter does not track paths; when it fails, the input is
run again through a converter with cattrs' detailed validation (built on first
need) to name the class, the field and the wire path in a
:class:`~.base.WireFormatError`.
"""

import types
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, overload

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .base import UNSET, WireFormatError, WireType, json_type_name, union_choosers

__all__ = ["from_wire", "to_wire", "warm_up", "wire_names"]

T = TypeVar("T")


# -- wire names ------------------------------------------------------------------

_WIRE_NAMES: dict[type, dict[str, str]] = {}


def _camel(name: str) -> str:
    if name == "meta":
        return "_meta"
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_names(cls: type) -> dict[str, str]:
    """Attribute name -> wire key, for every field of a wire class except ``extra``."""
    names = _WIRE_NAMES.get(cls)
    if names is None:
        names = {a.name: _camel(a.name) for a in attrs.fields(cls) if a.name != "extra"}
        _WIRE_NAMES[cls] = names
    return names


# -- primitive hooks (check, never coerce) -----------------------------------------


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {json_type_name(value)}")


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {json_type_name(value)}")


def _structure_float(value: Any, _: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise TypeError(f"expected a number, got {json_type_name(value)}")


def _structure_bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise TypeError(f"expected a boolean, got {json_type_name(value)}")


def _structure_object(value: Any, _: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value  # passed through untouched, not copied
    raise TypeError(f"expected a JSON object, got {json_type_name(value)}")


def _structure_id(value: Any, _: Any) -> Union[str, int]:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a string or an integer, got {json_type_name(value)}")


def _literal_factory(type_: Any) -> Any:
    choices = frozenset(get_args(type_))
    expected = ", ".join(repr(c) for c in get_args(type_))

    def structure(value: Any, _: Any = None) -> Any:
        if value.__class__ is str and value in choices:
            return value
        raise ValueError(f"expected one of {expected}, got {value!r}")

    return structure


_JSON_LEAVES = frozenset({str, int, float, bool, type(None), Any})
_UNION_ORIGINS = (Union, types.UnionType)


def _is_plain(type_: Any) -> bool:
    """True when values of ``type_`` are JSON already (output as they are)."""
    try:
        if type_ in _JSON_LEAVES:
            return True
    except TypeError:
        return False
    origin = get_origin(type_)
    if origin is Literal:
        return True
    if origin in _UNION_ORIGINS or origin is list or origin is dict:
        return all(_is_plain(arg) for arg in get_args(type_))
    return False


def _structure_hook(conv: cattrs.Converter, type_: Any) -> Any:
    if hasattr(conv, "get_structure_hook"):  # cattrs >= 24.1
        return conv.get_structure_hook(type_)
    return conv._structure_func.dispatch(type_)  # type: ignore[call-arg, misc, unused-ignore]  # cattrs 23.2 (private API, absent from newer stubs)


def _unstructure_hook(conv: cattrs.Converter, type_: Any) -> Any:
    if hasattr(conv, "get_unstructure_hook"):  # cattrs >= 24.1
        return conv.get_unstructure_hook(type_)
    return conv._unstructure_func.dispatch(type_)  # type: ignore[call-arg, misc, unused-ignore]  # cattrs 23.2 (private API, absent from newer stubs)


def _is_wire_class(type_: Any) -> bool:
    return isinstance(type_, type) and issubclass(type_, WireType)


def _is_optional(type_: Any) -> bool:
    args = get_args(type_) if get_origin(type_) in _UNION_ORIGINS else ()
    return type(None) in args and len(args) > 1 and not _is_union_alias(type_)


def _is_union_alias(type_: Any) -> bool:
    try:
        return type_ in union_choosers()
    except TypeError:
        return False


# -- the converters ------------------------------------------------------------------


def _build(detailed: bool) -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=detailed)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], _structure_object)
    conv.register_structure_hook_func(lambda t: t == Union[str, int], _structure_id)
    conv.register_structure_hook_factory(
        lambda t: get_origin(t) is Literal,  # type: ignore[comparison-overlap]  # mypy: wrong get_origin overload
        _literal_factory)
    conv.register_unstructure_hook_func(_is_plain, identity)

    def structure_factory(cls: type) -> Any:
        names = wire_names(cls)
        overrides: dict[str, Any] = {attr: override(rename=key) for attr, key in names.items()}
        gen: Any = make_dict_structure_fn(
            cls, conv, _cattrs_detailed_validation=detailed, extra=override(omit=True), **overrides
        )
        known = frozenset(names.values())
        what = cls.__name__

        def structure(value: Any, _: Any = None) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected a JSON object ({what}), got {json_type_name(value)}")
            obj = gen(value, cls)
            if not value.keys() <= known:
                obj.extra = {k: v for k, v in value.items() if k not in known}
            return obj

        return structure

    def unstructure_factory(cls: type) -> Any:
        names = wire_names(cls)
        overrides: dict[str, Any] = {"extra": override(omit=True)}
        for a in attrs.fields(cls):
            if a.name != "extra":
                optional = a.default is None or a.default is UNSET
                overrides[a.name] = override(rename=names[a.name], omit_if_default=optional)
        gen: Any = make_dict_unstructure_fn(cls, conv, **overrides)

        def unstructure(obj: Any) -> dict[str, Any]:
            out: dict[str, Any] = gen(obj)
            extra = obj.extra
            if extra:
                for key, value in extra.items():
                    if key not in out:  # a known field wins
                        out[key] = value
            return out

        return unstructure

    def list_factory(type_: Any) -> Any:
        (item_type,) = get_args(type_)
        item = _structure_hook(conv, item_type)

        def structure(value: Any, _: Any = None) -> list[Any]:
            if not isinstance(value, list):
                raise TypeError(f"expected an array, got {json_type_name(value)}")
            if not detailed:
                return [item(v, item_type) for v in value]
            out, errors = [], []
            for index, v in enumerate(value):
                try:
                    out.append(item(v, item_type))
                except Exception as exc:
                    note = IterableValidationNote(f"@ index {index}", index, item_type)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
            return out

        return structure

    def dict_factory(type_: Any) -> Any:
        _, value_type = get_args(type_)
        item = _structure_hook(conv, value_type)

        def structure(value: Any, _: Any = None) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise TypeError(f"expected a JSON object, got {json_type_name(value)}")
            if not detailed:
                return {k: item(v, value_type) for k, v in value.items()}
            out, errors = {}, []
            for key, v in value.items():
                try:
                    out[key] = item(v, value_type)
                except Exception as exc:
                    note = IterableValidationNote(f"@ key {key!r}", key, value_type)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
            return out

        return structure

    def optional_factory(type_: Any) -> Any:
        # ``X | None``, with X's hook looked up once (cattrs looks it up on every call).
        inner_type = Union[tuple(a for a in get_args(type_) if a is not type(None))]  # type: ignore[valid-type]
        inner = _structure_hook(conv, inner_type)

        def structure(value: Any, _: Any = None) -> Any:
            return None if value is None else inner(value, inner_type)

        return structure

    def union_factory(alias: Any) -> Any:
        chooser = union_choosers()[alias][1]
        hooks: dict[Any, Any] = {}

        def structure(value: Any, _: Any = None) -> Any:
            type_ = chooser(value)
            hook = hooks.get(type_)
            if hook is None:
                hook = hooks[type_] = _structure_hook(conv, type_)
            return hook(value, type_)

        return structure

    conv.register_structure_hook_factory(_is_wire_class, structure_factory)
    conv.register_unstructure_hook_factory(_is_wire_class, unstructure_factory)
    conv.register_structure_hook_factory(
        lambda t: get_origin(t) is list,  # type: ignore[comparison-overlap]  # mypy: wrong get_origin overload
        list_factory)
    conv.register_structure_hook_factory(
        lambda t: get_origin(t) is dict  # type: ignore[comparison-overlap]  # mypy: wrong get_origin overload
        and t != dict[str, Any] and get_args(t)[:1] == (str,), dict_factory
    )
    conv.register_structure_hook_factory(_is_optional, optional_factory)
    conv.register_structure_hook_factory(_is_union_alias, union_factory)
    return conv


_CONVERTER = _build(detailed=False)
_DETAILED: list[cattrs.Converter] = []  # built on the first error
_STRUCTURE: dict[Any, Any] = {}
_UNSTRUCTURE: dict[type, Any] = {}


# -- public API --------------------------------------------------------------------


def to_wire(obj: WireType) -> dict[str, Any]:
    """The wire (JSON-ready) dict of a wire object; unknown fields from ``extra`` included."""
    fn = _UNSTRUCTURE.get(obj.__class__)
    if fn is None:
        if not isinstance(obj, WireType):
            raise TypeError(f"to_wire() takes a wire type instance, not {type(obj).__name__}")
        fn = _UNSTRUCTURE[obj.__class__] = _unstructure_hook(_CONVERTER, obj.__class__)
    wire: dict[str, Any] = fn(obj)
    return wire


@overload
def from_wire(cls: type[T], data: Any) -> T: ...
@overload
def from_wire(cls: Any, data: Any) -> Any: ...
def from_wire(cls: Any, data: Any) -> Any:
    """Read ``data`` (parsed JSON) as ``cls``: a wire class, a union alias such
    as ``ContentBlock``, or a container of them (``list[Tool]``).

    Raises :class:`WireFormatError` (a ``ValueError``) naming the class and the
    wrong field.
    """
    try:
        fn = _STRUCTURE.get(cls)
    except TypeError:  # unhashable "type"
        raise TypeError(f"from_wire() cannot read values as {cls!r}") from None
    if fn is None:
        fn = _STRUCTURE[cls] = _structure_hook(_CONVERTER, cls)
    try:
        return fn(data, cls)
    except Exception as exc:
        raise _diagnose(cls, data, exc) from exc


def warm_up() -> None:
    """Generate the hooks of every wire class and union now rather than on first use."""
    pending = [WireType]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not WireType:
            _STRUCTURE.setdefault(cls, _structure_hook(_CONVERTER, cls))
            _UNSTRUCTURE.setdefault(cls, _unstructure_hook(_CONVERTER, cls))
    for alias in union_choosers():
        _STRUCTURE.setdefault(alias, _structure_hook(_CONVERTER, alias))


# -- error reporting -----------------------------------------------------------------


def _type_name(cls: Any) -> str:
    entry = union_choosers().get(cls) if _is_union_alias(cls) else None
    if entry is not None:
        return entry[0]
    return getattr(cls, "__name__", None) or repr(cls)


def _diagnose(cls: Any, data: Any, exc: Exception) -> WireFormatError:
    if not _DETAILED:
        _DETAILED.append(_build(detailed=True))
    try:
        _structure_hook(_DETAILED[0], cls)(data, cls)
    except Exception as detailed_exc:  # the expected outcome
        problems = _problems(detailed_exc, "", "")
    else:
        problems = [("", f"{type(exc).__name__}: {exc}")]
    return WireFormatError(_type_name(cls), problems)


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _problems(exc: BaseException, path: str, owner: str) -> list[tuple[str, str]]:
    if isinstance(exc, BaseValidationError):
        found: list[tuple[str, str]] = []
        for sub in exc.exceptions:
            sub_path, sub_owner = path, owner
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote) and isinstance(exc, ClassValidationError):
                    sub_path = _join(path, wire_names(exc.cl).get(note.name, note.name))
                    sub_owner = f"{exc.cl.__name__}.{note.name}"
                elif isinstance(note, IterableValidationNote):
                    sub_path = _join(path, note.index)
            if sub_owner == owner and isinstance(exc, ClassValidationError):
                sub_owner = exc.cl.__name__
            found.extend(_problems(sub, sub_path, sub_owner))
        return found
    if isinstance(exc, KeyError):
        message = "required field is missing"
    else:
        message = str(exc) or type(exc).__name__
    if owner:
        message = f"{message} ({owner})"
    return [(path, message)]
