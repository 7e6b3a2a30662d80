"""What a definition looks like on the wire of each protocol revision.

A definition (tool, resource, template, prompt) is built once as the newest
wire dict; :func:`views` precomputes, per revision, the dict without the
members that revision does not define (``title`` before 2025-06-18,
``execution`` outside 2025-11-25...). Lists then pick the view by the
connection's version: no per-request work.
"""

from __future__ import annotations

from typing import Any

from ..protocol.versions import ALL_VERSIONS, V2025_03_26, V2025_06_18, V2025_11_25

# kind -> member -> (first revision, last revision or None)
_MEMBERS: dict[str, dict[str, tuple[str, str | None]]] = {
    "tool": {
        "annotations": (V2025_03_26, None),
        "title": (V2025_06_18, None),
        "outputSchema": (V2025_06_18, None),
        "_meta": (V2025_06_18, None),
        "icons": (V2025_11_25, None),
        "execution": (V2025_11_25, V2025_11_25),
    },
    "resource": {"title": (V2025_06_18, None), "_meta": (V2025_06_18, None), "icons": (V2025_11_25, None)},
    "template": {"title": (V2025_06_18, None), "_meta": (V2025_06_18, None), "icons": (V2025_11_25, None)},
    "prompt": {"title": (V2025_06_18, None), "_meta": (V2025_06_18, None), "icons": (V2025_11_25, None)},
    "prompt_argument": {"title": (V2025_06_18, None)},
    "implementation": {"title": (V2025_06_18, None), "description": (V2025_11_25, None),
                       "websiteUrl": (V2025_11_25, None), "icons": (V2025_11_25, None)},
}


def _known(kind: str, member: str, version: str) -> bool:
    span = _MEMBERS[kind].get(member)
    if span is None:
        return True
    first, last = span
    return version >= first and (last is None or version <= last)


def view(kind: str, wire: dict[str, Any], version: str) -> dict[str, Any]:
    """``wire`` without the members ``version`` does not define (``wire`` itself if none)."""
    drop = [key for key in wire if not _known(kind, key, version)]
    if not drop:
        return wire
    return {k: v for k, v in wire.items() if k not in drop}


def views(kind: str, wire: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Revision -> view of ``wire``, for every revision this SDK speaks."""
    return {version: view(kind, wire, version) for version in ALL_VERSIONS}


def pick(views_: dict[str, dict[str, Any]], version: str | None, default: dict[str, Any]) -> dict[str, Any]:
    return views_.get(version, default) if version is not None else default
