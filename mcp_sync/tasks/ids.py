"""Task ids: unguessable, because a task id may act as a bearer handle."""

from __future__ import annotations

import secrets

__all__ = ["TASK_ID_BYTES", "new_task_id"]

#: 16 random bytes = 128 bits of entropy (22 URL-safe characters).
TASK_ID_BYTES = 16


def new_task_id() -> str:
    """A fresh task id from the OS CSPRNG (``secrets``), URL- and header-safe."""
    return secrets.token_urlsafe(TASK_ID_BYTES)
