"""Extension identifiers and declarations (``capabilities.extensions``, SEP-2133), without I/O."""

from __future__ import annotations

import re
from typing import Any, Mapping

__all__ = ["check_extension_id", "declared_extension"]

#: ``vendor-prefix/name``: a reverse-DNS-ish prefix, one slash, a name.
_ID = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def check_extension_id(extension_id: Any) -> str:
    """``extension_id`` if it is a valid identifier (``vendor-prefix/name``); ValueError otherwise."""
    if not isinstance(extension_id, str) or not _ID.match(extension_id):
        raise ValueError(f"an extension id is 'vendor-prefix/name' (e.g. 'com.example/audit'), not {extension_id!r}")
    return extension_id


def declared_extension(capabilities: Any, extension_id: str) -> dict[str, Any] | None:
    """The settings object ``capabilities.extensions[extension_id]`` (a copy), or None when absent or not an object."""
    extensions = capabilities.get("extensions") if isinstance(capabilities, Mapping) else None
    settings = extensions.get(extension_id) if isinstance(extensions, Mapping) else None
    return dict(settings) if isinstance(settings, Mapping) else None
