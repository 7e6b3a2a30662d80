"""The default task table: in process memory, one lock, an expiry heap and a reaper.

Layout (all guarded by ``_lock``; ``_cond`` is a Condition on the same lock):

* ``_tasks``: task id -> current :class:`~mcp_sync.tasks.model.TaskRecord`.
* ``_owners``: owner -> :class:`_OwnerIndex`, that owner's task ids in creation
  order (parallel ``seqs``/``ids`` lists). ``tasks/list`` seeks with ``bisect``
  on the sequence number encoded in the cursor, so a page costs O(log n + page)
  and a cursor stays valid when tasks before or after it are removed. Removed
  entries are skipped lazily; the front is trimmed as expiry eats it and the
  middle compacted once dead entries outnumber live ones (amortised O(1)).
* ``_heap``: ``(deadline, seq, task_id)`` for every task with a TTL. Entries of
  tasks deleted early stay behind ("stale") and are skipped when popped; the
  heap is rebuilt if stale entries ever outnumber live ones.
* ``_waiters``: task id -> events of threads blocked in :meth:`wait_for`. A change
  to a task wakes only that task's waiters (no thundering herd on one Condition).

The reaper thread (``mcp-sync-task-reaper``, started by the first task with a TTL
or by :meth:`start`, joined by :meth:`close`) sleeps in ``_cond.wait(timeout)``
until the earliest deadline; ``create`` notifies it only when a new task becomes
the earliest. It pops expired entries in batches of ``reap_batch`` and releases
the lock between batches, so reaping costs O(k log n) for k expired tasks and
never holds the lock for long. Waiters and listeners are called after the lock
is released. A reaper batch also stops after ``REAP_SLICE`` (30 us) of removal
work (about 12 tasks), and while more are due it pauses ``REAP_PAUSE`` (0.2 ms)
between batches, blocked, so request threads get the GIL within tens of
microseconds: a mass expiry of 100,000 tasks does not stall requests (removing
them then takes a few seconds; reads already treat them as gone). Reads also treat a
task past its deadline as gone, so expiry is exact even if the reaper runs late.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import itertools
import logging
import threading
import time
from bisect import bisect_right
from typing import Any, Callable, Mapping

from .errors import InvalidCursor, TaskNotFound, TaskStoreClosed
from .ids import new_task_id
from .limits import TaskLimits
from .model import Owner, TaskRecord
from .status import WORKING
from .store import ANY_OWNER, KEEP, TaskEvent, TaskPage, TaskStore
from .transitions import (
    check_outcome,
    check_update_status,
    is_mapping,
    plan_cancel,
    plan_input,
    plan_result,
    plan_status,
)
from .waiting import add_waiter, block, hook_cancel, remove_waiter, wake_all

__all__ = ["InMemoryTaskStore"]

log = logging.getLogger("mcp_sync.tasks")

_monotonic = time.monotonic
_perf = time.perf_counter
_wall = time.time

#: Seconds the reaper pauses between two batches when more tasks are already due (see _reap_loop).
REAP_PAUSE = 0.0002
#: Seconds of removal work the reaper does per lock hold at most (see _reap_loop).
REAP_SLICE = 0.00003
#: Index entries trimmed/compacted only past this many dead ones.
_COMPACT_MIN = 256
_CURSOR_VERSION = 1


class _OwnerIndex:
    """One owner's task ids in creation order; ``ids[head:]`` may hold ``dead`` removed ids."""

    __slots__ = ("seqs", "ids", "head", "dead")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.ids: list[str] = []
        self.head = 0
        self.dead = 0

    def live(self) -> int:
        return len(self.ids) - self.head - self.dead


