"""Child process for the SQLite crash tests: ``python _sqlite_child.py DB_PATH``.

Opens the store, runs a few tasks with a TaskRunner (one completed, one failed,
one cancelled, one stuck ``working``, one waiting in ``input_required``), prints
one JSON line with their ids and then blocks reading stdin until it is killed.
"""

from __future__ import annotations

import json
import sys
import threading

from mcp_sync.errors import McpError
from mcp_sync.tasks import TaskLimits, TaskRunner
from mcp_sync.tasks.sqlite import SQLiteTaskStore


def main() -> None:
    store = SQLiteTaskStore(sys.argv[1], TaskLimits(max_tasks=None, max_active_per_owner=None,
                                                    default_ttl_ms=None, max_ttl_ms=None))
    runner = TaskRunner(store, max_workers=4)
    stuck = threading.Event()  # never set: the process dies first

    def fail(ctx):
        raise McpError(-32000, "boom", {"why": "test"})

    completed = runner.submit(lambda ctx: {"content": [{"type": "text", "text": "kept \u2713"}]},
                              owner="alice")
    failed = runner.submit(fail, owner="alice")
    cancelled = runner.submit(lambda ctx: (stuck.wait(), {})[1], owner="alice")
    working = runner.submit(lambda ctx: (stuck.wait(), {})[1], owner="alice")
    asking = runner.submit(
        lambda ctx: ctx.request_input({"q": {"method": "roots/list", "params": {}}}) and {},
        owner="bob")
    store.wait_terminal(completed.task_id, "alice", timeout=30)
    store.wait_terminal(failed.task_id, "alice", timeout=30)
    store.cancel(cancelled.task_id, "alice")
    store.update_status(working.task_id, "working", status_message="halfway")
    store.wait_for(asking.task_id, "bob", lambda r: r.status == "input_required", timeout=30)
    print(json.dumps({"completed": completed.task_id, "failed": failed.task_id,
                      "cancelled": cancelled.task_id, "working": working.task_id,
                      "input_required": asking.task_id, "instance": store.instance_id,
                      "page": store.list_page("alice", limit=2).next_cursor}), flush=True)
    sys.stdin.readline()  # the parent kills us while we wait here


if __name__ == "__main__":
    main()
