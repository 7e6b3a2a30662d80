"""Micro-benchmark of the task table (not a test): python benchmarks/tasks_table.py [N]

Prints, for the in-memory store and the wire adapters (no transport):
  1. create -> complete -> fetch (tasks/get + tasks/result) per second, single thread,
     and the same through TaskRunner (thread pool) with 8 client threads;
  2. memory held by N retained small completed tasks (tracemalloc);
  3. one tasks/list page (100 tasks, rendered) with N tasks in the table;
  4. reaping N expired tasks: total time, and the worst tasks/get latency seen by
     a concurrent reader while the reaper works.
Targets: 5,000 tasks/s; 100,000 tasks < 150 MB; a list page < 2 ms; no stall.
"""

from __future__ import annotations

import gc
import statistics
import sys
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from mcp_sync.tasks import InMemoryTaskStore, TaskEvent, TaskLimits, TaskRunner, legacy

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
LIMITS = TaskLimits(max_tasks=None, max_active_per_owner=None, default_ttl_ms=3_600_000,
                    max_ttl_ms=None, min_ttl_ms=0, page_size=100)


def small_result(i: int) -> dict:
    return {"content": [{"type": "text", "text": f"result {i}"}]}


def bench_throughput(count: int = 50_000) -> None:
    with InMemoryTaskStore(LIMITS) as store:
        start = time.perf_counter()
        for i in range(count):
            rec = store.create("client", "tools/call", ttl_ms=60_000)
            legacy.create_task_result(rec)
            store.set_result(rec.task_id, "completed", result=small_result(i))
            params = {"taskId": rec.task_id}
            legacy.get_task(store, "client", params)
            legacy.get_task_result(store, "client", params)
        elapsed = time.perf_counter() - start
    print(f"create-complete-fetch, store+adapters, 1 thread : {count / elapsed:10,.0f} tasks/s")

    count = 20_000
    with InMemoryTaskStore(LIMITS) as store, TaskRunner(store, max_workers=8) as runner:
        def client(n: int) -> None:
            for i in range(n):
                rec = runner.submit(lambda ctx, i=i: small_result(i), owner="client",
                                    ttl_ms=60_000)
                legacy.get_task_result(store, "client", {"taskId": rec.task_id}, timeout=10)

        start = time.perf_counter()
        with ThreadPoolExecutor(8, thread_name_prefix="bench-client") as pool:
            for f in [pool.submit(client, count // 8) for _ in range(8)]:
                f.result()
        elapsed = time.perf_counter() - start
    print(f"submit-run-result via TaskRunner, 8 clients     : {count / elapsed:10,.0f} tasks/s")


def bench_memory(n: int) -> None:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    store = InMemoryTaskStore(LIMITS)
    for i in range(n):
        rec = store.create(f"owner{i % 100}", "tools/call", ttl_ms=3_600_000)
        store.set_result(rec.task_id, "completed", result=small_result(i))
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"memory, {n:,} retained small completed tasks  : {used / 2**20:10.1f} MB "
          f"({used / n:,.0f} B/task)")
    store.close()


def bench_list(n: int) -> None:
    with InMemoryTaskStore(LIMITS) as store:
        for i in range(n):
            store.create("one-owner", "tools/call", ttl_ms=3_600_000)
        cursors = [None]
        out = legacy.list_tasks(store, "one-owner", {})
        while "nextCursor" in out and len(cursors) < n // 100:
            cursors.append(out["nextCursor"])
            out = legacy.list_tasks(store, "one-owner", {"cursor": out["nextCursor"]})
        samples = []
        for cursor in cursors[:: max(1, len(cursors) // 200)]:
            params = {} if cursor is None else {"cursor": cursor}
            t0 = time.perf_counter()
            legacy.list_tasks(store, "one-owner", params)
            samples.append(time.perf_counter() - t0)
    print(f"tasks/list page of 100 with {n:,} tasks          : "
          f"median {statistics.median(samples) * 1e3:.3f} ms, max {max(samples) * 1e3:.3f} ms")


def bench_reap(n: int) -> None:
    store = InMemoryTaskStore(LIMITS)
    removed = [0]
    all_gone = threading.Event()

    def on_change(record, event):
        if event == TaskEvent.REMOVED:
            removed[0] += 1  # only the reaper removes here
            if removed[0] == n:
                all_gone.set()

    store.add_listener(on_change)
    survivor = store.create("reader", "tools/call", ttl_ms=3_600_000)
    records = [store.create(f"owner{i % 100}", "tools/call", ttl_ms=4_000) for i in range(n)]
    first_due, last_due = records[0].deadline, records[-1].deadline
    del records
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def reader() -> None:  # a client hammering tasks/get while the reaper works
        params = {"taskId": survivor.task_id}
        while not stop.is_set():
            t0 = time.monotonic()
            legacy.get_task(store, "reader", params)
            samples.append((t0, time.monotonic() - t0))

    thread = threading.Thread(target=reader, name="bench-reader")
    thread.start()
    finished = all_gone.wait(120)
    done_at = time.monotonic()
    stop.set()
    thread.join()
    store.close()
    before = sorted(lat for t0, lat in samples if t0 < first_due)
    window = sorted(lat for t0, lat in samples if first_due <= t0 <= done_at)
    if not finished or not window or not before:
        print("reaping: did not finish")
        return

    def summary(lats: list[float]) -> str:
        slow = sum(1 for lat in lats if lat > 0.001)
        return (f"{len(lats):,} calls, p99 {lats[int(len(lats) * .99)] * 1e6:.0f} us, "
                f"{slow / len(lats):.3%} > 1 ms, max {lats[-1] * 1e3:.1f} ms")

    print(f"reaping {n:,} expired tasks                    : all gone "
          f"{(done_at - last_due) * 1e3:.0f} ms after the last deadline "
          f"(deadlines spread over {(last_due - first_due) * 1e3:.0f} ms)")
    print(f"  concurrent tasks/get before expiry (baseline)  : {summary(before)}")
    print(f"  concurrent tasks/get while reaping             : {summary(window)}")


if __name__ == "__main__":
    bench_throughput()
    bench_memory(N)
    bench_list(N)
    bench_reap(N)
