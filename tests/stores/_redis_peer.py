"""A second process sharing a RedisTaskStore: ``python _redis_peer.py URL PREFIX``.

Reads one JSON command per line on stdin and answers with JSON lines on stdout:

* ``{"op": "get", "id", "owner"}`` -> ``{"status", "result", "version"}``
* ``{"op": "list", "owner"}`` -> ``{"ids": [...]}``
* ``{"op": "create", "owner"}`` -> ``{"id"}``
* ``{"op": "complete", "id"}`` -> ``{"status"}``
* ``{"op": "cancel", "id", "owner"}`` -> ``{"status"}``
* ``{"op": "wait", "id", "owner"}``: prints ``{"waiting": true}`` once the waiter has
  read the task and is about to block, then ``{"status"}`` when it wakes
  (``{"error": "TaskWaitTimeout"}`` after 20 s).
* ``{"op": "events"}`` -> ``{"events": [[event, task id, status], ...]}`` heard by a
  listener since start.
* ``{"op": "await_event", "event", "id"}`` -> ``{"heard": true}`` once the listener
  has heard that event for that task (``{"error": "timeout"}`` after 20 s).
* ``{"op": "quit"}``: closes the store and exits.

Errors come back as ``{"error": "<exception class name>"}``.
"""

from __future__ import annotations

import json
import sys
import threading

from mcp_sync.tasks import TaskLimits
from mcp_sync.tasks.redis_store import RedisTaskStore


def main() -> None:
    store = RedisTaskStore(sys.argv[1], TaskLimits(max_tasks=None, max_active_per_owner=None,
                                                   min_ttl_ms=0),
                           prefix=sys.argv[2]).start()
    events: list[list[str]] = []
    lock = threading.Condition()

    def listener(record, event):
        with lock:
            events.append([event, record.task_id, record.status])
            lock.notify_all()

    store.add_listener(listener)

    def send(obj) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    send({"ready": True, "instance": store.instance_id})
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        try:
            if op == "quit":
                break
            if op == "get":
                rec = store.get(cmd["id"], cmd["owner"])
                send({"status": rec.status, "result": rec.result, "version": rec.version})
            elif op == "list":
                send({"ids": [r.task_id for r in store.list_page(cmd["owner"]).tasks]})
            elif op == "create":
                send({"id": store.create(cmd["owner"], "tools/call").task_id})
            elif op == "complete":
                rec = store.set_result(cmd["id"], "completed",
                                       result={"content": [], "from": "peer"})
                send({"status": rec.status})
            elif op == "cancel":
                send({"status": store.cancel(cmd["id"], cmd["owner"]).status})
            elif op == "wait":
                announced = []

                def predicate(record):
                    if not announced:
                        announced.append(True)
                        send({"waiting": True})
                    return record.is_terminal

                rec = store.wait_for(cmd["id"], cmd["owner"], predicate, timeout=20)
                send({"status": rec.status, "result": rec.result})
            elif op == "await_event":
                with lock:
                    heard = lock.wait_for(lambda: any(e[0] == cmd["event"] and e[1] == cmd["id"]
                                                      for e in events), timeout=20)
                send({"heard": True} if heard else {"error": "timeout"})
            elif op == "events":
                with lock:
                    send({"events": list(events)})
            else:
                send({"error": f"unknown op {op!r}"})
        except Exception as exc:
            send({"error": type(exc).__name__})
    store.close()


if __name__ == "__main__":
    main()
