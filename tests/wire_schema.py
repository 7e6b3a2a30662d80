"""Validate JSON values against the official MCP JSON schemas.

    from tests.wire_schema import validate
    validate("2025-11-25", "CallToolResult", {"content": []})

The schemas live in ``shared/spec/schema/<version>/schema.json`` beside the
repository; ``version`` is a revision (``"2024-11-05"`` ... ``"2026-07-28"``)
or ``"ext-tasks"`` (the 2026 tasks extension).  Draft-07 revisions keep their
definitions under ``definitions``, 2020-12 ones under ``$defs``; both work.
``$ref``s resolve inside the same document (via ``referencing``).  A missing
schema directory is an error, never a skip.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from tests.shared_dir import SHARED_DIR

SCHEMA_ROOT = SHARED_DIR / "spec" / "schema"
VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28", "ext-tasks")


def _require_root() -> Path:
    if not SCHEMA_ROOT.is_dir():
        raise RuntimeError(f"MCP schemas not found at {SCHEMA_ROOT} (the repo must sit beside shared/, or set MCP_SYNC_SHARED)")
    return SCHEMA_ROOT


@functools.lru_cache(maxsize=None)
def schema_document(version: str) -> dict[str, Any]:
    """The parsed ``schema.json`` of ``version``."""
    path = _require_root() / version / "schema.json"
    if not path.is_file():
        raise RuntimeError(f"no schema for {version!r} at {path}")
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def definitions(version: str) -> dict[str, Any]:
    """Definition name -> schema, for ``version``."""
    doc = schema_document(version)
    return doc.get("$defs") or doc["definitions"]


def _defs_key(version: str) -> str:
    return "$defs" if "$defs" in schema_document(version) else "definitions"


@functools.lru_cache(maxsize=None)
def _registry_and_uri(version: str) -> tuple[Registry, str, type]:
    doc = schema_document(version)
    uri = doc.get("$id") or f"urn:mcp-schema:{version}"
    resource = Resource.from_contents(doc)
    validator_cls = jsonschema.validators.validator_for(doc)
    return Registry().with_resource(uri, resource), uri, validator_cls


@functools.lru_cache(maxsize=None)
def validator(version: str, def_name: str) -> Any:
    """A compiled validator for one definition (cached per (version, def))."""
    if def_name not in definitions(version):
        raise KeyError(f"{def_name!r} is not defined in the {version} schema")
    registry, uri, validator_cls = _registry_and_uri(version)
    schema = {"$ref": f"{uri}#/{_defs_key(version)}/{def_name}"}
    if validator_cls.META_SCHEMA.get("$schema"):
        schema["$schema"] = validator_cls.META_SCHEMA["$schema"]
    return validator_cls(schema, registry=registry)


def validate(version: str, def_name: str, instance: Any) -> None:
    """Raise ``AssertionError`` (with the jsonschema message) unless ``instance`` is valid."""
    error = best_match(validator(version, def_name).iter_errors(instance))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        raise AssertionError(f"{version} {def_name}: {error.message} (at {where})")
