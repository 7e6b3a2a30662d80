"""The 2026-07-28 tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663) as an
:class:`~mcp_sync.server.extensions.Extension`: the proof that the extension API carries a real one.

Every :class:`~mcp_sync.Server` adds it at construction. It is declared in
``server/discover`` (modern era only: 2025-11-25 has core ``tasks`` instead)
whenever the server's tasks are enabled, and serves ``tasks/get``,
``tasks/update`` and ``tasks/cancel`` of 2026-07-28 requests from the
server's task table (:class:`~mcp_sync.server.tasks.ServerTasks`). The
wire itself is :mod:`mcp_sync.tasks.extension`; task creation on
``tools/call`` stays in the core dispatch (it is a result shape of that
method, not a separate method).
"""

from __future__ import annotations

from typing import Any

from ..tasks.extension import EXTENSION_ID
from .connection import MODERN_ERA
from .extensions import Extension, ExtensionSetup

__all__ = ["TasksExtension"]


class TasksExtension(Extension):
    """The tasks extension on one server's task table (``server.extensions.get("io.modelcontextprotocol/tasks")``)."""

    id = EXTENSION_ID
    eras = (MODERN_ERA,)

    def __init__(self, tasks: Any) -> None:
        self.tasks = tasks

    def enabled(self) -> bool:
        return bool(self.tasks.enabled)

    def install(self, setup: ExtensionSetup) -> None:
        setup.method("tasks/get", self.tasks.extension_get)
        setup.method("tasks/update", self.tasks.extension_update)
        setup.method("tasks/cancel", self.tasks.extension_cancel)
