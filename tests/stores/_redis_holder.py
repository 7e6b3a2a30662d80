"""A worker that holds Redis tasks and then dies: ``python _redis_holder.py URL PREFIX LEASE_MS N``.

Creates ``N`` tasks (owner ``"o"``) in a RedisTaskStore with that lease, moves the
last one to ``input_required``, completes none, prints ``{"ids": [...]}`` and
blocks on stdin, so the test can SIGKILL it mid-task.
"""

from __future__ import annotations

import json
import sys

from mcp_sync.tasks import TaskLimits
from mcp_sync.tasks.redis_store import RedisTaskStore


def main() -> None:
    store = RedisTaskStore(sys.argv[1], TaskLimits(max_tasks=None, max_active_per_owner=None,
                                                   min_ttl_ms=0),
                           prefix=sys.argv[2], lease_ms=int(sys.argv[3])).start()
    ids = [store.create("o", "tools/call", ttl_ms=600_000).task_id for _ in range(int(sys.argv[4]))]
    store.update_status(ids[-1], "input_required",
                        input_requests={"q": {"method": "elicitation/create", "params": {}}})
    sys.stdout.write(json.dumps({"ids": ids}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until killed (or stdin closes)
    store.close()


if __name__ == "__main__":
    main()
