"""Logging: levels, ``logging/setLevel`` and ``notifications/message``."""

from typing import Any, Literal

from .base import WireType, wire

LoggingLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
#: Levels from least to most severe (RFC 5424).
LOGGING_LEVELS: tuple[str, ...] = (
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency",
)


@wire
class SetLevelRequestParams(WireType):
    """``logging/setLevel`` (legacy revisions; 2026-07-28 uses ``_meta`` logLevel)."""

    level: LoggingLevel
    meta: dict[str, Any] | None = None


@wire
class LoggingMessageNotificationParams(WireType):
    level: LoggingLevel
    logger: str | None = None
    data: Any
    meta: dict[str, Any] | None = None
