"""A durable task table in one SQLite database file (standard-library ``sqlite3``, WAL mode).

Same behaviour as :class:`~mcp_sync.tasks.memory.InMemoryTaskStore` (the contract
tests in ``tests/stores/`` run against both), plus:

* **Durability.** Tasks, results and errors (stored as JSON) survive a restart:
  close the store (or let the process die) and open the same file again. With
  the default ``synchronous="NORMAL"`` every committed change survives a crash of
  the process (``kill -9``); ``synchronous="FULL"`` also survives a power loss or
  an OS crash, at the cost of an ``fsync`` per change.
* **Crash recovery.** Work runs in the process that created the task, so a task
  that was ``working``/``input_required`` when that process died can never finish.
  Opening the store marks such tasks ``failed`` (error -32603, status message
  :data:`RESTART_MESSAGE`). Each open store holds an exclusive ``flock`` on its own
  file in ``<path>-instances/``; the kernel drops it when the process dies, even on
  ``kill -9``, so a store only fails the tasks of instances that are really gone
  and leaves those of another live process sharing the file alone. :meth:`recover`
  runs the same check on demand. (Without ``fcntl``, e.g. on Windows, every other
  instance is taken for dead: use one process per database file there.)
* **Times.** ``created_at``, ``last_updated_at`` and ``deadline`` are wall-clock
  seconds (``time.time()``), so they stay meaningful after a restart;
  :meth:`expire` takes ``now`` in the same clock.

Schema: table ``mcp_sync_tasks`` (one row per task; ``seq INTEGER PRIMARY KEY
AUTOINCREMENT`` is the listing order and is never reused, so list cursors stay
valid across deletions and restarts), indexes on ``(owner, seq)`` for listing, on
``deadline`` for the reaper, and partial indexes on the unfinished tasks' owner
(the per-owner active limit) and instance (crash recovery); table
``mcp_sync_tasks_meta`` holds the schema version and the task count, kept exact by
triggers. Owners are stored as JSON (durable stores bind tasks to a ``str`` owner
or ``None``).

Concurrency inside the process: every operation borrows a connection from a small
pool (one connection is only ever used by one thread at a time; idle ones are
reused). Reads run concurrently (WAL readers never block). Writes are short
``BEGIN IMMEDIATE`` transactions serialized by one in-process lock, so the
process's own writers queue on the lock instead of in SQLite's busy handler;
the lock is held only for the transaction's statements, never while waiters are
woken or listeners called. Owner binding and the limits are checked inside the
write transaction that inserts or changes the task, so they are atomic even
against other processes writing the same file (SQLite allows one writer at a
time; they wait up to ``busy_timeout`` seconds).

Waiting: threads blocked in :meth:`wait_for` are woken by changes made through
*this* store object (per-task ``threading.Event`` s, as in memory), by the reaper
and by :meth:`close`. SQLite has no change notification across processes, so a
change committed by *another process* is only seen by a waiter here at its next
wake-up; a process that must react to other processes' changes should wait with
a bounded ``timeout`` (e.g. the task's poll interval) and loop, and listeners
only hear about changes made in their own process. Several server workers that
must see each other's changes at once should share a
:class:`~mcp_sync.tasks.redis_store.RedisTaskStore` instead.

Reaping: a named thread (``mcp-sync-task-reaper-sqlite``, joined by
:meth:`close`) sleeps on a Condition until the earliest deadline in the table;
``create`` re-arms it only when a new task expires before that. Reads treat a task
past its deadline as gone, so expiry is exact even when the reaper runs late (or a
task was created by another process with an earlier deadline).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from ..errors import INTERNAL_ERROR
from .errors import TaskNotFound, TaskStoreClosed
from .ids import new_task_id
from .limits import TaskLimits
from .memory import _decode_cursor, _encode_cursor
from .model import Owner, TaskRecord
from .status import FAILED, WORKING
from .store import ANY_OWNER, KEEP, TaskEvent, TaskPage, TaskStore
from .transitions import check_outcome, check_update_status, plan_cancel, plan_input, plan_result, plan_status
from .waiting import add_waiter, block, hook_cancel, remove_waiter, wake_all

__all__ = ["RESTART_ERROR", "RESTART_MESSAGE", "SQLiteTaskStore"]

log = logging.getLogger("mcp_sync.tasks")

_wall = time.time
_monotonic = time.monotonic

#: Status message of a task failed at start-up because its process had died.
RESTART_MESSAGE = "The server restarted while the task was running; the task did not finish"
#: The JSON-RPC error recorded on such a task (what ``tasks/result`` answers).
RESTART_ERROR: Mapping[str, Any] = {
    "code": INTERNAL_ERROR,
    "message": "Internal error: the server restarted while the task was running",
}

_SCHEMA_VERSION = 1
_TABLE = "mcp_sync_tasks"
_META = "mcp_sync_tasks_meta"
_ACTIVE_SQL = "status IN ('working', 'input_required')"
_COLUMNS = ("seq, task_id, owner, method, status, status_message, created_at, updated_at, "
            "ttl_ms, poll_interval_ms, deadline, result, error, input_requests, "
            "input_responses, version")
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {_TABLE} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        method TEXT NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        ttl_ms INTEGER,
        poll_interval_ms INTEGER,
        deadline REAL,
        result TEXT,
        error TEXT,
        input_requests TEXT,
        input_responses TEXT,
        version INTEGER NOT NULL,
        instance TEXT
    )""",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_owner_seq ON {_TABLE} (owner, seq)",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_deadline ON {_TABLE} (deadline) "
    f"WHERE deadline IS NOT NULL",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_active_owner ON {_TABLE} (owner) WHERE {_ACTIVE_SQL}",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_active_instance ON {_TABLE} (instance) "
    f"WHERE {_ACTIVE_SQL}",
    f"CREATE TABLE IF NOT EXISTS {_META} (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    f"INSERT OR IGNORE INTO {_META} (name, value) VALUES ('schema_version', {_SCHEMA_VERSION})",
    f"INSERT OR IGNORE INTO {_META} (name, value) VALUES ('task_count', 0)",
    f"""CREATE TRIGGER IF NOT EXISTS {_TABLE}_count_insert AFTER INSERT ON {_TABLE}
        BEGIN UPDATE {_META} SET value = value + 1 WHERE name = 'task_count'; END""",
    f"""CREATE TRIGGER IF NOT EXISTS {_TABLE}_count_delete AFTER DELETE ON {_TABLE}
        BEGIN UPDATE {_META} SET value = value - 1 WHERE name = 'task_count'; END""",
)