class InMemoryTaskStore(TaskStore):
    """Thread-safe in-memory :class:`~mcp_sync.tasks.store.TaskStore`.

    ``limits`` configures capacity, TTLs and paging; ``reap_batch`` is how many
    expired tasks the reaper removes per lock hold. Use as a context manager or
    call :meth:`close` to stop the reaper.
    """

    def __init__(self, limits: TaskLimits | None = None, *, reap_batch: int = 16) -> None:
        super().__init__(limits)
        if reap_batch < 1:
            raise ValueError("reap_batch must be positive")
        self._reap_batch = reap_batch
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._tasks: dict[str, TaskRecord] = {}
        self._owners: dict[Any, _OwnerIndex] = {}
        self._active: dict[Any, int] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._stale = 0
        self._waiters: dict[str, list[threading.Event]] = {}
        self._seq = itertools.count(1)
        self._closed = False
        self._reaper: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "InMemoryTaskStore":
        with self._lock:
            if self._closed:
                raise TaskStoreClosed()
            self._start_reaper_locked()
        return self

    def close(self) -> None:
        with self._lock:
            self._closed = True
            reaper = self._reaper
            waiters = [w for lst in self._waiters.values() for w in lst]
            self._waiters.clear()
            self._cond.notify_all()
        wake_all(waiters)
        if reaper is not None and reaper is not threading.current_thread():
            reaper.join()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        """Tasks currently held (expired ones count until the reaper removes them)."""
        return len(self._tasks)

    def _start_reaper_locked(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap_loop, name="mcp-sync-task-reaper",
                                            daemon=True)
            self._reaper.start()  # no deadlock: start() only waits for the thread to boot

    # -- writes --------------------------------------------------------------

    def create(self, owner: Owner, method: str, *, ttl_ms: int | None = None,
               poll_interval_ms: int | None = None,
               status_message: str | None = None) -> TaskRecord:
        limits = self.limits
        ttl = limits.resolve_ttl(ttl_ms)
        if poll_interval_ms is None:
            poll_interval_ms = limits.poll_interval_ms
        task_id = new_task_id()
        now = _wall()
        deadline = None if ttl is None else _monotonic() + ttl / 1000.0
        with self._lock:
            if self._closed:
                raise TaskStoreClosed()
            limits.check_capacity(len(self._tasks), self._active.get(owner, 0))
            seq = next(self._seq)
            record = TaskRecord(task_id, owner, method, WORKING, now, now, ttl,
                                poll_interval_ms=poll_interval_ms, status_message=status_message,
                                deadline=deadline, seq=seq)
            self._tasks[task_id] = record
            index = self._owners.get(owner)
            if index is None:
                index = self._owners[owner] = _OwnerIndex()
            index.seqs.append(seq)
            index.ids.append(task_id)
            self._active[owner] = self._active.get(owner, 0) + 1
            if deadline is not None:
                heap = self._heap
                heapq.heappush(heap, (deadline, seq, task_id))
                if self._reaper is None:
                    self._start_reaper_locked()
                elif heap[0][1] == seq:  # new earliest deadline: the reaper must re-arm
                    self._cond.notify()
        if self._listeners:
            self._emit(record, TaskEvent.CREATED)
        return record

    def update_status(self, task_id: str, status: str, *, status_message: Any = KEEP,
                      input_requests: Any = KEEP) -> TaskRecord:
        check_update_status(status)
        now = _wall()
        with self._lock:
            old = self._lookup(task_id, ANY_OWNER)
            new = plan_status(old, status, status_message, input_requests, now)
            waiters = self._commit_locked(old, new)
        wake_all(waiters)
        if self._listeners:
            self._emit(new, TaskEvent.STATUS if old.status != status else TaskEvent.UPDATED)
        return new

    def set_result(self, task_id: str, status: str, *, result: Mapping[str, Any] | None = None,
                   error: Mapping[str, Any] | None = None,
                   status_message: Any = KEEP) -> TaskRecord:
        check_outcome(status, result, error)
        now = _wall()
        with self._lock:
            old = self._lookup(task_id, ANY_OWNER)
            new = plan_result(old, status, result, error, status_message, now)
            if new is None:
                return old  # cancelled stays cancelled; the late outcome is dropped
            waiters = self._commit_locked(old, new)
        wake_all(waiters)
        if self._listeners:
            self._emit(new, TaskEvent.STATUS)
        return new

    def cancel(self, task_id: str, owner: Owner, *,
               status_message: str | None = None) -> TaskRecord:
        now = _wall()
        with self._lock:
            old = self._lookup(task_id, owner)
            new = plan_cancel(old, status_message, now)
            waiters = self._commit_locked(old, new)
        wake_all(waiters)
        if self._listeners:
            self._emit(new, TaskEvent.STATUS)
        return new

    def submit_input(self, task_id: str, owner: Owner,
                     responses: Mapping[str, Any]) -> list[str]:
        if not is_mapping(responses):
            raise TypeError("responses must be a mapping of input request key -> response")
        now = _wall()
        with self._lock:
            old = self._lookup(task_id, owner)
            new, accepted = plan_input(old, responses, now)
            if new is None:
                return []
            waiters = self._commit_locked(old, new)
        wake_all(waiters)
        if self._listeners:
            self._emit(new, TaskEvent.UPDATED)
        return accepted

    def delete(self, task_id: str, owner: Owner = ANY_OWNER) -> bool:
        with self._lock:
            record = self._tasks.get(task_id) if isinstance(task_id, str) else None
            if record is None or (owner is not ANY_OWNER and record.owner != owner):
                return False
            if record.deadline is not None:
                self._stale += 1
                if self._stale > _COMPACT_MIN and self._stale * 2 > len(self._heap):
                    self._rebuild_heap_locked(skip=task_id)
            waiters = self._remove_locked(record)
        wake_all(waiters)
        if self._listeners:
            self._emit(record, TaskEvent.REMOVED)
        return True

    def expire(self, now: float | None = None) -> int:
        """Remove expired tasks now (``now`` in ``time.monotonic()`` seconds)."""
        total = 0
        more = True
        while more:
            with self._lock:
                removed, waiters, more = self._pop_expired_locked(
                    _monotonic() if now is None else now)
            self._finish_removals(removed, waiters)
            total += len(removed)
        return total

    # -- reads ---------------------------------------------------------------

    def get(self, task_id: str, owner: Owner) -> TaskRecord:
        with self._lock:
            return self._lookup(task_id, owner)

    def list_page(self, owner: Owner, cursor: str | None = None,
                  limit: int | None = None) -> TaskPage:
        if owner is ANY_OWNER:
            raise ValueError("list_page() needs a real owner")
        if limit is None:
            limit = self.limits.page_size
        elif limit < 1:
            raise ValueError("limit must be positive")
        after = 0 if cursor is None else _decode_cursor(cursor)
        now = _monotonic()
        page: list[TaskRecord] = []
        next_cursor = None
        with self._lock:
            index = self._owners.get(owner)
            if index is None:
                return TaskPage(page, None)
            ids = index.ids
            tasks = self._tasks
            end = len(ids)
            i = bisect_right(index.seqs, after, index.head, end)
            while i < end:
                record = tasks.get(ids[i])
                i += 1
                if record is None or (record.deadline is not None and record.deadline <= now):
                    continue
                if len(page) == limit:  # one more live task exists: not the last page
                    next_cursor = _encode_cursor(page[-1].seq)
                    break
                page.append(record)
        return TaskPage(page, next_cursor)

    def wait_for(self, task_id: str, owner: Owner, predicate: Callable[[TaskRecord], bool], *,
                 timeout: float | None = None, cancel: Any = None) -> TaskRecord:
        deadline = None if timeout is None else _monotonic() + timeout
        # The usual tasks/result finds its task terminal already: answer without an Event or a hook.
        with self._lock:
            if self._closed:
                raise TaskStoreClosed()
            record = self._lookup(task_id, owner)
        if predicate(record):  # outside the lock: it is caller code
            return record
        wake = threading.Event()
        unhook = hook_cancel(cancel, wake.set)
        try:
            while True:
                with self._lock:
                    if self._closed:
                        raise TaskStoreClosed()
                    record = self._lookup(task_id, owner)
                    add_waiter(self._waiters, task_id, wake)
                if predicate(record):  # outside the lock: it is caller code
                    return record
                block(wake, task_id, cancel, deadline, timeout)
        finally:
            if unhook is not None:
                unhook()
            with self._lock:
                remove_waiter(self._waiters, task_id, wake)

    # -- internals (call with _lock held unless noted) -----------------------

    def _lookup(self, task_id: str, owner: Owner) -> TaskRecord:
        record = self._tasks.get(task_id) if isinstance(task_id, str) else None
        if (record is None
                or (owner is not ANY_OWNER and record.owner != owner)
                or (record.deadline is not None and record.deadline <= _monotonic())):
            raise TaskNotFound()
        return record

    def _commit_locked(self, old: TaskRecord, new: TaskRecord) -> list[threading.Event] | None:
        self._tasks[new.task_id] = new
        if new.is_terminal and not old.is_terminal:
            self._release_active_locked(old.owner)
        return self._waiters.pop(new.task_id, None)

    def _release_active_locked(self, owner: Any) -> None:
        count = self._active[owner] - 1
        if count:
            self._active[owner] = count
        else:
            del self._active[owner]

    def _remove_locked(self, record: TaskRecord) -> list[threading.Event] | None:
        tasks = self._tasks
        del tasks[record.task_id]
        if not record.is_terminal:
            self._release_active_locked(record.owner)
        index = self._owners[record.owner]
        index.dead += 1
        ids = index.ids
        end = len(ids)
        head = index.head
        while head < end and ids[head] not in tasks:  # expiry mostly removes the oldest
            head += 1
            index.dead -= 1
        index.head = head
        if index.live() == 0:
            del self._owners[record.owner]
        elif head > _COMPACT_MIN and head * 2 > end:
            del ids[:head]
            del index.seqs[:head]
            index.head = 0
        elif index.dead > _COMPACT_MIN and index.dead * 2 > end - head:
            keep = [i for i in range(head, end) if ids[i] in tasks]
            seqs = index.seqs
            index.ids = [ids[i] for i in keep]
            index.seqs = [seqs[i] for i in keep]
            index.head = index.dead = 0
        return self._waiters.pop(record.task_id, None)

    def _rebuild_heap_locked(self, skip: str) -> None:
        tasks = self._tasks
        heap = [entry for entry in self._heap
                if entry[2] != skip and (r := tasks.get(entry[2])) is not None
                and r.deadline == entry[0]]
        heapq.heapify(heap)
        self._heap = heap
        self._stale = 0

    def _pop_expired_locked(self, now: float, slice_bound: bool = False
                            ) -> tuple[list[TaskRecord], list[threading.Event], bool]:
        """Pop at most ``reap_batch`` heap entries due by ``now`` (and, with ``slice_bound``, stop
        after ``REAP_SLICE`` seconds of work); True if more are due."""
        heap = self._heap
        tasks = self._tasks
        removed: list[TaskRecord] = []
        waiters: list[threading.Event] = []
        batch = budget = self._reap_batch
        stop = _perf() + REAP_SLICE if slice_bound else None
        while heap and heap[0][0] <= now:
            if budget == 0 or (stop is not None and budget < batch and _perf() >= stop):
                return removed, waiters, True  # (a slice pops one entry at least)
            budget -= 1
            deadline, _, task_id = heapq.heappop(heap)
            record = tasks.get(task_id)
            if record is None or record.deadline != deadline:
                self._stale -= 1
                continue
            woken = self._remove_locked(record)
            if woken:
                waiters.extend(woken)
            removed.append(record)
        return removed, waiters, False

    def _finish_removals(self, removed: list[TaskRecord], waiters: list[threading.Event]) -> None:
        """Lock NOT held: wake waiters, tell listeners."""
        wake_all(waiters)
        if self._listeners:
            self._emit_removed(removed)

    def _reap_loop(self) -> None:
        cond = self._cond
        while True:
            with cond:
                while True:
                    if self._closed:
                        return
                    if self._heap:
                        delay = self._heap[0][0] - _monotonic()
                        if delay <= 0:
                            break
                        cond.wait(delay)
                    else:
                        cond.wait()
                removed, waiters, more = self._pop_expired_locked(_monotonic(), True)
            try:  # lock released between batches
                self._finish_removals(removed, waiters)
            except Exception:  # pragma: no cover - _emit already guards listeners
                log.exception("task reaper: post-removal work failed")
            if more:
                # More are due: let request threads have the GIL before the next batch. Without a
                # blocking call here the reaper keeps the GIL until the interpreter forces a switch
                # (5 ms): every request arriving during a mass expiry would wait that long.
                with cond:
                    if not self._closed:
                        cond.wait(REAP_PAUSE)


def _encode_cursor(seq: int) -> str:
    raw = bytes((_CURSOR_VERSION,)) + seq.to_bytes(8, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_cursor(cursor: Any) -> int:
    if not isinstance(cursor, str) or len(cursor) != 12:
        raise InvalidCursor()
    try:
        raw = base64.b64decode(cursor, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    if len(raw) != 9 or raw[0] != _CURSOR_VERSION:
        raise InvalidCursor()
    return int.from_bytes(raw[1:], "big")
