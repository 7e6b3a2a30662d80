"""The session engine: one class carries requests in both directions.

A :class:`Session` owns a transport, a named reader thread and a bounded pool of
worker threads for incoming requests, started on demand; idle workers exit.
Notifications reach the user's callbacks in order, one at a time, on those
workers (a :class:`~mcp_sync.scheduling.SerialQueue`, no thread of its own),
and timeouts are kept by the process-wide timer thread
(:func:`~mcp_sync.scheduling.shared_timer`).

* The reader thread only parses and routes: responses resolve the matching
  :class:`RequestFuture`, requests are submitted to the worker pool, ``ping``
  is answered at once, ``notifications/cancelled`` sets the handler's cancel
  event. It never runs user code (except the done-callbacks a user attaches to
  a future, which run on whichever thread completes it).
* Outgoing requests return a :class:`RequestFuture` at once. ``cancel()`` (or
  a timeout) tells the peer with ``notifications/cancelled``.
* :meth:`Session.close` fails every pending call with
  :class:`~mcp_sync.errors.ConnectionClosed` and joins every thread it started.

The session knows nothing about MCP methods beyond ping, cancellation and
progress: the role (server or client) decides what requests mean through the
``on_request`` and ``on_notification`` callables.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import select
import threading
import time
import weakref
from concurrent.futures import CancelledError, Future
from typing import Any, Callable, Optional

from .errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    ConnectionClosed,
    McpError,
    RequestTimeout,
)
from .limits import DEFAULT_LIMITS, SERVER_BUSY, Limits
from .protocol import jsonrpc
from .protocol.jsonrpc import (
    Batch,
    ErrorResponse,
    Invalid,
    Notification,
    Request,
    RequestId,
    Response,
)
from .protocol.versions import allows_batches
from .scheduling import SerialQueue, TimerHandle, shared_timer
from .signals import Signal
from .transports.base import OVERSIZED, Transport

log = logging.getLogger("mcp_sync.session")

ProgressCallback = Callable[[float, Optional[float], Optional[str]], None]
RequestHandler = Callable[["IncomingRequest"], Any]
NotificationHandler = Callable[[str, Optional[dict[str, Any]]], None]

#: Default number of threads that run incoming requests concurrently.
DEFAULT_MAX_WORKERS = 16
#: How long close() waits for each thread it joins.
JOIN_TIMEOUT = 5.0
#: When the peer closes its side (stdin EOF), how long handlers already running
#: may take to finish and send their responses before the session closes.
DRAIN_TIMEOUT = 5.0
#: When new work finds every worker busy, how long it may wait for one of them to take it
#: before more workers start (see _WorkerPool).
SPAWN_DELAY = 0.001
#: How long a worker may stay idle before it exits (an idle session keeps no thread).
WORKER_IDLE_TIMEOUT = 2.0


class RequestFuture(Future[Any]):
    """The pending result of a request we sent.

    ``result()`` returns the JSON ``result`` object or raises
    :class:`~mcp_sync.errors.McpError`, :class:`~mcp_sync.errors.RequestTimeout`
    or :class:`~mcp_sync.errors.ConnectionClosed`. ``cancel()`` stops waiting
    and tells the peer with ``notifications/cancelled``.
    """

    def __init__(self, session: "Session", request_id: RequestId, method: str) -> None:
        super().__init__()
        self.session = session
        self.request_id = request_id
        self.method = method
        #: The timeout (seconds) the request was sent with, and the tool/prompt name or URI it was about.
        self.timeout: float | None = None
        self.subject: str | None = None
        self._deadline: TimerHandle | None = None  # the timeout's call on the shared timer

    def set_result(self, result: Any) -> None:
        deadline = self._deadline
        if deadline is not None:
            deadline.cancel()
        super().set_result(result)

    def set_exception(self, exception: BaseException | None) -> None:
        deadline = self._deadline
        if deadline is not None:
            deadline.cancel()
        super().set_exception(exception)

    def cancel(self, reason: str | None = None) -> bool:
        if not self.session._claim(self):
            return False
        if self._deadline is not None:
            self._deadline.cancel()
        if not super().cancel():
            return False
        self.session._send_cancel(self, reason or "cancelled by the caller")
        return True


#: Guards the lazy creation of IncomingRequest.cancelled (the reader and a worker may race to it).
_SIGNAL_LOCK = threading.Lock()


def request_meta(params: dict[str, Any]) -> dict[str, Any]:
    """A request's ``_meta`` (empty when absent or not an object)."""
    meta = params.get("_meta")
    return meta if isinstance(meta, dict) else {}


def progress_token_of(params: dict[str, Any]) -> str | int | None:
    """The ``progressToken`` a request's ``_meta`` carries, if it is a valid one."""
    token = request_meta(params).get("progressToken")
    return token if type(token) in (str, int) else None


def progress_params(token: str | int, progress: float, total: float | None, message: str | None) -> dict[str, Any]:
    """The params of a ``notifications/progress``."""
    params: dict[str, Any] = {"progressToken": token, "progress": progress}
    if total is not None:
        params["total"] = total
    if message is not None:
        params["message"] = message
    return params


