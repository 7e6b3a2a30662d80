"""How ``Server(tasks=...)`` turns tasks on: every kind of configuration, an empty store included."""

from __future__ import annotations

import pytest

from mcp_sync import Client, Server
from mcp_sync.tasks import InMemoryTaskStore, TaskLimits


def served(tasks):
    server = Server("cfg", tasks=tasks)

    @server.tool()
    def plain() -> str:
        return "ok"

    return server


@pytest.mark.parametrize("tasks", [True, TaskLimits(), "store"], ids=["true", "limits", "empty-store"])
def test_each_enabling_configuration_declares_tasks(tasks):
    store = InMemoryTaskStore() if tasks == "store" else None
    try:
        server = served(store if store is not None else tasks)
        with Client.connect(server, protocol_version="2025-11-25") as client:
            assert client.server_capabilities.tasks is not None
            assert client.list_tasks() == []
    finally:
        if store is not None:
            store.close()


@pytest.mark.parametrize("tasks", [None, False])
def test_no_tasks_without_task_tools_or_when_off(tasks):
    with Client.connect(served(tasks), protocol_version="2025-11-25") as client:
        assert client.server_capabilities.tasks is None
