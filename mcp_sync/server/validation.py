"""JSON Schema validators, compiled once per schema, and readable error messages.

The dialect is JSON Schema 2020-12 unless the schema's ``$schema`` names
another one jsonschema knows (e.g. draft-07); an unknown ``$schema`` is an
error at registration. Remote ``$ref``s are never fetched.
"""

from __future__ import annotations

from typing import Any, Mapping

from jsonschema import Draft202012Validator
from jsonschema import validators as _validators
from jsonschema.exceptions import SchemaError

#: At most this many problems are listed in one message.
MAX_PROBLEMS = 5


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),),
}
_ANNOTATION_KEYS = frozenset({"type", "description", "title", "default", "examples", "deprecated"})
_ROOT_KEYS = frozenset({"type", "properties", "required", "additionalProperties", "description", "title",
                        "$schema"})


def _fast_plan(schema: Mapping[str, Any]) -> tuple[dict[str, tuple[type, ...]], tuple[str, ...], bool] | None:
    """For a flat object schema of plain typed properties: (types, required, closed); else None."""
    if not schema.keys() <= _ROOT_KEYS or schema.get("type") != "object":
        return None
    closed = schema.get("additionalProperties", True)
    if closed not in (True, False):
        return None
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, Mapping) or not isinstance(required, list):
        return None
    types: dict[str, tuple[type, ...]] = {}
    for name, prop in properties.items():
        if not isinstance(prop, Mapping) or not prop.keys() <= _ANNOTATION_KEYS:
            return None
        kind = prop.get("type")
        if not isinstance(kind, str) or kind not in _PY_TYPES:
            return None
        types[name] = _PY_TYPES[kind]
    return types, tuple(required), closed is False


class SchemaValidator:
    """A compiled schema. ``problems(instance)`` lists what is wrong (empty when valid).

    Flat schemas of plain typed properties (what most tool signatures give)
    are checked with a precomputed plan; only an instance that fails it, and
    every other schema, goes through jsonschema.
    """

    __slots__ = ("full", "_plan")

    def __init__(self, full: Any, plan: Any) -> None:
        self.full = full
        self._plan = plan

    def _fast_ok(self, instance: Any) -> bool:
        types, required, closed = self._plan
        if type(instance) is not dict:
            return False
        for name in required:
            if name not in instance:
                return False
        for name, value in instance.items():
            allowed = types.get(name)
            if allowed is None:
                if closed:
                    return False
                continue
            if type(value) is bool and bool not in allowed:
                return False
            if not isinstance(value, allowed):
                return False
        return True

    def problems(self, instance: Any) -> list[str]:
        if self._plan is not None and self._fast_ok(instance):
            return []
        errors = sorted(self.full.iter_errors(instance),
                        key=lambda e: (list(map(str, e.absolute_path)), e.message))
        out = [f"{_path(e)}: {e.message}" for e in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            out.append(f"... and {len(errors) - MAX_PROBLEMS} more")
        return out


def compile_schema(schema: Mapping[str, Any], *, what: str) -> SchemaValidator:
    """A validator for ``schema``. Raises TypeError if the schema itself is invalid."""
    if not isinstance(schema, Mapping):
        raise TypeError(f"{what}: a JSON Schema must be an object, not {type(schema).__name__}")
    if "$schema" in schema:
        cls = _validators.validator_for(schema, default=None)
        if cls is None:
            raise TypeError(f"{what}: unsupported JSON Schema dialect {schema['$schema']!r}")
    else:
        cls = Draft202012Validator
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise TypeError(f"{what}: invalid JSON Schema: {exc.message}") from None
    return SchemaValidator(cls(schema), _fast_plan(schema))


def _path(error: Any) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "<root>"


def problems(validator: SchemaValidator, instance: Any) -> list[str]:
    """Human-readable problems with ``instance`` (empty when it is valid)."""
    return validator.problems(instance)