class SQLiteTaskStore(TaskStore):
    """Thread-safe :class:`~mcp_sync.tasks.store.TaskStore` in a SQLite file.

    ``path`` is the database file (created if missing; it may hold other tables
    too). ``synchronous`` is SQLite's ``PRAGMA synchronous`` (``"NORMAL"``: durable
    against process crashes; ``"FULL"``/``"EXTRA"``: also against power loss).
    ``busy_timeout`` is how long a write waits for another *process* holding the
    write lock. ``reap_batch`` bounds the tasks removed per write transaction.

    Opening the store creates the schema, marks the unfinished tasks of dead
    instances failed (:meth:`recover`) and starts the reaper if any task has a TTL.
    Close it (or use it as a context manager) to stop the reaper.
    """

    def __init__(self, path: str | os.PathLike[str], limits: TaskLimits | None = None, *,
                 synchronous: str = "NORMAL", busy_timeout: float = 30.0,
                 reap_batch: int = 256, max_idle_connections: int = 8) -> None:
        super().__init__(limits)
        path = os.fspath(path)
        if not isinstance(path, str) or path in ("", ":memory:") or path.startswith("file:"):
            raise ValueError("SQLiteTaskStore needs a database file path "
                             "(use InMemoryTaskStore for an in-memory table)")
        sync = synchronous.upper()
        if sync not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError("synchronous must be 'NORMAL', 'FULL' or 'EXTRA'")
        if reap_batch < 1:
            raise ValueError("reap_batch must be positive")
        self.path = os.path.abspath(path)
        #: This store object's id: unfinished tasks it creates are recovered
        #: (failed) by the next store that finds this instance gone.
        self.instance_id = new_task_id()
        self._synchronous = sync
        self._busy_timeout = float(busy_timeout)
        self._reap_batch = reap_batch
        self._max_idle = max(0, max_idle_connections)
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._write_lock = threading.Lock()
        self._wait_lock = threading.Lock()
        self._waiters: dict[str, list[threading.Event]] = {}
        self._cond = threading.Condition()  # the reaper's
        self._armed: float | None = None
        self._hint: float | None = None
        self._reaper: threading.Thread | None = None
        self._closed = False
        self._instance_lock: int | None = None

        conn = self._connect()
        try:
            self._init_schema(conn)
        except BaseException:
            conn.close()
            raise
        self._idle.append(conn)
        try:
            self._instance_lock = self._claim_instance()
            self.recover()
            with self._read() as db:
                has_ttl = db.execute(f"SELECT 1 FROM {_TABLE} WHERE deadline IS NOT NULL "
                                     f"LIMIT 1").fetchone() is not None
            if has_ttl:
                with self._cond:
                    self._start_reaper_locked()
        except BaseException:
            self.close()
            raise

    # -- connections -----------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("SQLite task store %s: WAL mode unavailable (journal_mode=%s); "
                        "readers will block writers", self.path, mode)
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            version = conn.execute(f"SELECT value FROM {_META} WHERE name = 'schema_version'"
                                   ).fetchone()[0]
            if version != _SCHEMA_VERSION:
                raise RuntimeError(f"{self.path}: task schema version {version} is not "
                                   f"supported (this mcp_sync writes {_SCHEMA_VERSION})")
            # Self-heal the counter (cheap, once per open).
            conn.execute(f"UPDATE {_META} SET value = (SELECT COUNT(*) FROM {_TABLE}) "
                         f"WHERE name = 'task_count'")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _acquire(self) -> sqlite3.Connection:
        with self._pool_lock:
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # pragma: no cover - only after a failed ROLLBACK
            conn.close()
            return
        with self._pool_lock:
            if not self._closed and len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection in autocommit mode: each SELECT is its own snapshot."""
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (``BEGIN IMMEDIATE``), serialized in-process."""
        conn = self._acquire()
        try:
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            self._release(conn)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> "SQLiteTaskStore":
        with self._cond:
            if self._closed:
                raise TaskStoreClosed()
            self._start_reaper_locked()
        return self

    def close(self) -> None:
        with self._cond:
            with self._wait_lock:
                self._closed = True
                waiters = [w for lst in self._waiters.values() for w in lst]
                self._waiters.clear()
            reaper = self._reaper
            self._cond.notify_all()
        wake_all(waiters)
        if reaper is not None and reaper is not threading.current_thread():
            reaper.join()
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        self._release_instance()

    @property
    def closed(self) -> bool:
        return self._closed

    def __bool__(self) -> bool:
        """Always true: an empty store is still a store (and truth needs no round trip)."""
        return True

    def __len__(self) -> int:
        """Tasks in the table (expired ones count until the reaper removes them)."""
        with self._read() as db:
            return int(db.execute(f"SELECT value FROM {_META} WHERE name = 'task_count'"
                                  ).fetchone()[0])

    def _start_reaper_locked(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap_loop,
                                            name="mcp-sync-task-reaper-sqlite", daemon=True)
            self._reaper.start()

    # -- writes ----------------------------------------------------------------

    def create(self, owner: Owner, method: str, *, ttl_ms: int | None = None,
               poll_interval_ms: int | None = None,
               status_message: str | None = None) -> TaskRecord:
        owner_key = _owner_key(owner)
        limits = self.limits
        ttl = limits.resolve_ttl(ttl_ms)
        if poll_interval_ms is None:
            poll_interval_ms = limits.poll_interval_ms
        task_id = new_task_id()
        message_json = _dump(status_message)
        if self._closed:
            raise TaskStoreClosed()
        with self._write() as db:
            if self._closed:
                raise TaskStoreClosed()
            retained = db.execute(f"SELECT value FROM {_META} WHERE name = 'task_count'"
                                  ).fetchone()[0]
            active = 0
            if limits.max_active_per_owner is not None:
                active = db.execute(f"SELECT COUNT(*) FROM {_TABLE} WHERE owner = ? "
                                    f"AND {_ACTIVE_SQL}", (owner_key,)).fetchone()[0]
            limits.check_capacity(retained, active)
            now = _wall()
            deadline = None if ttl is None else now + ttl / 1000.0
            cursor = db.execute(
                f"INSERT INTO {_TABLE} (task_id, owner, method, status, status_message, "
                f"created_at, updated_at, ttl_ms, poll_interval_ms, deadline, version, instance) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (task_id, owner_key, method, WORKING, message_json, now, now, ttl,
                 poll_interval_ms, deadline, self.instance_id))
            seq = cursor.lastrowid
            assert seq is not None  # set by the INSERT just run
        record = TaskRecord(task_id, owner, method, WORKING, now, now, ttl,
                            poll_interval_ms=poll_interval_ms, status_message=status_message,
                            deadline=deadline, seq=seq)
        if deadline is not None:
            self._arm(deadline)
        if self._listeners:
            self._emit(record, TaskEvent.CREATED)
        return record

    def update_status(self, task_id: str, status: str, *, status_message: Any = KEEP,
                      input_requests: Any = KEEP) -> TaskRecord:
        check_update_status(status)
        with self._write() as db:
            old = self._lookup(db, task_id, ANY_OWNER)
            new = plan_status(old, status, status_message, input_requests, _wall())
            self._store(db, new)
        self._wake_task(task_id)
        if self._listeners:
            self._emit(new, TaskEvent.STATUS if old.status != status else TaskEvent.UPDATED)
        return new

    def set_result(self, task_id: str, status: str, *, result: Mapping[str, Any] | None = None,
                   error: Mapping[str, Any] | None = None,
                   status_message: Any = KEEP) -> TaskRecord:
        check_outcome(status, result, error)
        with self._write() as db:
            old = self._lookup(db, task_id, ANY_OWNER)
            new = plan_result(old, status, result, error, status_message, _wall())
            if new is None:
                return old  # cancelled stays cancelled; the late outcome is dropped
            self._store(db, new)
        self._wake_task(task_id)
        if self._listeners:
            self._emit(new, TaskEvent.STATUS)
        return new

    def cancel(self, task_id: str, owner: Owner, *,
               status_message: str | None = None) -> TaskRecord:
        with self._write() as db:
            old = self._lookup(db, task_id, owner)
            new = plan_cancel(old, status_message, _wall())
            self._store(db, new)
        self._wake_task(task_id)
        if self._listeners:
            self._emit(new, TaskEvent.STATUS)
        return new

    def submit_input(self, task_id: str, owner: Owner,
                     responses: Mapping[str, Any]) -> list[str]:
        if not isinstance(responses, Mapping):
            raise TypeError("responses must be a mapping of input request key -> response")
        with self._write() as db:
            old = self._lookup(db, task_id, owner)
            new, accepted = plan_input(old, responses, _wall())
            if new is None:
                return []
            self._store(db, new)
        self._wake_task(task_id)
        if self._listeners:
            self._emit(new, TaskEvent.UPDATED)
        return accepted

    def delete(self, task_id: str, owner: Owner = ANY_OWNER) -> bool:
        if not isinstance(task_id, str):
            return False
        with self._write() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM {_TABLE} WHERE task_id = ?",
                             (task_id,)).fetchone()
            if row is None:
                return False
            record = _row_to_record(row)
            if owner is not ANY_OWNER and record.owner != owner:
                return False
            db.execute(f"DELETE FROM {_TABLE} WHERE seq = ?", (record.seq,))
        self._wake_task(task_id)
        if self._listeners:
            self._emit(record, TaskEvent.REMOVED)
        return True

    def expire(self, now: float | None = None) -> int:
        """Remove expired tasks now (``now`` in ``time.time()`` seconds)."""
        total = 0
        while True:
            with self._write() as db:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM {_TABLE} WHERE deadline <= ? "
                    f"ORDER BY deadline LIMIT ?",
                    (_wall() if now is None else now, self._reap_batch)).fetchall()
                if rows:
                    db.executemany(f"DELETE FROM {_TABLE} WHERE seq = ?",
                                   [(row[0],) for row in rows])
            removed = [_row_to_record(row) for row in rows]
            for record in removed:
                self._wake_task(record.task_id)
            if self._listeners:
                for record in removed:
                    self._emit(record, TaskEvent.REMOVED)
            total += len(removed)
            if len(rows) < self._reap_batch:
                return total

    def recover(self) -> int:
        """Fail the unfinished tasks of store instances that are gone; returns how many.

        Runs when the store opens. An instance is gone when nobody holds the lock
        on its file in ``<path>-instances/`` (its process exited or crashed, or it
        was closed). Those tasks become ``failed`` with :data:`RESTART_ERROR` and
        :data:`RESTART_MESSAGE`; waiters are woken and listeners told.
        """
        with self._read() as db:
            instances = [row[0] for row in db.execute(
                f"SELECT DISTINCT instance FROM {_TABLE} WHERE {_ACTIVE_SQL}")]
        total = 0
        for instance in instances:
            if instance == self.instance_id:
                continue
            release = self._probe_instance(instance)
            if release is None:
                continue  # alive: its process is still running the work
            try:
                total += self._fail_instance(instance)
            finally:
                release()
        return total

    def _fail_instance(self, instance: Any) -> int:
        now = _wall()
        failed: list[TaskRecord] = []
        with self._write() as db:
            if instance is None:
                rows = db.execute(f"SELECT {_COLUMNS} FROM {_TABLE} WHERE instance IS NULL "
                                  f"AND {_ACTIVE_SQL}").fetchall()
            else:
                rows = db.execute(f"SELECT {_COLUMNS} FROM {_TABLE} WHERE instance = ? "
                                  f"AND {_ACTIVE_SQL}", (instance,)).fetchall()
            for row in rows:
                old = _row_to_record(row)
                new = old.replace(status=FAILED, error=dict(RESTART_ERROR), result=None,
                                  status_message=RESTART_MESSAGE, last_updated_at=now,
                                  version=old.version + 1, input_requests=None,
                                  input_responses=None)
                self._store(db, new)
                failed.append(new)
        if failed:
            log.warning("SQLite task store %s: %d unfinished task(s) of a stopped server "
                        "instance marked failed", self.path, len(failed))
        for record in failed:
            self._wake_task(record.task_id)
        if self._listeners:
            for record in failed:
                self._emit(record, TaskEvent.STATUS)
        return len(failed)

    # -- reads -----------------------------------------------------------------

    def get(self, task_id: str, owner: Owner) -> TaskRecord:
        with self._read() as db:
            return self._lookup(db, task_id, owner)

    def list_page(self, owner: Owner, cursor: str | None = None,
                  limit: int | None = None) -> TaskPage:
        if owner is ANY_OWNER:
            raise ValueError("list_page() needs a real owner")
        if limit is None:
            limit = self.limits.page_size
        elif limit < 1:
            raise ValueError("limit must be positive")
        after = 0 if cursor is None else _decode_cursor(cursor)
        if owner is not None and not isinstance(owner, str):
            return TaskPage([], None)  # no such owner can have tasks here
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM {_TABLE} WHERE owner = ? AND seq > ? "
                f"AND (deadline IS NULL OR deadline > ?) ORDER BY seq LIMIT ?",
                (_owner_key(owner), after, _wall(), limit + 1)).fetchall()
        page = [_row_to_record(row) for row in rows[:limit]]
        next_cursor = _encode_cursor(page[-1].seq) if len(rows) > limit else None
        return TaskPage(page, next_cursor)

    def wait_for(self, task_id: str, owner: Owner, predicate: Callable[[TaskRecord], bool], *,
                 timeout: float | None = None, cancel: Any = None) -> TaskRecord:
        if not isinstance(task_id, str):
            raise TaskNotFound()
        deadline = None if timeout is None else _monotonic() + timeout
        wake = threading.Event()
        unhook = hook_cancel(cancel, wake.set)
        try:
            while True:
                with self._wait_lock:
                    if self._closed:
                        raise TaskStoreClosed()
                    add_waiter(self._waiters, task_id, wake)  # before the read: no change can be missed
                record = self.get(task_id, owner)
                if predicate(record):
                    return record
                block(wake, task_id, cancel, deadline, timeout)
        finally:
            if unhook is not None:
                unhook()
            with self._wait_lock:
                remove_waiter(self._waiters, task_id, wake)

    # -- internals -------------------------------------------------------------

    def _lookup(self, db: sqlite3.Connection, task_id: Any, owner: Owner) -> TaskRecord:
        if not isinstance(task_id, str):
            raise TaskNotFound()
        row = db.execute(f"SELECT {_COLUMNS} FROM {_TABLE} WHERE task_id = ?",
                         (task_id,)).fetchone()
        if row is None:
            raise TaskNotFound()
        record = _row_to_record(row)
        if ((owner is not ANY_OWNER and record.owner != owner)
                or (record.deadline is not None and record.deadline <= _wall())):
            raise TaskNotFound()
        return record

    @staticmethod
    def _store(db: sqlite3.Connection, new: TaskRecord) -> None:
        db.execute(
            f"UPDATE {_TABLE} SET status = ?, status_message = ?, updated_at = ?, result = ?, "
            f"error = ?, input_requests = ?, input_responses = ?, version = ? WHERE seq = ?",
            (new.status, _dump(new.status_message), new.last_updated_at, _dump(new.result),
             _dump(new.error), _dump(new.input_requests), _dump(new.input_responses),
             new.version, new.seq))

    def _wake_task(self, task_id: str) -> None:
        with self._wait_lock:
            waiters = self._waiters.pop(task_id, None)
        wake_all(waiters)

    def _arm(self, deadline: float) -> None:
        """Tell the reaper about a new deadline (started on the first one)."""
        with self._cond:
            if self._closed:
                return
            self._start_reaper_locked()
            if self._armed is None or deadline < self._armed:
                if self._hint is None or deadline < self._hint:
                    self._hint = deadline
                self._cond.notify()

    def _reap_loop(self) -> None:
        cond = self._cond
        failures = 0
        while True:
            earliest: float | None = None
            try:
                if failures:  # back off after an error instead of retrying at once
                    earliest = _wall() + min(0.1 * 2 ** failures, 30.0)
                else:
                    with self._read() as db:
                        earliest = db.execute(f"SELECT MIN(deadline) FROM {_TABLE} "
                                              f"WHERE deadline IS NOT NULL").fetchone()[0]
            except sqlite3.Error:
                failures += 1
                log.exception("SQLite task reaper: reading the next deadline failed")
                continue
            with cond:
                while True:
                    if self._closed:
                        self._armed = None
                        return
                    if self._hint is not None and not failures:
                        earliest = self._hint if earliest is None else min(earliest, self._hint)
                        self._hint = None
                    self._armed = earliest
                    if earliest is None:
                        cond.wait()
                        continue
                    delay = earliest - _wall()
                    if delay <= 0:
                        break
                    cond.wait(delay)
                self._armed = None  # creates now always leave a hint
            try:
                self.expire()
                failures = 0
            except sqlite3.Error:
                failures += 1
                log.exception("SQLite task reaper: removing expired tasks failed")
            except Exception:  # pragma: no cover - _emit already guards listeners
                log.exception("SQLite task reaper: post-removal work failed")

    # -- instance liveness (crash recovery) ------------------------------------

    def _instance_file(self, instance: str) -> str:
        return os.path.join(self.path + "-instances", instance + ".lock")

    def _claim_instance(self) -> int | None:
        if fcntl is None:  # pragma: no cover - Windows
            return None
        os.makedirs(self.path + "-instances", exist_ok=True)
        fd = os.open(self._instance_file(self.instance_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _release_instance(self) -> None:
        fd, self._instance_lock = self._instance_lock, None
        if fd is None:
            return
        try:
            os.unlink(self._instance_file(self.instance_id))
        except OSError:
            pass
        os.close(fd)  # drops the flock: our unfinished tasks are now recoverable

    def _probe_instance(self, instance: Any) -> Callable[[], None] | None:
        """``None`` if ``instance`` is alive, else a function releasing its (now held) lock."""
        if fcntl is None or not _is_instance_id(instance):  # pragma: no cover - no fcntl
            return lambda: None
        path = self._instance_file(instance)
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return lambda: None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise

        def release() -> None:
            try:
                os.unlink(path)
            except OSError:
                pass
            os.close(fd)
        return release


# -- helpers shared with the Redis store ---------------------------------------

def _owner_key(owner: Owner) -> str:
    """The JSON text a durable store keys an owner by (``str`` or ``None`` only)."""
    if owner is not None and not isinstance(owner, str):
        raise TypeError(f"durable task stores bind tasks to a str owner or None, "
                        f"not {type(owner).__name__}")
    return json.dumps(owner)  # ASCII-only: a stable key, whatever the owner holds


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _load(text: str | bytes | None) -> Any:
    return None if text is None else json.loads(text)


def _row_to_record(row: Sequence[Any]) -> TaskRecord:
    (seq, task_id, owner, method, status, status_message, created_at, updated_at, ttl_ms,
     poll_interval_ms, deadline, result, error, input_requests, input_responses, version) = row
    return TaskRecord(task_id, json.loads(owner), method, status, created_at, updated_at,
                      ttl_ms, poll_interval_ms=poll_interval_ms,
                      status_message=_load(status_message), deadline=deadline,
                      result=_load(result), error=_load(error),
                      input_requests=_load(input_requests),
                      input_responses=_load(input_responses), seq=seq, version=version)


def _is_instance_id(value: Any) -> bool:
    return (isinstance(value, str) and 0 < len(value) <= 64
            and value.replace("-", "").replace("_", "").isalnum() and value.isascii())


