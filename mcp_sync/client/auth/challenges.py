"""Parsing ``WWW-Authenticate`` challenges (RFC 9110 §11.6.1, RFC 6750 §3, RFC 9449 §7.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["Challenge", "find_challenge", "parse_www_authenticate"]

_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*[ \t]*(?:,|$)")


@dataclass
class Challenge:
    """One challenge: ``scheme`` plus its auth-params (lower-case names) or a ``token68``."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name.lower(), default)

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def scope(self) -> list[str] | None:
        """The ``scope`` parameter split on spaces (None when absent)."""
        value = self.params.get("scope")
        return None if value is None else [s for s in value.split() if s]

    @property
    def resource_metadata(self) -> str | None:
        return self.params.get("resource_metadata")

    def is_scheme(self, *schemes: str) -> bool:
        return self.scheme.lower() in {s.lower() for s in schemes}


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _read_token(text: str, i: int) -> tuple[str, int]:
    start = i
    while i < len(text) and text[i] not in " \t,=\"":
        i += 1
    return text[start:i], i


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    # text[i] == '"'
    i += 1
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i  # unterminated: take what there is


def parse_www_authenticate(values: str | Iterable[str] | None) -> list[Challenge]:
    """Every challenge in one or more ``WWW-Authenticate`` header values.

    Tolerant: unknown syntax is skipped rather than raising.
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    challenges: list[Challenge] = []
    for text in values:
        current: Challenge | None = None
        i = 0
        n = len(text)
        while i < n:
            i = _skip_ws(text, i)
            while i < n and text[i] in ", \t":
                i += 1
            if i >= n:
                break
            token, j = _read_token(text, i)
            if not token:
                i = j + 1  # stray character
                continue
            k = _skip_ws(text, j)
            if k < n and text[k] == "=" and current is not None:
                # auth-param: name = token / quoted-string
                k = _skip_ws(text, k + 1)
                if k < n and text[k] == '"':
                    value, k = _read_quoted(text, k)
                else:
                    value, k = _read_token(text, k)
                current.params.setdefault(token.lower(), value)
                i = k
                continue
            # a new challenge starts with its scheme
            current = Challenge(token)
            challenges.append(current)
            i = _skip_ws(text, j)
            m = _TOKEN68.match(text, i)
            if m and "=" not in text[i:m.end()].rstrip(" \t,").rstrip("="):
                # token68 (e.g. "Basic abc==" or "Negotiate xyz"); not an auth-param
                current.token68 = text[i:m.end()].rstrip(" \t,")
                i = m.end()
    return challenges


def find_challenge(values: str | Iterable[str] | None, schemes: tuple[str, ...] = ("Bearer", "DPoP")) -> Challenge | None:
    """The most useful challenge among ``schemes``: one with ``resource_metadata`` first."""
    found = [c for c in parse_www_authenticate(values) if c.is_scheme(*schemes)]
    for c in found:
        if c.resource_metadata:
            return c
    return found[0] if found else None
