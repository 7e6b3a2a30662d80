"""Task statuses, the legal transitions between them, and how an outcome maps to one.

Both wires (2025-11-25 core tasks and the 2026-07-28 tasks extension) share the
five statuses and the state machine::

    working        -> input_required | completed | failed | cancelled
    input_required -> working | completed | failed | cancelled
    completed, failed, cancelled: terminal, never change

They differ on one point, decided by :func:`outcome_status`: a tool result with
``isError: true`` makes the task ``failed`` on the 2025-11-25 wire and
``completed`` on the extension wire.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final, Literal, Mapping

from .errors import InvalidTransition

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "EXTENSION_WIRE",
    "FAILED",
    "INPUT_REQUIRED",
    "LEGACY_WIRE",
    "STATUSES",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "TaskStatus",
    "can_transition",
    "check_transition",
    "is_terminal",
    "outcome_status",
]

WORKING: Final = "working"
INPUT_REQUIRED: Final = "input_required"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"

TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]

STATUSES: Final = frozenset({WORKING, INPUT_REQUIRED, COMPLETED, FAILED, CANCELLED})
TERMINAL_STATUSES: Final = frozenset({COMPLETED, FAILED, CANCELLED})

#: status -> the statuses it may move to. Terminal statuses map to the empty set.
TRANSITIONS: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    WORKING: frozenset({INPUT_REQUIRED, COMPLETED, FAILED, CANCELLED}),
    INPUT_REQUIRED: frozenset({WORKING, COMPLETED, FAILED, CANCELLED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
})

#: The 2025-11-25 core tasks wire (SEP-1686).
LEGACY_WIRE: Final = "2025-11-25"
#: The 2026-07-28 ``io.modelcontextprotocol/tasks`` extension wire (SEP-2663).
EXTENSION_WIRE: Final = "io.modelcontextprotocol/tasks"


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


def can_transition(current: str, new: str) -> bool:
    """True when ``current -> new`` is an edge of the state machine (never for ``x -> x``)."""
    allowed = TRANSITIONS.get(current)
    return allowed is not None and new in allowed


def check_transition(current: str, new: str) -> None:
    """Raise :class:`~mcp_sync.tasks.errors.InvalidTransition` unless ``current -> new`` is legal."""
    if not can_transition(current, new):
        raise InvalidTransition(current, new)


def outcome_status(result: Mapping[str, Any] | None, error: Mapping[str, Any] | None,
                   *, wire: str = LEGACY_WIRE) -> str:
    """The terminal status for a finished request.

    A JSON-RPC error is always ``failed``. A result with ``isError: true`` is
    ``failed`` on the 2025-11-25 wire and ``completed`` on the extension wire.
    """
    if error is not None:
        return FAILED
    if wire == LEGACY_WIRE and result is not None and result.get("isError") is True:
        return FAILED
    return COMPLETED
