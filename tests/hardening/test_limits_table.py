"""README's limits table lists every limit of Limits, TaskLimits and the built-in server, with its real default."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mcp_sync.http import wsgi_server
from mcp_sync.limits import Limits
from mcp_sync.tasks import TaskLimits

README = Path(__file__).resolve().parents[2] / "README.rst"
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "ms": 0.001, "s": 1, "min": 60, "h": 3600}


def table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\nLimits\n------\n"):]
    section = section[:section.index("\nTimeouts on the client side")]
    return dict(re.findall(r"^   \* - ``([^`]+)``\n     - ([^\n]+)$", section, re.M))


def parse(default: str, *, seconds: bool) -> float | None:
    """"16 MiB" -> bytes, "5 min" -> seconds, "1000 tasks" -> 1000, "off" -> None (no limit)."""
    if default.strip() == "off":
        return None
    number, _, unit = default.partition(" ")
    value = float(number.replace(",", ""))
    if seconds:
        return value * UNITS[unit]
    return value * UNITS.get(unit, 1)


def every_limit() -> list[tuple[str, float, bool]]:
    """(name, default, is a duration in seconds) of every limit that must have a row."""
    rows = []
    for cls in (Limits, TaskLimits):
        for field in dataclasses.fields(cls):
            value = field.default
            if field.name.endswith("_ms"):
                rows.append((field.name, None if value is None else value / 1000, True))
            else:
                rows.append((field.name, value, False))
    for name in ("HEADER_TIMEOUT", "BODY_TIMEOUT", "SOCKET_TIMEOUT"):
        rows.append((name, getattr(wsgi_server, name), True))
    rows.append(("max_connections", wsgi_server.MAX_CONNECTIONS, False))
    return rows


@pytest.mark.parametrize("name,default,seconds", every_limit(), ids=[row[0] for row in every_limit()])
def test_every_limit_has_a_row_with_its_default(name, default, seconds):
    rows = table()
    assert name in rows, f"README's limits table has no row for {name}"
    parsed = parse(rows[name], seconds=seconds)
    assert (parsed is None and default is None) or parsed == pytest.approx(default), (name, rows[name], default)


def test_min_ttl_ms_says_what_it_does():
    row = README.read_text(encoding="utf-8").split("``min_ttl_ms``", 1)[1].split("   * - ", 1)[0]
    assert "raised" in row and TaskLimits().resolve_ttl(10) == 1000 and TaskLimits(min_ttl_ms=0).resolve_ttl(10) == 10
