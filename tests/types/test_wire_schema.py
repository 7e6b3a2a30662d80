"""The shared schema helper (tests/wire_schema.py)."""

from __future__ import annotations

import pytest

from tests import wire_schema
from tests.wire_schema import VERSIONS, definitions, validate, validator


@pytest.mark.parametrize("version", VERSIONS)
def test_every_revision_resolves_refs(version: str) -> None:
    # Implementation is referenced from InitializeResult/serverInfo or Task from results: $refs must resolve.
    def_name = "Implementation" if "Implementation" in definitions(version) else "Task"
    assert def_name in definitions(version)
    with pytest.raises(AssertionError, match=f"{version} {def_name}: .*required property"):
        validate(version, def_name, {})


def test_ref_into_the_same_document_is_followed() -> None:
    result = {"content": [{"type": "text", "text": 5}]}
    with pytest.raises(AssertionError, match="2024-11-05 CallToolResult"):
        validate("2024-11-05", "CallToolResult", result)
    validate("2024-11-05", "CallToolResult", {"content": [{"type": "text", "text": "5"}]})


def test_validators_are_cached() -> None:
    assert validator("2025-11-25", "Tool") is validator("2025-11-25", "Tool")


def test_unknown_definition_is_an_error() -> None:
    with pytest.raises(KeyError, match="NoSuchThing"):
        validate("2026-07-28", "NoSuchThing", {})


def test_missing_schema_directory_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(wire_schema, "SCHEMA_ROOT", tmp_path / "nowhere")
    wire_schema.schema_document.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="not found"):
            wire_schema.schema_document("2025-11-25")
    finally:
        wire_schema.schema_document.cache_clear()
