"""Process-wide timer work and in-order delivery without threads of their own.

* :class:`Timer` runs short callbacks at given times on **one** named thread
  shared by every session of the process (request deadlines, the worker
  pools' deferred start of more workers). The
  thread starts on first use and exits once nothing is scheduled for
  ``linger`` seconds, or at once when :meth:`Timer.release_if_idle` asks (a
  session closing joins it that way, so no test sees it outlive its owner).
  Callbacks must be quick and must not block: they run one after another.
* :class:`SerialQueue` runs callables one at a time, in submission order, on
  the threads of a pool (anything with ``submit(fn, *args)``): a session's
  notifications reach the user's callbacks in order without a notification
  thread per session.

:func:`shared_timer` returns the process's timer.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import os
import threading
import time
from typing import Any, Callable

log = logging.getLogger("mcp_sync.scheduling")

#: How long the timer thread stays once nothing is scheduled (a burst of work schedules again soon).
TIMER_LINGER = 1.0
#: How long :meth:`Timer.release_if_idle` joins the thread once it exits.
RELEASE_TIMEOUT = 5.0
#: Calls due within this many seconds do not stop :meth:`Timer.release_if_idle` from joining the thread.
RELEASE_SOON = 0.1
#: Above this many cancelled entries (and more than live ones) the heap is rebuilt without them.
_COMPACT_AT = 256


class TimerHandle:
    """One scheduled call; :meth:`cancel` it when it is no longer wanted."""

    __slots__ = ("when", "fn", "args", "_timer")

    def __init__(self, timer: "Timer", when: float, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._timer = timer
        self.when = when
        self.fn: Callable[..., Any] | None = fn
        self.args = args

    def cancel(self) -> bool:
        """Drop the call; False when it already ran or was cancelled."""
        return self._timer._cancel(self)

    @property
    def pending(self) -> bool:
        return self.fn is not None


class Timer:
    """Calls scheduled by time on one shared, named, daemon thread (see the module doc)."""

    def __init__(self, name: str = "mcp-sync-timer", linger: float | None = None) -> None:
        self.name = name
        self._linger = linger
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._live = 0  # entries not cancelled nor run
        self._thread: threading.Thread | None = None
        self._exited: threading.Thread | None = None  # the last thread that left (joined by release_if_idle)
        self._release = False  # exit as soon as idle (release_if_idle)

    # -- scheduling --------------------------------------------------------

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        """Call ``fn(*args)`` on the timer thread ``delay`` seconds from now."""
        return self.call_at(time.monotonic() + delay, fn, *args)

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        """Call ``fn(*args)`` on the timer thread at ``when`` (a ``time.monotonic()`` value)."""
        handle = TimerHandle(self, when, fn, args)
        with self._lock:
            heap = self._heap
            heapq.heappush(heap, (when, next(self._seq), handle))
            self._live += 1
            if self._thread is None:
                self._thread = thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                thread.start()
            elif heap[0][2] is handle:  # earlier than what the thread waits for
                self._cond.notify()
        return handle

    def _cancel(self, handle: TimerHandle) -> bool:
        with self._lock:
            if handle.fn is None:
                return False
            handle.fn = None
            handle.args = ()
            self._live -= 1
            heap = self._heap
            if self._live == 0:
                heap.clear()
                if self._release:
                    self._cond.notify()
            elif len(heap) > _COMPACT_AT and len(heap) > 4 * self._live:
                self._heap = [entry for entry in heap if entry[2].fn is not None]
                heapq.heapify(self._heap)
        return True

    def scheduled(self) -> int:
        """How many calls are waiting."""
        with self._lock:
            return self._live

    # -- the thread --------------------------------------------------------

    def _run(self) -> None:
        me = threading.current_thread()
        cond = self._cond
        while True:
            with cond:
                idle_since: float | None = None
                while True:
                    if self._thread is not me:  # replaced after a fork, or the state was reset
                        return
                    heap = self._heap
                    while heap and heap[0][2].fn is None:
                        heapq.heappop(heap)
                    if heap:
                        idle_since = None
                        wait = heap[0][0] - time.monotonic()
                        if wait <= 0:
                            handle = heapq.heappop(heap)[2]
                            fn, args = handle.fn, handle.args
                            handle.fn = None
                            handle.args = ()
                            self._live -= 1
                            break
                        cond.wait(wait)
                        continue
                    linger = TIMER_LINGER if self._linger is None else self._linger
                    now = time.monotonic()
                    if idle_since is None:
                        idle_since = now
                    if self._release or now - idle_since >= linger:
                        self._thread = None
                        self._exited = me
                        self._release = False
                        cond.notify_all()  # release_if_idle waits for this
                        return
                    cond.wait(linger - (now - idle_since))
            try:
                fn(*args)  # type: ignore[misc]
            except Exception:
                log.exception("timer callback %r failed", fn)
            fn = args = None  # type: ignore[assignment]

    def release_if_idle(self, soon: float = RELEASE_SOON) -> None:
        """Let the thread exit as soon as nothing is scheduled, without lingering; join it if that is now.

        A closing session calls this. Calls due within ``soon`` seconds (a
        worker pool's deferred start) are waited for, and the thread joined
        after them; a later one (another session's deadline) keeps the thread,
        which then exits without lingering once idle, unless more is scheduled.
        """
        with self._cond:
            thread = self._thread
            if thread is None:  # gone, or going: join the last one (it may not have returned yet)
                thread = self._exited
                if thread is not None and thread is not threading.current_thread():
                    self._cond.release()
                    try:
                        thread.join(RELEASE_TIMEOUT)
                    finally:
                        self._cond.acquire()
                return
            if thread is threading.current_thread():
                return
            self._release = True
            self._cond.notify_all()
            limit = time.monotonic() + soon
            while self._thread is thread:
                heap = self._heap
                if self._live and min(entry[0] for entry in heap if entry[2].fn is not None) > limit:
                    return  # something far off keeps it: it exits by itself once idle
                remaining = limit - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)
        thread.join(RELEASE_TIMEOUT)

    def thread(self) -> threading.Thread | None:
        """The timer's thread while it runs."""
        with self._lock:
            return self._thread

    def _after_fork(self) -> None:  # in the child: the parent's thread does not exist here
        self._init_state()


_TIMER = Timer()


def shared_timer() -> Timer:
    """The process-wide :class:`Timer`."""
    return _TIMER


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_TIMER._after_fork)


class SerialQueue:
    """Runs what is submitted one at a time, in order, on a pool's threads (see the module doc).

    ``submit(fn, *args, must_run=False)``; :meth:`cancel` drops what has not
    started and returns the ``must_run`` calls for the caller to run itself.
    ``pool.submit`` raising RuntimeError (shut down) makes :meth:`submit` raise
    it too, unless a drain already running will reach the call.
    """

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._items: collections.deque[tuple[Callable[..., Any], tuple[Any, ...], bool]] = collections.deque()
        self._running = False
        self._cancelled = False

    def submit(self, fn: Callable[..., Any], *args: Any, must_run: bool = False) -> None:
        entry = (fn, args, must_run)
        with self._lock:
            if self._cancelled:
                raise RuntimeError("cannot schedule new work after cancel")
            self._items.append(entry)
            if self._running:
                return
            self._running = True
        try:
            self._pool.submit(self.drain)
        except RuntimeError:
            with self._lock:
                self._running = False
                try:
                    self._items.remove(entry)
                except ValueError:
                    pass
            raise

    def drain(self) -> None:
        """Run queued calls until none is left (what the pool runs)."""
        items = self._items
        lock = self._lock
        while True:
            with lock:
                if not items:
                    self._running = False
                    return
                fn, args, _ = items.popleft()
            try:
                fn(*args)
            except Exception:
                log.exception("queued call %r failed", fn)

    def cancel(self) -> list[Callable[[], Any]]:
        """Accept nothing more; drop what has not started; return the ``must_run`` calls dropped."""
        with self._lock:
            self._cancelled = True
            dropped = list(self._items)
            self._items.clear()  # in place: a drain running now holds this deque
        return [_bind(fn, args) for fn, args, must in dropped if must]


def _bind(fn: Callable[..., Any], args: tuple[Any, ...]) -> Callable[[], Any]:
    return lambda: fn(*args)
