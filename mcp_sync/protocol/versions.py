"""Protocol revisions this SDK speaks and the rules that differ between them."""

from __future__ import annotations

import re

V2024_11_05 = "2024-11-05"
V2025_03_26 = "2025-03-26"
V2025_06_18 = "2025-06-18"
V2025_11_25 = "2025-11-25"
V2026_07_28 = "2026-07-28"

#: Revisions negotiated with the ``initialize`` handshake, oldest first.
LEGACY_VERSIONS: tuple[str, ...] = (V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25)
#: Stateless revisions (per-request ``_meta``), oldest first.
MODERN_VERSIONS: tuple[str, ...] = (V2026_07_28,)
ALL_VERSIONS: tuple[str, ...] = LEGACY_VERSIONS + MODERN_VERSIONS

LATEST_LEGACY = V2025_11_25
LATEST = V2026_07_28

#: What a Streamable HTTP server assumes when a request has no MCP-Protocol-Version header.
HTTP_DEFAULT_VERSION = V2025_03_26


#: What a revision identifier looks like (``YYYY-MM-DD``).
_REVISION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_revision(version: object) -> bool:
    """True when ``version`` has the shape of a revision identifier (``YYYY-MM-DD``), known or not."""
    return isinstance(version, str) and _REVISION.fullmatch(version) is not None


def is_modern(version: str) -> bool:
    """True for revisions of the stateless era (2026-07-28 and later).

    Only well-formed revision identifiers (``YYYY-MM-DD``) can be modern: a
    string that merely sorts after ``"2026-07-28"`` (``"x0"``, ``"9"``) is not.
    A well-formed later date is (an unknown future revision of this era).
    """
    return is_revision(version) and version >= V2026_07_28


def allows_batches(version: str | None) -> bool:
    """JSON-RPC batches may be received only from peers on 2025-03-26.

    Before negotiation (``version is None``) a batch is accepted too, since the
    peer may be about to negotiate 2025-03-26.
    """
    return version is None or version == V2025_03_26


def negotiate(requested: str, supported: tuple[str, ...] = LEGACY_VERSIONS) -> str:
    """The version a legacy server answers to ``initialize``.

    The requested version when supported, else the latest supported one.
    """
    if requested in supported:
        return requested
    return supported[-1]
