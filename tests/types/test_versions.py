"""Instances of every wire type of each revision, emitted and validated against
that revision's official schema (and read back)."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_sync.types import from_wire, result_for_version, to_wire, wire_names
from tests.types.samples import NOT_WIRE_TYPES, ROWS, VERSIONS, Row
from tests.wire_schema import definitions, validate


def emit(row: Row, version: str, obj: Any) -> Any:
    """The wire value the definition ``row.def_name`` describes."""
    kind = row.kind
    if kind == "map":
        return {key: to_wire(value) for key, value in obj.items()}
    wire = to_wire(obj)
    if kind == "meta":
        return wire["_meta"]
    if kind == "result":
        return result_for_version(wire, version)
    if kind == "response":
        return {"jsonrpc": "2.0", "id": 5, "result": result_for_version(wire, version)}
    if kind == "error":
        return wire
    if kind == "error_envelope":
        return {"jsonrpc": "2.0", "id": 1, "error": wire}
    if isinstance(kind, tuple):
        envelope: dict[str, Any] = {"jsonrpc": "2.0", "method": kind[1], "params": wire}
        if kind[0] == "request":
            envelope["id"] = "req-1"
        return envelope
    return wire


def cases() -> list[Any]:
    out = []
    for version in VERSIONS:
        defs = definitions(version)
        for index, row in enumerate(ROWS):
            if row.def_name in defs and row.factory(version) is not None:
                out.append(pytest.param(version, index, id=f"{version}-{row.def_name}-{index}"))
    return out


@pytest.mark.parametrize(("version", "index"), cases())
def test_instance_is_valid_for_its_revision(version: str, index: int) -> None:
    row = ROWS[index]
    obj = row.factory(version)
    validate(version, row.def_name, emit(row, version, obj))
    # and it reads back into the same object
    if row.kind == "map":
        assert from_wire(row.read_as, {k: to_wire(v) for k, v in obj.items()}) == obj
    else:
        assert from_wire(row.read_as or type(obj), to_wire(obj)) == obj


@pytest.mark.parametrize("version", VERSIONS)
def test_every_definition_has_a_sample(version: str) -> None:
    covered = {row.def_name for row in ROWS if row.factory(version) is not None}
    missing = sorted(set(definitions(version)) - covered - NOT_WIRE_TYPES)
    assert not missing, f"{version}: no sample instance for {missing}"


def _properties(version: str, schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """Every property name a schema allows, through $ref, allOf and anyOf."""
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if ref and ref not in seen:
        names |= _properties(version, definitions(version)[ref.rsplit("/", 1)[1]], seen | {ref})
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, ()):
            names |= _properties(version, sub, seen)
    return names


def _is_union(schema: dict[str, Any]) -> bool:
    return "properties" not in schema and any(k in schema for k in ("anyOf", "oneOf"))


def _flatten(version: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    parts = [schema]
    ref = schema.get("$ref")
    if ref:
        parts += _flatten(version, definitions(version)[ref.rsplit("/", 1)[1]])
    for sub in schema.get("allOf", ()):
        parts += _flatten(version, sub)
    return parts


def object_schema(version: str, row: Row) -> dict[str, Any] | None:
    """The schema of the object ``to_wire`` makes for ``row`` (None: not a single class:
    a union, a map, an error, a ``_meta`` dict, a response envelope)."""
    if row.kind in ("error", "error_envelope", "meta", "map", "response"):
        return None
    schema = definitions(version)[row.def_name]
    if isinstance(row.kind, tuple):  # envelope: look at its params
        params: dict[str, Any] = {}
        for part in _flatten(version, schema):
            if "params" in part.get("properties", {}):
                params = part["properties"]["params"]
        schema = params
    while "$ref" in schema and len(schema) == 1:
        schema = definitions(version)[schema["$ref"].rsplit("/", 1)[1]]
    return None if _is_union(schema) else schema


def property_cases() -> list[Any]:
    return [case for case in cases() if object_schema(case.values[0], ROWS[case.values[1]]) is not None]


@pytest.mark.parametrize(("version", "index"), property_cases())
def test_class_knows_every_schema_property(version: str, index: int) -> None:
    """The class of a sample has a field for every property of its definition
    (nothing the schema defines would land in ``extra``)."""
    row = ROWS[index]
    schema = object_schema(version, row)
    assert schema is not None
    obj = row.factory(version)
    known = set(wire_names(type(obj)).values())
    unknown = _properties(version, schema) - known
    assert not unknown, f"{type(obj).__name__} lacks fields for {sorted(unknown)}"
