"""Task ids: unguessable, because a task id may act as a bearer handle."""

from __future__ import annotations

from typing import Any

__all__ = ["TASK_ID_BYTES", "new_task_id"]

#: 16 random bytes = 128 bits of entropy (22 URL-safe characters).
TASK_ID_BYTES = 16


def new_task_id() -> str:
    """A fresh task id from the OS CSPRNG (``secrets``), URL- and header-safe."""
    import secrets  # on first use: secrets imports hmac, which loads OpenSSL (~3.5 MB resident)

    return secrets.token_urlsafe(TASK_ID_BYTES)


def __getattr__(name: str) -> Any:
    if name == "secrets":  # ``ids.secrets`` as before the import moved into new_task_id
        import secrets

        return secrets
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
