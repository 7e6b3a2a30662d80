"""Where the team's ``shared/`` folder is (the spec schemas and the conformance loopback preload).

It sits beside the repository checkout, locally and in CI. A clone made
somewhere else (``git clone /path/to/main /tmp/x/p``) finds it beside the
repository it was cloned from; ``MCP_SYNC_SHARED`` overrides both.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _origin_sibling() -> Path | None:
    try:
        url = subprocess.run(["git", "-C", str(REPO_ROOT), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not url or "://" in url or ":" in url.split("/", 1)[0]:  # not a local path (https, ssh)
        return None
    origin = Path(url).expanduser()
    return (origin.resolve().parent / "shared") if origin.is_dir() else None


def _find() -> Path:
    override = os.environ.get("MCP_SYNC_SHARED")
    if override:
        return Path(override)
    beside = REPO_ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    return _origin_sibling() or beside


#: The shared/ folder (it may not exist: users of it say what is missing).
SHARED_DIR = _find()
