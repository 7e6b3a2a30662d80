"""JSON Schema validators, compiled once per schema, and readable error messages.

The dialect is JSON Schema 2020-12 unless the schema's ``$schema`` names
another one jsonschema knows (e.g. draft-07); an unknown ``$schema`` is an
error at registration. Remote ``$ref``s are never fetched.
"""

from __future__ import annotations

from typing import Any, Mapping

# jsonschema (and the referencing/rpds stack under it) is imported on first need:
# the flat schemas most tool signatures give are checked at registration by
# _plainly_valid and validated by a precomputed plan, so a server whose tools
# only take simple parameters never imports it unless an argument is invalid.

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


_STR_KEYS = ("description", "title")


def _plainly_valid(schema: Mapping[str, Any]) -> bool:
    """True if ``schema`` is a flat object schema (see :func:`_fast_plan`) whose every keyword is
    well-typed, hence valid against the 2020-12 metaschema without asking jsonschema.

    Only plain ``dict``/``list``/``str``/``bool`` values qualify; anything else
    (``$schema``, other keywords, other container types) returns False and
    goes through ``check_schema``.
    """
    if type(schema) is not dict or not schema.keys() <= _ROOT_KEYS or "$schema" in schema:
        return False
    if schema.get("type") != "object" or type(schema.get("additionalProperties", True)) is not bool:
        return False
    if any(key in schema and type(schema[key]) is not str for key in _STR_KEYS):
        return False
    required = schema.get("required", [])
    if type(required) is not list or any(type(r) is not str for r in required) or len(set(required)) != len(required):
        return False
    properties = schema.get("properties", {})
    if type(properties) is not dict:
        return False
    for name, prop in properties.items():
        if type(name) is not str or type(prop) is not dict or not prop.keys() <= _ANNOTATION_KEYS:
            return False
        kind = prop.get("type")
        if type(kind) is not str or kind not in _PY_TYPES:
            return False
        if any(key in prop and type(prop[key]) is not str for key in _STR_KEYS):
            return False
        if "examples" in prop and type(prop["examples"]) is not list:
            return False
        if "deprecated" in prop and type(prop["deprecated"]) is not bool:
            return False
    return True


class SchemaValidator:
    """A compiled schema. ``problems(instance)`` lists what is wrong (empty when valid).

    Flat schemas of plain typed properties (what most tool signatures give)
    are checked with a precomputed plan; only an instance that fails it, and
    every other schema, goes through jsonschema (``full``, built on first use).
    """

    __slots__ = ("_full", "_plan", "_schema")

    def __init__(self, full: Any, plan: Any, schema: Mapping[str, Any] | None = None) -> None:
        self._full = full
        self._plan = plan
        self._schema = schema

    @property
    def full(self) -> Any:
        """The jsonschema validator (Draft 2020-12 unless ``$schema`` says otherwise)."""
        full = self._full
        if full is None:  # a plainly valid schema, checked without jsonschema at registration
            from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs installed

            full = self._full = Draft202012Validator(self._schema)
        return full

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
    if _plainly_valid(schema):
        return SchemaValidator(None, _fast_plan(schema), schema)
    from jsonschema import Draft202012Validator
    from jsonschema import validators as _validators
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]  # no stubs installed

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