class IncomingRequest:
    """A request from the peer, as the role's handler sees it.

    ``cancelled`` is set when the peer sends ``notifications/cancelled`` for it
    or the session closes. Messages sent through :meth:`send_request`,
    :meth:`notify` and :meth:`report_progress` are tagged as belonging to this
    request (Streamable HTTP sends them on this request's stream).
    """

    __slots__ = ("session", "id", "method", "params", "_cancelled", "cancel_reason", "in_batch",
                 "extra", "_after")

    def __init__(self, session: "Session", id: RequestId, method: str, params: dict[str, Any] | None,
                 in_batch: bool = False) -> None:
        self.session = session
        self.id = id
        self.method = method
        self.params = params if params is not None else {}
        self._cancelled: Signal | None = None  # made on first use: most requests never need one
        self.cancel_reason: str | None = None
        self.in_batch = in_batch
        #: Per-request data the role or transport attaches (auth subject, HTTP headers...).
        self.extra: dict[str, Any] = {}
        self._after: list[Callable[[], None]] | None = None

    def after_response(self, fn: Callable[[], None]) -> bool:
        """Run ``fn()`` on this request's worker thread once its response has been sent.

        For the handler, while it runs (on its own thread): work that must follow
        the answer (a task's work after its ``CreateTaskResult``) without a hand-off
        to another thread. While ``fn`` runs the worker does not count against the
        session's ``max_workers``: other requests get other workers. ``fn`` runs
        even if the response could not be sent. Returns False, and keeps nothing,
        when the request is not handled by a session worker or was answered already.
        """
        after = self._after
        if after is None:
            return False
        after.append(fn)
        return True

    @property
    def cancelled(self) -> Signal:
        """A :class:`~mcp_sync.signals.Signal` (an Event) set when the request is cancelled."""
        signal = self._cancelled
        if signal is None:
            with _SIGNAL_LOCK:
                signal = self._cancelled
                if signal is None:
                    signal = self._cancelled = Signal()
        return signal

    def is_cancelled(self) -> bool:
        """Whether the request was cancelled (without creating its Signal)."""
        signal = self._cancelled
        return signal is not None and signal.is_set()

    @property
    def meta(self) -> dict[str, Any]:
        return request_meta(self.params)

    @property
    def progress_token(self) -> str | int | None:
        return progress_token_of(self.params)

    def report_progress(self, progress: float, total: float | None = None,
                        message: str | None = None) -> bool:
        """Send ``notifications/progress`` if the requestor asked for progress.

        Returns False (and sends nothing) when it did not.
        """
        token = self.progress_token
        if token is None:
            return False
        params = progress_params(token, progress, total, message)
        self.session.notify("notifications/progress", params, related_id=self.id)
        return True

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.session.notify(method, params, related_id=self.id)

    def send_request(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> RequestFuture:
        return self.session.request(method, params, related_id=self.id, **kwargs)


class _WorkerPool:
    """A bounded pool of named worker threads, like ThreadPoolExecutor without its futures.

    Work runs in submission order on at most ``max_workers`` threads, started
    on demand. Handing work to an idle worker is one wake-up of that worker
    (no Future, no condition variables); the most recently idle worker is
    woken first, and only when no other worker is busy or waking up.

    When work arrives and another worker is busy or already waking up, no
    other worker is woken or started at once (ThreadPoolExecutor starts one):
    that worker takes the work when it comes back for more. The process-wide
    timer (:func:`~mcp_sync.scheduling.shared_timer`) looks again after ``SPAWN_DELAY`` (1 ms), and wakes idle workers, then
    starts new ones, for the work still waiting only if no worker took any
    work meanwhile, i.e. they are all blocked (in a handler waiting on I/O, the
    client, a lock...). Work is taken in order, so while workers make progress
    everything queued is reached; when they are stuck, more workers take it
    within a millisecond. That keeps CPU-bound bursts (16 echo calls in
    flight) on one or two threads instead of sixteen fighting for the GIL:
    +35% calls/s on the pipelined echo benchmark, and a third less server CPU
    per task with 16 task create+result jobs in flight (once a blocked
    ``tasks/result`` had made 16 workers, each message of a burst woke one).

    With ``wake_fd`` each worker sleeps reading its own descriptor (an eventfd,
    else a pipe) and is woken by a write to it. Unlike releasing a lock, that
    write happens with the GIL released, so the woken worker does not wake up
    only to wait for the GIL the submitting thread still holds (a thread about
    to block reading, like a session's reader): on a stdio echo loop that
    saves about a tenth of the time per call. A worker whose descriptor cannot
    be opened sleeps on a lock.

    A worker idle for ``WORKER_IDLE_TIMEOUT`` exits (its wait times out), so an
    idle pool holds no thread. Callables registered with
    :meth:`keep` (a :class:`~mcp_sync.scheduling.SerialQueue`'s drain) survive
    ``shutdown(cancel_futures=True)``.

    Like ThreadPoolExecutor, the threads are joined at interpreter exit after
    finishing the work queued.
    """

    def __init__(self, max_workers: int, thread_name_prefix: str, *, wake_fd: bool = False) -> None:
        self._max = max_workers
        self._spawn_due: float | None = None  # when the deferred start of more workers is due
        self._taken = 0  # work items taken by workers so far (progress, seen by the spawner)
        self._taken_then = 0
        self._spawn_timer: TimerHandle | None = None  # the pending deferred start (shared timer)
        self._keep: list[Callable[..., Any]] = []  # work that shutdown(cancel_futures=True) does not drop
        self._prefix = thread_name_prefix
        self._wake_fd = wake_fd
        self._lock = threading.Lock()
        self._work: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = collections.deque()
        self._idle: list[_Sleeper] = []  # each idle worker (most recent last)
        self._waking = 0  # idle workers told to wake up and not yet back for work
        self._detached = 0  # workers running work out of the pool's count (run_detached)
        #: Every thread started (ThreadPoolExecutor's attribute name; close() joins them).
        self._threads: set[threading.Thread] = set()
        self._retired: list[threading.Thread] = []  # workers that left (over the limit): joined too
        self._shutdown = False
        _LIVE_POOLS.add(self)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``; RuntimeError after :meth:`shutdown`."""
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._work.append((fn, args))
            wake = self._dispatch_locked()
        if wake is not None:
            wake()  # off the lock: a descriptor write releases the GIL

    def _dispatch_locked(self) -> Callable[[], Any] | None:
        """Queued work: the idle worker to wake now, or None (arming the spawner if needed)."""
        work = self._work
        idle = self._idle
        members = len(self._threads) - self._detached
        if idle and self._waking == 0 and members == len(idle):  # nobody else will take it
            self._waking += 1
            return idle.pop().wake
        # A worker waking up or busy takes it when it comes back for work; if none does within
        # SPAWN_DELAY (all blocked), the spawner wakes idle workers or starts new ones for it.
        if len(work) > self._waking and (idle or members < self._max):
            if members == 0:
                self._start_worker()
            elif self._spawn_due is None:  # busy workers may take it first: decide in a moment
                self._spawn_due = time.monotonic() + SPAWN_DELAY
                self._taken_then = self._taken
                self._spawn_timer = shared_timer().call_at(self._spawn_due, self._spawn_later)
        return None

    def keep(self, fn: Callable[..., Any]) -> None:
        """Work calling ``fn`` stays queued through ``shutdown(cancel_futures=True)``."""
        with self._lock:
            self._keep.append(fn)

    def run_detached(self, fn: Callable[[], Any]) -> None:
        """On a worker: run ``fn()`` out of the pool's count (another worker may start meanwhile).

        The worker rejoins the pool afterwards, or leaves if the pool has filled up.
        """
        with self._lock:
            self._detached += 1
            wake = self._dispatch_locked() if self._work and not self._shutdown else None
        if wake is not None:
            wake()
        try:
            fn()
        except BaseException:  # what we run catches its own errors; never lose a worker
            log.exception("work after a response failed")
        finally:
            with self._lock:
                self._detached -= 1

    def _start_worker(self) -> None:  # with the lock held
        thread = threading.Thread(target=self._run, name=f"{self._prefix}_{len(self._threads)}")
        thread.start()  # under the lock: a thread in _threads has always started
        self._threads.add(thread)

    def _spawn_later(self) -> None:
        """On the shared timer: start workers for work still waiting ``SPAWN_DELAY`` after it found
        every worker busy."""
        with self._lock:
            self._spawn_timer = None
            self._spawn_due = None
            if self._shutdown:
                return
            waiting = len(self._work) - self._waking
            idle = self._idle
            members = len(self._threads) - self._detached
            if waiting <= 0 or (not idle and members >= self._max):
                return
            if self._taken != self._taken_then:  # the workers are getting through it: look again later
                self._spawn_due = time.monotonic() + SPAWN_DELAY
                self._taken_then = self._taken
                self._spawn_timer = shared_timer().call_at(self._spawn_due, self._spawn_later)
                return
            while idle and waiting > 0:  # all stuck: idle workers first (woken under the lock: rare)
                self._waking += 1
                waiting -= 1
                idle.pop().wake()
            for _ in range(min(waiting, self._max - members)):  # then more workers
                self._start_worker()

    def threads(self) -> list[threading.Thread]:
        """Every thread this pool started (the workers and the spawner), for joining."""
        with self._lock:
            threads = list(self._threads)
            threads.extend(self._retired)
        return threads

    def _run(self) -> None:
        wait, wake, close = _waker(self._wake_fd)
        sleeper = _Sleeper(wake)
        lock, work, idle = self._lock, self._work, self._idle
        woken = leave = False
        try:
            while True:
                with lock:
                    if woken:
                        self._waking -= 1
                        woken = False
                    if work:
                        fn, args = work.popleft()
                        self._taken += 1
                    elif self._shutdown:
                        return
                    elif leave or len(self._threads) - self._detached > self._max:
                        # idle too long, or over the limit after run_detached
                        me = threading.current_thread()
                        self._threads.discard(me)
                        self._retired = [t for t in self._retired if t.is_alive()]
                        self._retired.append(me)
                        return
                    else:
                        idle.append(sleeper)
                        fn = None
                leave = False
                if fn is None:
                    if not wait(WORKER_IDLE_TIMEOUT):  # idle that long: leave, unless being woken now
                        with lock:
                            if sleeper in idle:  # nobody took us: nobody will wake us
                                idle.remove(sleeper)
                                leave = True
                                continue
                        wait(None)  # taken from the idle list: its wake-up is on the way
                    woken = True
                    continue
                try:
                    fn(*args)
                except BaseException:  # the callables we run catch their own errors; never lose a worker
                    log.exception("worker task failed")
                fn = args = None  # type: ignore[assignment]  # drop references while idle
        finally:
            close()  # nobody can wake us any more: we are not in the idle list

    def shutdown(self, wait: bool = False, cancel_futures: bool = False) -> None:
        """Accept no more work; drop the work not started when ``cancel_futures``; end idle workers.

        Workers finish what they are running (and, without ``cancel_futures``,
        the work still queued), then exit. ``wait`` joins them.
        """
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                keep = self._keep
                kept = [item for item in self._work if item[0] in keep] if keep else []
                self._work.clear()
                self._work.extend(kept)
                if kept and len(self._threads) - self._detached == 0:
                    self._start_worker()
            idle, self._idle = self._idle, []
            self._waking += len(idle)
            timers = [self._spawn_timer] if self._spawn_timer is not None else []
            self._spawn_timer = None
            self._spawn_due = None
        for timer in timers:
            timer.cancel()
        for sleeper in idle:
            sleeper.wake()
        if wait:
            me = threading.current_thread()
            for thread in self.threads():
                if thread is not me:
                    thread.join()


def _nothing() -> None:
    pass


class _Sleeper:
    """An idle worker, as the pool sees it: how to wake it."""

    __slots__ = ("wake",)

    def __init__(self, wake: Callable[[], Any]) -> None:
        self.wake = wake


def _waker(use_fd: bool) -> tuple[Callable[[float | None], bool], Callable[[], Any], Callable[[], None]]:
    """``(wait, wake, close)`` for one worker: a descriptor when ``use_fd`` and possible, else a lock.

    ``wait(timeout)`` returns False when ``timeout`` seconds (None: no limit) passed without a wake-up.
    """
    if use_fd:
        try:
            if hasattr(os, "eventfd"):  # Linux: one descriptor, a counter
                fd = read_fd = os.eventfd(0, os.EFD_CLOEXEC)
                read: Callable[[], Any] = lambda: os.eventfd_read(fd)  # noqa: E731
                wake: Callable[[], Any] = lambda: os.eventfd_write(fd, 1)  # noqa: E731
                close: Callable[[], None] = lambda: os.close(fd)  # noqa: E731
            else:
                read_fd, write_fd = os.pipe()
                read = lambda: os.read(read_fd, 1)  # noqa: E731
                wake = lambda: os.write(write_fd, b"\0")  # noqa: E731

                def close() -> None:
                    os.close(read_fd)
                    os.close(write_fd)

            poller = select.poll()
            poller.register(read_fd, select.POLLIN)

            def wait(timeout: float | None) -> bool:
                if timeout is not None and not poller.poll(timeout * 1000):
                    return False
                read()
                return True

            return wait, wake, close
        except OSError:  # out of descriptors: a lock does the same job
            pass
    lock = threading.Lock()
    lock.acquire()

    def wait_lock(timeout: float | None) -> bool:
        return lock.acquire(True, -1 if timeout is None else timeout)

    return wait_lock, lock.release, _nothing


class HandlerPool(_WorkerPool):
    """A bounded pool of named worker threads that several sessions share (an HTTP app's sessions).

    A transport lends it to its session through a ``handler_pool`` attribute;
    the session runs its requests and, in order, its notifications there, and
    leaves the pool running when it closes. Workers start when work finds
    every worker blocked for ``SPAWN_DELAY``, up to ``max_workers``, and exit
    after ``WORKER_IDLE_TIMEOUT`` idle: idle sessions cost no thread.
    :meth:`close` (the owner's) stops it and joins its threads.
    """

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        super().__init__(max_workers, thread_name_prefix)

    def close(self, timeout: float = JOIN_TIMEOUT) -> None:
        """Drop the work not started, let running work finish, and join every thread (bounded)."""
        self.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        me = threading.current_thread()
        for thread in self.threads():
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
        shared_timer().release_if_idle()


_LIVE_POOLS: "weakref.WeakSet[_WorkerPool]" = weakref.WeakSet()


def _join_pools_at_exit() -> None:
    for pool in list(_LIVE_POOLS):
        pool.shutdown(wait=True)


# Like concurrent.futures: before the interpreter joins non-daemon threads at exit,
# let idle workers go (busy ones finish their work first).
_register_atexit = getattr(threading, "_register_atexit", None)
if _register_atexit is not None:
    _register_atexit(_join_pools_at_exit)


class _BatchCollector:
    """Gathers the responses to the requests of one batch and sends them as one array."""

    def __init__(self, session: "Session", expected: int) -> None:
        self._session = session
        self._remaining = expected
        self._responses: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, response: dict[str, Any] | None) -> None:
        with self._lock:
            if response is not None:
                self._responses.append(response)
            self._remaining -= 1
            done = self._remaining == 0
        if done and self._responses:
            self._session._try_send(self._responses, None)


class Session:
    """One JSON-RPC connection, for either role.

    ``on_request(request)`` runs on a worker thread for every incoming request
    and returns the ``result`` object, or raises :class:`McpError` to answer an
    error. ``on_notification(method, params)`` runs on a worker thread, one notification at a time, in order.
    ``limits`` (:class:`~mcp_sync.limits.Limits`) bounds JSON nesting and the
    incoming requests in flight.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        on_request: RequestHandler,
        on_notification: NotificationHandler | None = None,
        name: str = "mcp",
        max_workers: int = DEFAULT_MAX_WORKERS,
        answer_ping: bool | Callable[[Any], bool] = True,
        limits: Limits | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.limits = limits if limits is not None else DEFAULT_LIMITS
        self._busy_logged = False
        self.transport = transport
        self.name = name
        self._on_request = on_request
        self._on_notification = on_notification
        #: Answer ``ping`` on the reader thread, never queued behind busy handlers: True, False (route
        #: it to ``on_request`` like any request), or ``predicate(params)`` deciding per ping.
        self.answer_ping = answer_ping
        #: The negotiated protocol revision, set by the role once known.
        self.protocol_version: str | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[RequestId, RequestFuture] = {}
        self._progress: dict[RequestId, ProgressCallback] = {}
        self._inflight: dict[RequestId, IncomingRequest] = {}
        self._idle = threading.Condition(self._lock)  # notified when _inflight empties...
        self._drain_waiters = 0  # ...if someone waits for that (checked first: notify_all costs)
        self._input_error: ConnectionClosed | None = None  # set once the peer closed its side
        # Sessions with a reader thread wake workers through a descriptor (see _WorkerPool): the
        # reader blocks reading right after each handoff. Push transports (HTTP) may have many
        # sessions: they keep to locks and descriptors stay one per connection.
        shared: HandlerPool | None = getattr(transport, "handler_pool", None)
        #: False when the transport lends a pool several sessions share (an HTTP app's): close()
        #: then leaves it running (its owner shuts it down) and drops only this session's work.
        self._owns_workers = shared is None
        self._workers = shared if shared is not None else _WorkerPool(
            max_workers, thread_name_prefix=f"{name}-worker", wake_fd=transport.has_reader)
        # Notifications reach on_notification in order, one at a time, on the worker threads (no
        # thread of their own); deadlines are on the process-wide timer thread.
        self._notifier = SerialQueue(self._workers)
        if self._owns_workers:
            self._workers.keep(self._notifier.drain)
        self._reader: threading.Thread | None = None
        self._close_error: ConnectionClosed | None = None
        self._close_callbacks: list[Callable[[ConnectionClosed], None]] = []
        #: Set once the connection is closed (by either side).
        self.closed = threading.Event()
        #: Observation hooks (tracing; see :mod:`mcp_sync.otel`), None when unused:
        #: ``outgoing_hook(method, params, future) -> params`` runs before each request is sent and
        #: returns the params to send; ``incoming_hook(request, handle) -> result`` runs around the
        #: handling of each incoming request (``handle(request)`` answers it).
        self.outgoing_hook: Callable[[str, dict[str, Any] | None, RequestFuture], dict[str, Any] | None] | None = None
        self.incoming_hook: Callable[[IncomingRequest, RequestHandler], Any] | None = None
        # Transports that need the session (e.g. to fail one request) get it here.
        attach = getattr(transport, "attach_session", None)
        if attach is not None:
            attach(self)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "Session":
        """Start the reader thread (for transports that have one)."""
        if self.transport.has_reader and self._reader is None:
            self._reader = threading.Thread(target=self._read_loop, name=f"{self.name}-reader", daemon=True)
            self._reader.start()
        return self

    def on_close(self, callback: Callable[[ConnectionClosed], None]) -> None:
        """Call ``callback(error)`` once when the connection ends (runs on the closing thread)."""
        with self._lock:
            if self._close_error is None:
                self._close_callbacks.append(callback)
                return
            error = self._close_error
        callback(error)

    def run_after_notifications(self, fn: Callable[[], None]) -> None:
        """Call ``fn()`` in the notifications' order (on a worker thread), after every notification already received.

        ``fn`` runs exactly once, even while the session closes (then on the
        thread that drops it). Lets a role deliver a result only after the
        notifications the peer sent before it.
        """
        try:
            self._notifier.submit(self._guard, fn, must_run=True)
        except RuntimeError:  # shut down
            fn()

    @property
    def close_error(self) -> ConnectionClosed | None:
        """Why the connection ended, or None while it is open.

        Set as soon as the peer closed its side, even while handlers already
        running are still sending their last responses.
        """
        return self._close_error or self._input_error

    @property
    def input_closed(self) -> bool:
        """True once nothing more can arrive from the peer (no new call can succeed)."""
        return self._input_error is not None or self._close_error is not None

    def close(self, reason: str = "session closed") -> None:
        """Close the connection, fail pending calls, and join every thread we started.

        Handlers still running are told to stop (their cancel event is set);
        close waits for them up to ``JOIN_TIMEOUT`` seconds in all.
        """
        self._shutdown(ConnectionClosed(reason))
        me = threading.current_thread()
        deadline = time.monotonic() + JOIN_TIMEOUT
        if self._reader is not None and self._reader is not me:
            self._reader.join(max(0.0, deadline - time.monotonic()))
        for fn in self._notifier.cancel():  # run_after_notifications() calls not reached: run them here
            self._guard(fn)
        if self._owns_workers:
            self._workers.shutdown(wait=False, cancel_futures=True)
            for thread in self._workers.threads():
                if thread is not me:
                    thread.join(max(0.0, deadline - time.monotonic()))
        shared_timer().release_if_idle()

    def _shutdown(self, error: ConnectionClosed) -> None:
        with self._lock:
            if self._close_error is not None:
                return
            self._close_error = error
            pending = list(self._pending.values())
            self._pending.clear()
            self._progress.clear()
            inflight = list(self._inflight.values())
            callbacks, self._close_callbacks = self._close_callbacks, []
        try:
            self.transport.close()
        except Exception:  # a transport that fails to close is still closed for us
            log.debug("transport close failed", exc_info=True)
        for future in pending:
            future.set_exception(error)
        for request in inflight:
            request.cancel_reason = "connection closed"
            request.cancelled.set()
        self.closed.set()
        for callback in callbacks:
            try:
                callback(error)
            except Exception:
                log.exception("close callback failed")

    # -- sending -----------------------------------------------------------

    def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        related_id: RequestId | None = None,
    ) -> RequestFuture:
        """Send a request; return its future at once.

        ``timeout`` (seconds) fails the future with :class:`RequestTimeout` and
        tells the peer to cancel. ``on_progress(progress, total, message)`` is
        called in order with the notifications (on a worker thread) for each progress notification.
        """
        with self._lock:
            request_id = next(self._ids)
            future = RequestFuture(self, request_id, method)
            error = self._close_error or self._input_error
            if error is not None:  # no response could ever arrive
                future.set_exception(error)
                return future
            self._pending[request_id] = future
            if on_progress is not None:
                self._progress[request_id] = on_progress
        if on_progress is not None:
            params = dict(params) if params else {}
            meta = dict(params.get("_meta") or {})
            meta["progressToken"] = request_id
            params["_meta"] = meta
        try:
            if self.outgoing_hook is not None:
                params = self.outgoing_hook(method, params, future)
            self.transport.send(jsonrpc.request(request_id, method, params), related_id)
        except ConnectionClosed as exc:
            if self._claim(future):
                future.set_exception(exc)
            return future
        except BaseException:  # e.g. params not JSON-serializable: nothing was sent
            self._claim(future)
            raise
        if timeout is not None:
            future.timeout = timeout
            if params:
                subject = params.get("name", params.get("uri"))
                future.subject = subject if isinstance(subject, str) else None
            future._deadline = shared_timer().call_later(timeout, self._expire, future)
            if future.done():  # answered meanwhile
                future._deadline.cancel()
        return future

    def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None,
             on_progress: ProgressCallback | None = None, related_id: RequestId | None = None) -> Any:
        """Send a request and block for its result (see :meth:`request`)."""
        future = self.request(method, params, timeout=timeout, on_progress=on_progress,
                              related_id=related_id)
        try:
            return future.result()
        except CancelledError:
            raise
        except BaseException:
            if not future.done():
                future.cancel("the caller stopped waiting")
            raise

    def notify(self, method: str, params: dict[str, Any] | None = None, *, related_id: RequestId | None = None) -> None:
        """Send a notification. Raises ConnectionClosed when the connection is gone."""
        self._send_raw(jsonrpc.notification(method, params), related_id)

    def _send_raw(self, message: Any, related_id: RequestId | None) -> None:
        if self._close_error is not None:
            raise self._close_error
        self.transport.send(message, related_id)

    def _try_send(self, message: Any, related_id: RequestId | None) -> None:
        try:
            self._send_raw(message, related_id)
        except ConnectionClosed:
            log.debug("dropping a message: connection closed")
        except (TypeError, ValueError) as exc:  # not serializable: must not kill the reader thread
            log.error("dropping a message that cannot be serialized: %s", exc)

    def _claim(self, future: RequestFuture) -> bool:
        """Remove a pending future; True if the caller now owns completing it."""
        with self._lock:
            if self._pending.get(future.request_id) is not future:
                return False
            del self._pending[future.request_id]
            self._progress.pop(future.request_id, None)
            return True

    def fail_request(self, request_id: RequestId, error: BaseException) -> bool:
        """Fail our pending request ``request_id`` with ``error`` (for a transport that lost its answer).

        Returns False when no such request is pending.
        """
        with self._lock:
            future = self._pending.pop(request_id, None)
            if future is not None:
                self._progress.pop(request_id, None)
        if future is None:
            return False
        future.set_exception(error)
        return True

    def _send_cancel(self, future: RequestFuture, reason: str) -> None:
        if future.method == "initialize":  # MUST NOT be cancelled; just stop waiting
            return
        self._try_send(jsonrpc.notification("notifications/cancelled",
                                            {"requestId": future.request_id, "reason": reason}), None)

    def _expire(self, future: RequestFuture) -> None:
        """On the shared timer thread: fail a request whose timeout passed (the cancel is sent off it)."""
        if not self._claim(future):
            return
        what = f"{future.method!r}" + (f" ({future.subject!r})" if future.subject else "")
        error = RequestTimeout(f"no response to {what} within the timeout of {future.timeout:g} s; "
                               f"the peer was asked to cancel it (pass a larger timeout= if the call needs longer)")
        if self.transport.quick_send:  # the cancel goes out before the caller can send anything else
            self._send_cancel(future, "request timed out")
            future.set_exception(error)
            return
        # A send that may wait on the network never runs on the timer every session shares: the
        # caller learns of the timeout now (even with every worker busy), a worker tells the peer.
        future.set_exception(error)
        try:
            self._workers.submit(self._send_cancel, future, "request timed out")
        except RuntimeError:
            pass  # closing: nobody to tell

    # -- receiving ---------------------------------------------------------

    def _read_loop(self) -> None:
        transport = self.transport
        try:
            while True:
                try:
                    frame = transport.receive()
                except ConnectionClosed as exc:
                    self._shutdown(exc)
                    break
                if frame is None:
                    self._end_of_input(transport.closed_error())
                    break
                if frame is OVERSIZED:
                    size = getattr(transport, "max_message_size", None)
                    self._try_send(jsonrpc.error(None, {
                        "code": INVALID_REQUEST,
                        "message": "Invalid request: message too large" + (
                            f" (the limit is {size} bytes)" if size else "")}, self.protocol_version), None)
                    continue
                self.feed(jsonrpc.parse(frame, self.limits.max_depth))  # type: ignore[arg-type]
        except BaseException as exc:  # never let the reader die silently
            log.exception("reader thread failed")
            self._shutdown(ConnectionClosed(f"reader failed: {exc!r}"))
        # The peer is gone: release the worker threads now rather than waiting
        # for our owner to call close() (which stays safe to call, and joins).
        # No joining here: a worker or notification thread may itself be in
        # close(), joining this thread. Notifications already received are
        # still delivered (the peer's last words: a log line before it exits).
        if self._owns_workers:
            self._workers.shutdown(wait=False, cancel_futures=True)  # keeps the notifications' queue

    def _end_of_input(self, error: ConnectionClosed) -> None:
        """The peer closed its side: nothing more will arrive.

        Our pending calls fail at once (no answer can come). Handlers already
        running may still finish and send their responses (a stdio client that
        closes stdin expects the answers to what it sent), up to
        ``DRAIN_TIMEOUT``; then the session closes.
        """
        with self._lock:
            self._input_error = error
            pending = list(self._pending.values())
            self._pending.clear()
            self._progress.clear()
        for future in pending:
            future.set_exception(error)
        with self._lock:
            self._drain_waiters += 1
            try:
                self._idle.wait_for(lambda: not self._inflight, timeout=DRAIN_TIMEOUT)
            finally:
                self._drain_waiters -= 1
        self._shutdown(error)

    def feed(self, message: Any, *, extra: dict[str, Any] | None = None) -> None:
        """Handle one parsed message (what the reader thread does for each frame).

        Push transports (an HTTP server) call this from their own threads.
        ``extra`` is attached to an incoming request's ``extra`` dict.
        """
        if type(message) is Batch:
            self._feed_batch(message, extra)
        else:
            self._dispatch(message, None, extra)

    def accept(self, message: Request, *, extra: dict[str, Any] | None = None) -> "IncomingRequest | None":
        """Take a request to run on the calling thread with :meth:`run` instead of a worker.

        For a push transport whose thread would only wait for the answer (an
        HTTP POST answered with plain JSON): running the handler there saves
        the hand-off to a worker and back. The request is registered as in
        flight (``notifications/cancelled`` reaches it) and counted against
        ``Limits.max_in_flight``. Returns None when it was answered at once
        (``ping``, a refusal) or the session is closed: nothing to run.
        """
        return self._accept_request(message, None, extra, inline=True)

    def run(self, request: "IncomingRequest") -> None:
        """Run a request :meth:`accept` returned, on this thread, and send its response.

        ``after_response`` is refused here (it returns False, as off a session
        worker): work that must follow the answer goes elsewhere (a task's to
        its executor), so this thread's answer is not held back by it.
        """
        self._answer_request(request, None)

    def _feed_batch(self, batch: Batch, extra: dict[str, Any] | None) -> None:
        if not allows_batches(self.protocol_version):
            self._try_send(jsonrpc.error(None, {
                "code": INVALID_REQUEST,
                "message": f"Invalid request: JSON-RPC batches are not allowed in protocol version "
                           f"{self.protocol_version}"}, self.protocol_version), None)
            return
        answered = sum(1 for m in batch.items if type(m) is Request or (type(m) is Invalid and m.answer))
        collector = _BatchCollector(self, answered) if answered else None
        for item in batch.items:
            self._dispatch(item, collector, extra)

    def _dispatch(self, message: Any, collector: _BatchCollector | None, extra: dict[str, Any] | None) -> None:
        kind = type(message)
        if kind is Response:
            self._resolve(message.id, message.result, None)
        elif kind is Request:
            self._accept_request(message, collector, extra)
        elif kind is Notification:
            self._accept_notification(message)
        elif kind is ErrorResponse:
            if message.id is None:
                log.warning("peer reported an error for a message it could not read: %s", message.error)
            else:
                self._resolve(message.id, None, message.error)
        else:  # Invalid
            log.debug("invalid message from peer: %r", message)
            if message.answer:
                response = message.response(self.protocol_version)
                if collector is not None:
                    collector.add(response)
                else:
                    self._try_send(response, None)

    def _resolve(self, request_id: RequestId, result: Any, error: dict[str, Any] | None) -> None:
        with self._lock:
            future = self._pending.pop(request_id, None)
            if future is not None:
                self._progress.pop(request_id, None)
        if future is None:
            log.debug("response for unknown or abandoned request %r", request_id)
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(McpError.from_error(error))

    def _accept_request(self, message: Request, collector: _BatchCollector | None, extra: dict[str, Any] | None,
                        inline: bool = False) -> "IncomingRequest | None":
        answer_ping = self.answer_ping
        if message.method == "ping" and (answer_ping is True or (
                answer_ping is not False and answer_ping(message.params))):
            response = jsonrpc.result(message.id, {})
            if collector is not None:
                collector.add(response)
            else:
                self._try_send(response, message.id)
            return None
        request = IncomingRequest(self, message.id, message.method, message.params, collector is not None)
        if extra:
            request.extra.update(extra)
        limit = self.limits.max_in_flight
        with self._lock:
            closed = self._close_error is not None
            duplicate = message.id in self._inflight
            busy = not duplicate and len(self._inflight) >= limit
            if not closed and not duplicate and not busy:
                self._inflight[message.id] = request
        if closed:
            return None
        if duplicate or busy:
            if duplicate:
                response = jsonrpc.error(message.id, {
                    "code": INVALID_REQUEST,
                    "message": f"Invalid request: id {message.id!r} is already in use by a request in flight"})
            else:
                if not self._busy_logged:
                    self._busy_logged = True
                    log.warning("%s: refusing requests: %d already in flight (raise Limits.max_in_flight "
                                "to allow more)", self.name, limit)
                response = jsonrpc.error(message.id, {
                    "code": SERVER_BUSY,
                    "message": f"Server busy: {limit} requests are already in flight on this session "
                               f"(the receiver's Limits.max_in_flight); retry after some complete"})
            if collector is not None:
                collector.add(response)
            else:
                self._try_send(response, None)
            return None
        if inline:
            return request
        try:
            self._workers.submit(self._run_request, request, collector)
        except RuntimeError:  # pool shut down: the session is closing
            with self._lock:
                self._inflight.pop(message.id, None)
                if not self._inflight and self._drain_waiters:
                    self._idle.notify_all()
        return None

    def _run_request(self, request: IncomingRequest, collector: _BatchCollector | None) -> None:
        if self._close_error is not None and not self._owns_workers:  # queued in a shared pool: drop it
            with self._lock:
                self._inflight.pop(request.id, None)
                if not self._inflight and self._drain_waiters:
                    self._idle.notify_all()
            return
        after: list[Callable[[], None]] = []
        request._after = after
        try:
            self._answer_request(request, collector)
        finally:
            request._after = None
            for fn in after:  # after the response (or its failure): on this thread, out of the pool's count
                self._workers.run_detached(fn)

    def _answer_request(self, request: IncomingRequest, collector: _BatchCollector | None) -> None:
        response: dict[str, Any] | None
        try:
            hook = self.incoming_hook
            result = self._on_request(request) if hook is None else hook(request, self._on_request)
            response = jsonrpc.result(request.id, result)
        except McpError as exc:
            response = jsonrpc.error(request.id, exc.to_error())
        except Exception as exc:
            log.exception("handler for %r failed", request.method)
            response = jsonrpc.error(request.id, {
                "code": INTERNAL_ERROR,
                "message": f"Internal error while handling {request.method!r}: {type(exc).__name__}"})
        with self._lock:
            self._inflight.pop(request.id, None)
            if not self._inflight and self._drain_waiters:
                self._idle.notify_all()
        if request.is_cancelled():
            response = None  # the peer cancelled it: SHOULD NOT respond
        if collector is not None:
            collector.add(response)
        elif response is not None:
            try:
                self._send_raw(response, request.id)
            except ConnectionClosed:
                log.debug("response to %r dropped: connection closed", request.method)
            except (TypeError, ValueError) as exc:  # result not JSON-serializable
                log.error("result of %r cannot be serialized: %s", request.method, exc)
                self._try_send(jsonrpc.error(request.id, {
                    "code": INTERNAL_ERROR,
                    "message": f"Internal error: the result of {request.method!r} is not valid JSON"}),
                    request.id)

    def _accept_notification(self, message: Notification) -> None:
        method, params = message.method, message.params
        if method == "notifications/cancelled":
            request_id = (params or {}).get("requestId")
            with self._lock:
                # type() check: exactly str or int (a bool is no request id)
                request = self._inflight.get(request_id) if type(request_id) in (str, int) else None  # type: ignore[arg-type]
            if request is not None:
                reason = (params or {}).get("reason")
                request.cancel_reason = reason if isinstance(reason, str) else None
                request.cancelled.set()
        elif method == "notifications/progress" and params is not None:
            token = params.get("progressToken")
            with self._lock:
                # type() check: exactly str or int
                callback = self._progress.get(token) if type(token) in (str, int) else None  # type: ignore[arg-type]
            if callback is not None:
                self._submit_notification(self._call_progress, callback, params)
                return
        if self._on_notification is not None:
            self._submit_notification(self._on_notification, method, params)

    def _submit_notification(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._notifier.submit(self._guard, fn, *args)
        except RuntimeError:
            pass  # closing

    @staticmethod
    def _guard(fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("notification handler failed")

    @staticmethod
    def _call_progress(callback: ProgressCallback, params: dict[str, Any]) -> None:
        progress = params.get("progress")
        if not isinstance(progress, (int, float)):
            return
        callback(progress, params.get("total"), params.get("message"))

    # -- introspection -----------------------------------------------------

    def in_flight(self) -> int:
        """Number of incoming requests being handled."""
        with self._lock:
            return len(self._inflight)

    def pending(self) -> int:
        """Number of our requests still waiting for a response."""
        with self._lock:
            return len(self._pending)
