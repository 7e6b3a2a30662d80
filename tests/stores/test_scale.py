"""A quick sanity run with 1,000 tasks on every store kind (correctness only, no timing)."""

from __future__ import annotations

import threading

from mcp_sync.tasks import TaskLimits

from .conftest import call_tool_result

N = 1_000
OK = call_tool_result("ok")


def test_thousand_tasks(kit):
    store = kit.make(TaskLimits(max_tasks=N, max_active_per_owner=N, page_size=100,
                                min_ttl_ms=0))
    owners = [f"owner-{k}" for k in range(4)]
    created: dict[str, list[str]] = {owner: [] for owner in owners}
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(N // 4):
            owner = owners[(n + i) % 4]
            rec = store.create(owner, "tools/call", ttl_ms=600_000)
            if i % 2 == 0:
                store.set_result(rec.task_id, "completed", result=OK)
            elif i % 4 == 1:
                store.cancel(rec.task_id, owner)
            with lock:
                created[owner].append(rec.task_id)

    threads = [threading.Thread(target=worker, args=(n,), name=f"scale-{n}") for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == N

    statuses: dict[str, int] = {}
    for owner in owners:
        seen, cursor, seqs = [], None, []
        while True:
            page = store.list_page(owner, cursor)
            seen += [r.task_id for r in page.tasks]
            seqs += [r.seq for r in page.tasks]
            for r in page.tasks:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(created[owner])
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # creation order
    per_worker = range(N // 4)
    assert statuses == {"completed": 4 * sum(1 for i in per_worker if i % 2 == 0),
                        "cancelled": 4 * sum(1 for i in per_worker if i % 4 == 1),
                        "working": 4 * sum(1 for i in per_worker if i % 4 == 3)}

    for owner in owners:
        for tid in created[owner][: len(created[owner]) // 2]:
            assert store.delete(tid)
    assert len(store) == N // 2
    assert store.expire(now=kit.clock() + 3_600) == N // 2
    assert len(store) == 0
    assert all(store.list_page(owner).tasks == [] for owner in owners)
