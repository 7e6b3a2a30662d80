"""MCP logging: levels, ``logging/setLevel``, and a bridge from the stdlib ``logging`` module.

    handler = server.log_handler()            # a logging.Handler
    logging.getLogger("myapp").addHandler(handler)

Records logged while a request handler runs go to that request's client (on
its stream, over HTTP); other records go to every connected client. Each
client only gets levels at or above what it set with ``logging/setLevel``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..errors import INVALID_PARAMS, McpError

if TYPE_CHECKING:
    from ..session import IncomingRequest
    from .connection import ServerConnection
    from .server import Server

#: RFC 5424 severities, lowest first.
LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
SEVERITY = {name: rank for rank, name in enumerate(LEVELS)}


def check_level(level: Any) -> str:
    if level not in SEVERITY:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LEVELS)}")
    known: str = level  # one of LEVELS
    return known


def level_for(levelno: int) -> str:
    """The MCP level of a stdlib logging level number."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def set_level(connection: "ServerConnection", request: "IncomingRequest") -> dict[str, Any]:
    """``logging/setLevel``: remember the client's minimum level."""
    level = request.params.get("level")
    if level not in SEVERITY:
        raise McpError(INVALID_PARAMS, f"Invalid params: unknown log level {level!r}; expected one of "
                                       f"{', '.join(LEVELS)}", {"level": level})
    connection.log_level = level
    return {}


_reentry = threading.local()


class McpLogHandler(logging.Handler):
    """Forwards stdlib log records to MCP clients as ``notifications/message``.

    The record's logger name becomes the MCP ``logger``; the formatted
    message its ``data``. Records from ``mcp_sync`` itself are not forwarded
    (they would loop).
    """

    def __init__(self, server: "Server", level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("mcp_sync") or getattr(_reentry, "active", False):
            return
        _reentry.active = True
        try:
            from .context import current_context

            level = level_for(record.levelno)
            data = self.format(record)
            ctx = current_context()
            if ctx is not None and ctx.server is self.server:
                ctx.log(level, data, logger=record.name)
            else:
                self.server.log(level, data, logger=record.name)
        except Exception:
            self.handleError(record)
        finally:
            _reentry.active = False
