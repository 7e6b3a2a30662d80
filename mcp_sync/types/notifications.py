"""Params of the notifications that carry more than ``_meta``.

(``*/list_changed`` and ``notifications/initialized`` use ``NotificationParams``.)
"""

from typing import Any

from .base import WireType, wire
from .common import ProgressToken, RequestId


@wire
class ProgressNotificationParams(WireType):
    progress_token: ProgressToken
    progress: float
    total: float | None = None
    message: str | None = None  # 2025-03-26 and later
    meta: dict[str, Any] | None = None


@wire
class CancelledNotificationParams(WireType):
    #: Required up to 2025-06-18 and in 2026-07-28; optional in 2025-11-25 (tasks).
    request_id: RequestId | None = None
    reason: str | None = None
    meta: dict[str, Any] | None = None


@wire
class ResourceUpdatedNotificationParams(WireType):
    uri: str
    meta: dict[str, Any] | None = None


@wire
class ElicitationCompleteNotificationParams(WireType):
    """``notifications/elicitation/complete`` (2025-11-25 only)."""

    elicitation_id: str
    meta: dict[str, Any] | None = None
