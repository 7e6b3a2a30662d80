"""A task table in Redis, shared by every worker process and host that uses the same prefix.

Needs the optional ``redis`` package (``pip install 'mcp-sync[redis]'``, redis-py
5 or later) and Redis 5 or later. Same behaviour as
:class:`~mcp_sync.tasks.memory.InMemoryTaskStore` (the contract tests in
``tests/stores/`` run against both), plus: a task created by one worker can be
read, listed, waited on, answered and cancelled through any other; waiters and
listeners in every process hear about every change.

Keys (``P`` is the ``prefix``; for Redis Cluster give it a hash tag, e.g.
``"{mcp_sync}:tasks"``, so every key lives in one slot):

* ``P:t:<task id>``: HASH, the record (``i`` id, ``o`` owner as JSON, ``ot`` owner
  tag, ``m`` method, ``s`` status, ``sm`` status message as JSON, ``c``/``u``/``d``
  created/updated/deadline in microseconds of the Redis server's clock, ``t`` TTL
  ms, ``p`` poll interval ms, ``r``/``e``/``ir``/``ia`` result, error, input
  requests and responses as JSON, ``q`` listing sequence number, ``v`` version).
  A task with a TTL gets a Redis key expiry at its deadline plus
  ``expiry_grace_ms``: the reaper normally removes it at the deadline (so the
  removal can be announced with the last record); the key expiry is the
  backstop when no store process is running.
* ``P:o:<owner tag>:l``: ZSET of the owner's task ids scored by ``q`` (listing;
  the cursor is an opaque encoding of the last ``q`` seen, so it stays valid when
  tasks before or after it go away). ``P:o:<owner tag>:a``: SET of the owner's
  unfinished task ids (the per-owner active limit). The owner tag is the
  owner's JSON in URL-safe base64, so different owners never share an index.
* ``P:all``: SET of every task id (the table-size limit). ``P:exp``: ZSET of
  ``<owner tag>:<task id>`` scored by deadline (the reaper's queue). ``P:seq``:
  the sequence counter.
* Channel ``P:events``: one JSON message per committed change ``{"i": origin
  store instance, "e": event, "id": task id, "f": the record's fields}``,
  published by the same Lua script that made the change (so messages come in
  commit order). Channel ``P:ctl:<instance>`` only stops this store's subscriber.

Atomicity: every write is one Lua script. ``create`` checks both limits, takes a
sequence number and writes the record and every index in one step. Updates are
compare-and-swap on ``v``: the new record is computed in Python from the one
read (the same transition rules as the memory store) and the commit script
applies it only if the version is unchanged and the task not expired, else the
update is retried on a fresh read; owner binding is checked on that read (the
owner never changes). Times come from the Redis server's ``TIME`` inside the
scripts, so every worker and host agrees on ``createdAt`` and on when a task
expires, whatever their own clocks say.

Waking: each store runs one subscriber thread (``mcp-sync-task-events-redis``)
on ``P:events``. A change made by this store object wakes its own waiters and
calls its listeners directly, in the thread that made it; a change made anywhere
else arrives through the subscriber, which wakes this process's waiters on that
task and calls its listeners (in the subscriber thread: listeners must not block
on this store's waits). Whenever the subscription is (re)established every local
waiter is woken to re-read, so a message lost during a reconnection can only
cause a spurious re-read, never a missed wake-up. Nothing polls.

Reaping: each store runs a reaper thread (``mcp-sync-task-reaper-redis``) that
sleeps on a Condition until the earliest deadline in ``P:exp`` (re-armed by local
creates and by ``created`` events from other processes) and then removes due tasks
in batches with one script; each task is removed, and its removal announced,
exactly once however many workers race for it. Ids whose record already vanished
by key expiry are dropped from every index by the reaper and, lazily, by listing.
Reads treat a task past its deadline as gone, so expiry is exact even if every
reaper is late.

Crash behaviour: Redis holds everything, so a worker crash loses nothing that was
committed. The work itself ran in that worker, so each store holds a *lease*: the
store that creates a task holds it (``w`` in the record; ``P:h`` maps task id to holder;
``P:w:<instance>`` is the SET
of its unfinished tasks) and a heartbeat thread (``mcp-sync-task-lease-redis``)
renews its entry in ``P:lease`` (a ZSET of lease expiries, Redis clock) every third
of ``lease_ms``. When a worker dies (SIGKILL, OOM, a lost host) its lease lapses and
the first reaper to reach that deadline marks its unfinished tasks ``failed``
(:data:`LEASE_MESSAGE`, error :data:`LEASE_ERROR`) in one script and announces
them, so ``tasks/result`` answers instead of waiting for the TTL. A store that
only lost Redis for longer than the lease loses its tasks the same way (their late
results are then dropped). ``lease_ms=None`` turns leases off (tasks of a dead
worker then stay ``working`` until their TTL). How durable Redis itself is depends
on its persistence settings (RDB/AOF).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any, Callable, Mapping

from ..errors import INTERNAL_ERROR
from .errors import TaskLimitError, TaskNotFound, TaskStoreClosed
from .ids import new_task_id
from .limits import TaskLimits
from .memory import _decode_cursor, _encode_cursor
from .model import Owner, TaskRecord
from .sqlite import _owner_key
from .status import WORKING
from .store import ANY_OWNER, KEEP, Listener, TaskEvent, TaskPage, TaskStore
from .transitions import check_outcome, check_update_status, plan_cancel, plan_input, plan_result, plan_status
from .waiting import add_waiter, block, hook_cancel, remove_waiter, wake_all

__all__ = ["DEFAULT_LEASE_MS", "DEFAULT_PREFIX", "LEASE_ERROR", "LEASE_MESSAGE", "RedisTaskStore"]

log = logging.getLogger("mcp_sync.tasks")

_monotonic = time.monotonic
_wall = time.time

DEFAULT_PREFIX = "mcp_sync:tasks"
#: How long a worker's tasks survive it: after this long without a renewal they fail.
DEFAULT_LEASE_MS = 30_000
#: Longest task id looked up (ours are 22 characters; anything longer is not ours).
_MAX_ID_LENGTH = 256

# Shared by every script: ARGV[1] = prefix, ARGV[2] = this store instance's id.
_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end
local P = ARGV[1]
local ORIGIN = ARGV[2]
local function now_us()
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', tonumber(t[2]))
end
local function to_table(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end
local function publish(event, id, f)
  local msg = {i = ORIGIN, e = event, id = id}
  if f then msg.f = f end
  redis.call('PUBLISH', P .. ':events', cjson.encode(msg))
end
local function release(id)
  local w = redis.call('HGET', P .. ':h', id)
  if w then
    redis.call('HDEL', P .. ':h', id)
    redis.call('SREM', P .. ':w:' .. w, id)
    if redis.call('EXISTS', P .. ':w:' .. w) == 0 then redis.call('ZREM', P .. ':lease', w) end
  end
end
local function forget(id, ot)
  release(id)
  redis.call('SREM', P .. ':all', id)
  redis.call('SREM', P .. ':o:' .. ot .. ':a', id)
  redis.call('ZREM', P .. ':o:' .. ot .. ':l', id)
  redis.call('ZREM', P .. ':exp', ot .. ':' .. id)
end
"""

# ARGV: 3 id, 4 owner tag, 5 owner JSON, 6 method, 7 ttl ms|'', 8 poll ms|'',
# 9 status message JSON, 10 max tasks|'', 11 max active|'', 12 expiry grace ms,
# 13 lease ms|'' (the creating store holds the task and renews its lease)
_CREATE = _PRELUDE + """
local id, ot = ARGV[3], ARGV[4]
local tkey = P .. ':t:' .. id
if ARGV[10] ~= '' and redis.call('SCARD', P .. ':all') >= tonumber(ARGV[10]) then
  return {'full'}
end
if ARGV[11] ~= '' and redis.call('SCARD', P .. ':o:' .. ot .. ':a') >= tonumber(ARGV[11]) then
  return {'active'}
end
if redis.call('EXISTS', tkey) == 1 then return {'exists'} end
local now = now_us()
local seq = string.format('%.0f', redis.call('INCR', P .. ':seq'))
local d = ''
if ARGV[7] ~= '' then d = string.format('%.0f', tonumber(now) + tonumber(ARGV[7]) * 1000) end
local f = {i = id, o = ARGV[5], ot = ot, m = ARGV[6], s = 'working', sm = ARGV[9], c = now,
           u = now, t = ARGV[7], p = ARGV[8], d = d, r = 'null', e = 'null', ir = 'null',
           ia = 'null', q = seq, v = '1', w = ''}
if ARGV[13] ~= '' then
  f.w = ORIGIN
  redis.call('ZADD', P .. ':lease', string.format('%.0f', tonumber(now) + tonumber(ARGV[13]) * 1000), ORIGIN)
  redis.call('SADD', P .. ':w:' .. ORIGIN, id)
  redis.call('HSET', P .. ':h', id, ORIGIN)
end
local flat = {}
for k, v in pairs(f) do flat[#flat + 1] = k; flat[#flat + 1] = v end
redis.call('HSET', tkey, unpack(flat))
redis.call('SADD', P .. ':all', id)
redis.call('SADD', P .. ':o:' .. ot .. ':a', id)
redis.call('ZADD', P .. ':o:' .. ot .. ':l', seq, id)
if d ~= '' then
  redis.call('ZADD', P .. ':exp', d, ot .. ':' .. id)
  redis.call('PEXPIREAT', tkey,
             string.format('%.0f', math.floor(tonumber(d) / 1000) + tonumber(ARGV[12])))
end
publish('created', id, f)
return {'ok', now, seq, d}
"""

# ARGV: 3 id, 4 expected version, 5 event, 6 '1' if the task becomes terminal,
# 7.. field, value pairs
_COMMIT = _PRELUDE + """
local id = ARGV[3]
local tkey = P .. ':t:' .. id
local cur = redis.call('HMGET', tkey, 'v', 'd', 'ot')
if not cur[1] then return {'gone'} end
local now = now_us()
if cur[2] ~= '' and tonumber(cur[2]) <= tonumber(now) then return {'gone'} end
if cur[1] ~= ARGV[4] then return {'conflict'} end
local flat = {'u', now, 'v', string.format('%.0f', tonumber(cur[1]) + 1)}
for i = 7, #ARGV do flat[#flat + 1] = ARGV[i] end
redis.call('HSET', tkey, unpack(flat))
if ARGV[6] == '1' then
  redis.call('SREM', P .. ':o:' .. cur[3] .. ':a', id)
  release(id)
end
publish(ARGV[5], id, to_table(redis.call('HGETALL', tkey)))
return {'ok', now}
"""

# ARGV: 3 id. Returns {server now, fields} or nil.
_GET = _PRELUDE + """
local flat = redis.call('HGETALL', P .. ':t:' .. ARGV[3])
if #flat == 0 then return false end
return {now_us(), flat}
"""

# ARGV: 3 id, 4 owner JSON, 5 '1' to check the owner. Returns the removed fields or nil.
_DELETE = _PRELUDE + """
local id = ARGV[3]
local tkey = P .. ':t:' .. id
local flat = redis.call('HGETALL', tkey)
if #flat == 0 then return false end
local f = to_table(flat)
if ARGV[5] == '1' and f.o ~= ARGV[4] then return false end
redis.call('DEL', tkey)
forget(id, f.ot)
publish('removed', id, f)
return flat
"""

# ARGV: 3 now (microseconds) or '' for the server's clock, 4 batch size.
# Returns {now, next deadline or '', '1' if more are due, {fields of removed tasks},
# {ids whose record had already vanished}}.
_REAP = _PRELUDE + """
local now = ARGV[3]
if now == '' then now = now_us() end
local batch = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', P .. ':exp', '-inf', now, 'LIMIT', 0, batch)
local removed, vanished = {}, {}
for _, member in ipairs(due) do
  local sep = string.find(member, ':', 1, true)
  local ot, id = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local tkey = P .. ':t:' .. id
  local flat = redis.call('HGETALL', tkey)
  forget(id, ot)
  if #flat > 0 then
    redis.call('DEL', tkey)
    publish('removed', id, to_table(flat))
    removed[#removed + 1] = flat
  else
    publish('removed', id, nil)
    vanished[#vanished + 1] = id
  end
end
local nxt = redis.call('ZRANGE', P .. ':exp', 0, 0, 'WITHSCORES')
local more = '0'
if #due == batch then more = '1' end
return {now, nxt[2] or '', more, removed, vanished}
"""

# ARGV: 3 owner tag, 4 owner JSON, 5 after seq, 6 how many. Returns {list of fields,
# ids whose record had vanished (dropped from the indexes and announced here)}.
_LIST = _PRELUDE + """
local ot = ARGV[3]
local key = P .. ':o:' .. ot .. ':l'
local want = tonumber(ARGV[6])
local now = tonumber(now_us())
local out, vanished = {}, {}
local start = '(' .. ARGV[5]
while #out < want do
  local ids = redis.call('ZRANGEBYSCORE', key, start, '+inf', 'WITHSCORES', 'LIMIT', 0, want)
  if #ids == 0 then break end
  for i = 1, #ids, 2 do
    local id = ids[i]
    start = '(' .. ids[i + 1]
    local flat = redis.call('HGETALL', P .. ':t:' .. id)
    if #flat == 0 then
      forget(id, ot)
      publish('removed', id, nil)
      vanished[#vanished + 1] = id
    else
      local f = to_table(flat)
      if f.o == ARGV[4] and (f.d == '' or tonumber(f.d) > now) then
        out[#out + 1] = flat
        if #out >= want then break end
      end
    end
  end
end
return {out, vanished}
"""


# ARGV: 3 lease ms. Renews this store's lease (only while it holds tasks).
_RENEW = _PRELUDE + """
if redis.call('EXISTS', P .. ':w:' .. ORIGIN) == 1 then
  redis.call('ZADD', P .. ':lease', string.format('%.0f', tonumber(now_us()) + tonumber(ARGV[3]) * 1000), ORIGIN)
else
  redis.call('ZREM', P .. ':lease', ORIGIN)
end
return 1
"""

# ARGV: 3 batch size, 4 status message JSON, 5 error JSON. Fails the unfinished tasks
# of every store whose lease expired (it stopped without finishing them: killed, or
# cut off from Redis). Returns {fields of failed tasks, next lease expiry or ''}.
_SWEEP = _PRELUDE + """
local now = now_us()
local dead = redis.call('ZRANGEBYSCORE', P .. ':lease', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local failed = {}
for _, holder in ipairs(dead) do
  local wkey = P .. ':w:' .. holder
  for _, id in ipairs(redis.call('SMEMBERS', wkey)) do
    redis.call('HDEL', P .. ':h', id)
    local tkey = P .. ':t:' .. id
    local cur = redis.call('HMGET', tkey, 's', 'v', 'ot', 'd', 'w')
    if cur[1] and (cur[1] == 'working' or cur[1] == 'input_required') and cur[5] == holder
       and (cur[4] == '' or tonumber(cur[4]) > tonumber(now)) then
      redis.call('HSET', tkey, 's', 'failed', 'sm', ARGV[4], 'e', ARGV[5], 'r', 'null', 'ir', 'null',
                 'ia', 'null', 'u', now, 'v', string.format('%.0f', tonumber(cur[2]) + 1))
      redis.call('SREM', P .. ':o:' .. cur[3] .. ':a', id)
      local flat = redis.call('HGETALL', tkey)
      publish('status', id, to_table(flat))
      failed[#failed + 1] = flat
    end
  end
  redis.call('DEL', wkey)
  redis.call('ZREM', P .. ':lease', holder)
end
local nxt = redis.call('ZRANGE', P .. ':lease', 0, 0, 'WITHSCORES')
return {failed, nxt[2] or ''}
"""

#: Status message of a task failed because the worker running it stopped.
LEASE_MESSAGE = ("The worker running the task stopped (its lease expired); the task did not "
                 "finish")
#: The JSON-RPC error recorded on such a task (what ``tasks/result`` answers).
LEASE_ERROR: Mapping[str, Any] = {
    "code": INTERNAL_ERROR,
    "message": "Internal error: the worker running the task stopped before it finished",
}


def _import_redis(who: str = "RedisTaskStore") -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{who} needs the 'redis' package (redis-py 5 or later): "
                          "pip install 'mcp-sync[redis]'") from exc
    return redis


def redis_client(redis: Any, who: str = "RedisTaskStore") -> tuple[Any, Any, bool]:
    """``(redis module, client, owned)`` for a ``redis://`` URL (a new client, owned: close it) or a client."""
    module = _import_redis(who)
    if isinstance(redis, str):
        return module, module.Redis.from_url(redis, socket_connect_timeout=10, socket_keepalive=True), True
    return module, redis, False


def stop_subscriber(redis: Any, ctl_channel: str, thread: threading.Thread, pubsub: Callable[[], Any],
                    errors: Any = Exception) -> None:
    """Stop and join a thread that listens on a Redis pub/sub connection (also subscribed to ``ctl_channel``).

    It is told with a ``stop`` message on ``ctl_channel``; if that is lost (Redis down), its
    connection (``pubsub()``'s) is cut so that the blocked read ends, and it is joined.
    """
    try:
        redis.publish(ctl_channel, b"stop")
    except errors:
        pass
    thread.join(2.0)
    if thread.is_alive():  # the stop message was lost: cut the connection
        connection = getattr(pubsub(), "connection", None)
        if connection is not None:
            connection.disconnect()
        thread.join()


class RedisTaskStore(TaskStore):
    """Thread-safe :class:`~mcp_sync.tasks.store.TaskStore` shared through Redis.

    ``redis`` is a ``redis://`` / ``rediss://`` / ``unix://`` URL (the store then
    owns the client and closes it) or a ``redis.Redis`` client (left open on
    :meth:`close`). Every store using the same server and ``prefix`` sees the same
    tasks; ``limits`` should be the same everywhere (they are checked by Redis at
    each create). ``expiry_grace_ms`` is how long after its deadline Redis itself
    drops a task's key if no reaper did; ``reap_batch`` bounds the tasks removed
    per script call.

    The subscriber and reaper threads start with :meth:`start` or on the first
    ``create``, ``wait_for`` or ``add_listener``; :meth:`close` joins them.
    :meth:`start` and :meth:`add_listener` return once the subscription is up (or
    ``subscribe_timeout`` seconds passed), so a listener hears every change
    committed after it was added, wherever it was made.
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0",
                 limits: TaskLimits | None = None, *, prefix: str = DEFAULT_PREFIX,
                 expiry_grace_ms: int = 60_000, reap_batch: int = 256,
                 subscribe_timeout: float = 10.0,
                 lease_ms: int | None = DEFAULT_LEASE_MS) -> None:
        super().__init__(limits)
        module, self._redis, self._owns_client = redis_client(redis)
        self._errors = module.RedisError
        if not isinstance(prefix, str) or not prefix:
            raise ValueError("prefix must be a non-empty string")
        if reap_batch < 1:
            raise ValueError("reap_batch must be positive")
        if not isinstance(expiry_grace_ms, int) or expiry_grace_ms < 0:
            raise ValueError("expiry_grace_ms must be a non-negative int")
        if lease_ms is not None and (type(lease_ms) is not int or lease_ms < 300):
            raise ValueError("lease_ms must be an int of at least 300, or None")
        #: How long this store's unfinished tasks outlive its last lease renewal.
        self.lease_ms = lease_ms
        self.prefix = prefix
        #: This store object's id (``i`` in event messages, to skip its own events).
        self.instance_id = new_task_id()
        self._events_channel = f"{prefix}:events"
        self._ctl_channel = f"{prefix}:ctl:{self.instance_id}"
        self._keys = [f"{prefix}:all"]  # routes the scripts to the prefix's slot
        self._grace = expiry_grace_ms
        self._subscribe_timeout = subscribe_timeout
        self._reap_batch = reap_batch
        r = self._redis
        self._create_script = r.register_script(_CREATE)
        self._commit_script = r.register_script(_COMMIT)
        self._get_script = r.register_script(_GET)
        self._delete_script = r.register_script(_DELETE)
        self._reap_script = r.register_script(_REAP)
        self._list_script = r.register_script(_LIST)
        self._renew_script = r.register_script(_RENEW)
        self._sweep_script = r.register_script(_SWEEP)

        self._wait_lock = threading.Lock()
        self._waiters: dict[str, list[threading.Event]] = {}
        self._subscribed = False
        self._subscribed_event = threading.Event()
        self._pubsub: Any = None
        self._stop = threading.Event()
        self._cond = threading.Condition()  # the reaper's; also guards thread start-up
        self._closed = False
        self._subscriber: threading.Thread | None = None
        self._reaper: threading.Thread | None = None
        self._heart: threading.Thread | None = None
        self._armed_us: int | None = None
        self._hint_us: int | None = None
        self._offset = 0.0  # Redis server clock minus ours, seconds (last seen)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> "RedisTaskStore":
        """Start the subscriber and the reaper and wait for the subscription.

        Raises redis-py's ``ConnectionError`` if Redis cannot be reached, and
        ``TimeoutError`` if the subscription is not up within ``subscribe_timeout``.
        """
        self._redis.ping()
        self._ensure_threads()
        if not self._subscribed_event.wait(self._subscribe_timeout):
            raise TimeoutError(f"no Redis subscription to {self._events_channel!r} within "
                               f"{self._subscribe_timeout} s")
        return self

    def close(self) -> None:
        with self._cond:
            with self._wait_lock:
                self._closed = True
                waiters = [w for lst in self._waiters.values() for w in lst]
                self._waiters.clear()
            self._stop.set()
            subscriber, reaper, heart = self._subscriber, self._reaper, self._heart
            self._cond.notify_all()
        wake_all(waiters)
        current = threading.current_thread()
        if subscriber is not None and subscriber is not current:
            def pubsub() -> Any:
                with self._wait_lock:
                    return self._pubsub

            stop_subscriber(self._redis, self._ctl_channel, subscriber, pubsub, self._errors)
        if reaper is not None and reaper is not current:
            reaper.join()
        if heart is not None and heart is not current:
            heart.join()
        if self._owns_client:
            self._redis.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __bool__(self) -> bool:
        """Always true: an empty store is still a store (and truth needs no round trip)."""
        return True

    def __len__(self) -> int:
        """Tasks under this prefix (expired ones count until a reaper removes them)."""
        return int(self._redis.scard(f"{self.prefix}:all"))

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Like :meth:`TaskStore.add_listener`; changes made by other processes are
        delivered in the subscriber thread."""
        remove = super().add_listener(listener)
        try:
            self._ensure_threads()
        except TaskStoreClosed:
            return remove
        if not self._subscribed_event.wait(self._subscribe_timeout):
            log.warning("Redis task events: not subscribed yet; the listener will miss "
                        "other processes' changes until the subscription is up")
        return remove

    def _ensure_threads(self) -> None:
        with self._cond:
            if self._closed:
                raise TaskStoreClosed()
            if self._subscriber is None:
                self._subscriber = threading.Thread(target=self._listen_loop,
                                                    name="mcp-sync-task-events-redis",
                                                    daemon=True)
                self._subscriber.start()
            if self._reaper is None:
                self._reaper = threading.Thread(target=self._reap_loop,
                                                name="mcp-sync-task-reaper-redis", daemon=True)
                self._reaper.start()
            if self._heart is None and self.lease_ms is not None:
                self._heart = threading.Thread(target=self._heartbeat_loop,
                                               name="mcp-sync-task-lease-redis", daemon=True)
                self._heart.start()

    # -- writes ----------------------------------------------------------------

    def create(self, owner: Owner, method: str, *, ttl_ms: int | None = None,
               poll_interval_ms: int | None = None,
               status_message: str | None = None) -> TaskRecord:
        return self._create(owner, method, ttl_ms, poll_interval_ms, status_message, self.lease_ms)

    def create_detached(self, owner: Owner, method: str, *, ttl_ms: int | None = None,
                        poll_interval_ms: int | None = None,
                        status_message: str | None = None) -> TaskRecord:
        """A task outside this store's lease: it stays ``working`` when this process dies (its
        work runs elsewhere, which records the outcome), until its TTL."""
        return self._create(owner, method, ttl_ms, poll_interval_ms, status_message, None)

    def _create(self, owner: Owner, method: str, ttl_ms: int | None, poll_interval_ms: int | None,
                status_message: str | None, lease_ms: int | None) -> TaskRecord:
        owner_json = _owner_key(owner)
        limits = self.limits
        ttl = limits.resolve_ttl(ttl_ms)
        if poll_interval_ms is None:
            poll_interval_ms = limits.poll_interval_ms
        message_json = _dump(status_message)
        self._ensure_threads()
        while True:
            task_id = new_task_id()
            reply = self._create_script(keys=self._keys, args=[
                self.prefix, self.instance_id, task_id, _owner_tag(owner_json), owner_json,
                method, _num(ttl), _num(poll_interval_ms), message_json,
                _num(limits.max_tasks), _num(limits.max_active_per_owner), self._grace,
                _num(lease_ms)])
            outcome = _text(reply[0])
            if outcome == "ok":
                break
            if outcome == "full":
                raise TaskLimitError.table_full(limits.max_tasks)  # type: ignore[arg-type]
            if outcome == "active":
                raise TaskLimitError.too_many_active(
                    limits.max_active_per_owner)  # type: ignore[arg-type]
            # "exists": a 128-bit id collision; draw another
        now = int(reply[1]) / 1e6
        deadline_us = _text(reply[3])
        record = TaskRecord(task_id, owner, method, WORKING, now, now, ttl,
                            poll_interval_ms=poll_interval_ms, status_message=status_message,
                            deadline=int(deadline_us) / 1e6 if deadline_us else None,
                            seq=int(reply[2]))
        if deadline_us:
            self._arm(int(deadline_us))
        if self._listeners:
            self._emit(record, TaskEvent.CREATED)
        return record

    def update_status(self, task_id: str, status: str, *, status_message: Any = KEEP,
                      input_requests: Any = KEEP) -> TaskRecord:
        check_update_status(status)
        while True:
            old = self._lookup(task_id, ANY_OWNER)
            new = plan_status(old, status, status_message, input_requests,
                               old.last_updated_at)
            event = TaskEvent.STATUS if old.status != status else TaskEvent.UPDATED
            committed = self._commit(old, new, event, ("s", "sm", "ir", "ia"))
            if committed is not None:
                break
        self._changed(committed, event)
        return committed

    def set_result(self, task_id: str, status: str, *, result: Mapping[str, Any] | None = None,
                   error: Mapping[str, Any] | None = None,
                   status_message: Any = KEEP) -> TaskRecord:
        check_outcome(status, result, error)
        while True:
            old = self._lookup(task_id, ANY_OWNER)
            new = plan_result(old, status, result, error, status_message, old.last_updated_at)
            if new is None:
                return old  # cancelled stays cancelled; the late outcome is dropped
            committed = self._commit(old, new, TaskEvent.STATUS,
                                     ("s", "r", "e", "sm", "ir", "ia"))
            if committed is not None:
                break
        self._changed(committed, TaskEvent.STATUS)
        return committed

    def cancel(self, task_id: str, owner: Owner, *,
               status_message: str | None = None) -> TaskRecord:
        while True:
            old = self._lookup(task_id, owner)
            new = plan_cancel(old, status_message, old.last_updated_at)
            committed = self._commit(old, new, TaskEvent.STATUS, ("s", "sm", "ir", "ia"))
            if committed is not None:
                break
        self._changed(committed, TaskEvent.STATUS)
        return committed

    def submit_input(self, task_id: str, owner: Owner,
                     responses: Mapping[str, Any]) -> list[str]:
        if not isinstance(responses, Mapping):
            raise TypeError("responses must be a mapping of input request key -> response")
        while True:
            old = self._lookup(task_id, owner)
            new, accepted = plan_input(old, responses, old.last_updated_at)
            if new is None:
                return []
            committed = self._commit(old, new, TaskEvent.UPDATED, ("ir", "ia"))
            if committed is not None:
                break
        self._changed(committed, TaskEvent.UPDATED)
        return accepted

    def delete(self, task_id: str, owner: Owner = ANY_OWNER) -> bool:
        if not _is_id(task_id):
            return False
        if owner is ANY_OWNER:
            owner_json, check = "", "0"
        elif owner is None or isinstance(owner, str):
            owner_json, check = _owner_key(owner), "1"
        else:
            return False
        reply = self._delete_script(keys=self._keys, args=[
            self.prefix, self.instance_id, task_id, owner_json, check])
        if reply is None:
            return False
        record = _record(_fields(reply))
        self._changed(record, TaskEvent.REMOVED)
        return True

    def expire(self, now: float | None = None) -> int:
        """Remove expired tasks now (``now`` in seconds of the Redis server's clock,
        which is ``time.time()`` on a synchronized host; ``None`` = the server's now)."""
        total = 0
        while True:
            _, _, more, count = self._reap_once(None if now is None else int(now * 1e6))
            total += count
            if not more:
                return total

    # -- reads -----------------------------------------------------------------

    def get(self, task_id: str, owner: Owner) -> TaskRecord:
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
        if owner is not None and not isinstance(owner, str):
            return TaskPage([], None)  # no such owner can have tasks here
        owner_json = _owner_key(owner)
        reply = self._list_script(keys=self._keys, args=[
            self.prefix, self.instance_id, _owner_tag(owner_json), owner_json, after,
            limit + 1])
        records = [_record(_fields(flat)) for flat in reply[0]]
        for task_id in reply[1]:  # vanished by key expiry: wake whoever waits on them
            self._wake_task(_text(task_id))
        page = records[:limit]
        next_cursor = _encode_cursor(page[-1].seq) if len(records) > limit else None
        return TaskPage(page, next_cursor)

    def wait_for(self, task_id: str, owner: Owner, predicate: Callable[[TaskRecord], bool], *,
                 timeout: float | None = None, cancel: Any = None) -> TaskRecord:
        if not _is_id(task_id):
            raise TaskNotFound()
        deadline = None if timeout is None else _monotonic() + timeout
        self._ensure_threads()
        wake = threading.Event()
        unhook = hook_cancel(cancel, wake.set)
        try:
            while True:
                with self._wait_lock:
                    if self._closed:
                        raise TaskStoreClosed()
                    add_waiter(self._waiters, task_id, wake)  # before the read: no change can be missed
                    subscribed = self._subscribed
                if subscribed:  # else: woken once the subscription is up
                    record = self._lookup(task_id, owner)
                    if predicate(record):
                        return record
                block(wake, task_id, cancel, deadline, timeout)
        finally:
            if unhook is not None:
                unhook()
            with self._wait_lock:
                remove_waiter(self._waiters, task_id, wake)

    # -- internals -------------------------------------------------------------

    def _lookup(self, task_id: Any, owner: Owner) -> TaskRecord:
        if not _is_id(task_id):
            raise TaskNotFound()
        reply = self._get_script(keys=self._keys, args=[self.prefix, self.instance_id, task_id])
        if reply is None:
            raise TaskNotFound()
        fields = _fields(reply[1])
        record = _record(fields)
        if ((owner is not ANY_OWNER and record.owner != owner)
                or (fields["d"] and int(fields["d"]) <= int(reply[0]))):
            raise TaskNotFound()
        return record

    def _commit(self, old: TaskRecord, new: TaskRecord, event: str,
                fields: tuple[str, ...]) -> TaskRecord | None:
        """Compare-and-swap ``old`` -> ``new``; ``None`` if the task changed meanwhile."""
        args: list[Any] = [self.prefix, self.instance_id, old.task_id, old.version, event,
                           "1" if new.is_terminal and not old.is_terminal else "0"]
        for name in fields:
            args.append(name)
            args.append(_ENCODE[name](new))
        reply = self._commit_script(keys=self._keys, args=args)
        outcome = _text(reply[0])
        if outcome == "conflict":
            return None
        if outcome != "ok":
            raise TaskNotFound()
        return new.replace(last_updated_at=int(reply[1]) / 1e6)

    def _changed(self, record: TaskRecord, event: str) -> None:
        """After a local commit: wake local waiters, call listeners (no lock held)."""
        self._wake_task(record.task_id)
        if self._listeners:
            self._emit(record, event)

    def _wake_task(self, task_id: str) -> None:
        with self._wait_lock:
            waiters = self._waiters.pop(task_id, None)
        wake_all(waiters)

    def _reap_once(self, now_us: int | None) -> tuple[int, int | None, bool, int]:
        """One reap script call: (server now, next deadline, more due?, removed count)."""
        reply = self._reap_script(keys=self._keys, args=[
            self.prefix, self.instance_id, "" if now_us is None else now_us, self._reap_batch])
        server_now = int(reply[0])
        if now_us is None:
            self._offset = server_now / 1e6 - _wall()
        next_text = _text(reply[1])
        next_us = int(float(next_text)) if next_text else None
        removed = [_record(_fields(flat)) for flat in reply[3]]
        vanished = [_text(task_id) for task_id in reply[4]]
        for record in removed:
            self._wake_task(record.task_id)
        for task_id in vanished:
            self._wake_task(task_id)
        if self._listeners:
            for record in removed:
                self._emit(record, TaskEvent.REMOVED)
        return server_now, next_us, _text(reply[2]) == "1", len(removed) + len(vanished)

    def _sweep_once(self) -> int | None:
        """Fail the unfinished tasks of stores whose lease expired; the next lease expiry."""
        reply = self._sweep_script(keys=self._keys, args=[
            self.prefix, self.instance_id, self._reap_batch, _dump(LEASE_MESSAGE),
            _dump(LEASE_ERROR)])
        failed = [_record(_fields(flat)) for flat in reply[0]]
        if failed:
            log.warning("Redis task store %s: %d unfinished task(s) of a stopped worker marked "
                        "failed", self.prefix, len(failed))
        for record in failed:
            self._wake_task(record.task_id)
        if self._listeners:
            for record in failed:
                self._emit(record, TaskEvent.STATUS)
        next_text = _text(reply[1])
        return int(float(next_text)) if next_text else None

    def _heartbeat_loop(self) -> None:
        """Renew this store's lease every third of ``lease_ms`` until :meth:`close`.

        A timer, not a poll: the renewal is what tells the other workers this one is alive.
        """
        assert self.lease_ms is not None
        interval = self.lease_ms / 3000
        while not self._stop.wait(interval):
            try:
                self._renew_script(keys=self._keys, args=[self.prefix, self.instance_id,
                                                         self.lease_ms])
            except self._errors as exc:
                log.warning("Redis task store: lease renewal failed (%s); retrying", exc)

    def _arm(self, deadline_us: int) -> None:
        """Tell the reaper about a deadline (it only wakes if that is sooner)."""
        with self._cond:
            if self._closed:
                return
            if self._armed_us is None or deadline_us < self._armed_us:
                if self._hint_us is None or deadline_us < self._hint_us:
                    self._hint_us = deadline_us
                self._cond.notify()

    def _reap_loop(self) -> None:
        cond = self._cond
        failures = 0
        while True:
            next_us: int | None = None
            more = False
            try:
                _, next_us, more, _ = self._reap_once(None)
                lease_us = self._sweep_once()
                if lease_us is not None:
                    next_us = lease_us if next_us is None else min(next_us, lease_us)
                failures = 0
            except self._errors as exc:
                failures += 1
                if not self._closed:
                    log.warning("Redis task reaper: %s; retrying", exc)
                next_us = int((_wall() + self._offset + min(0.1 * 2 ** failures, 10.0)) * 1e6)
            except Exception:  # pragma: no cover - _emit already guards listeners
                log.exception("Redis task reaper: post-removal work failed")
            with cond:
                while True:
                    if self._closed:
                        self._armed_us = None
                        return
                    if more:
                        break
                    if self._hint_us is not None:
                        next_us = (self._hint_us if next_us is None
                                   else min(next_us, self._hint_us))
                        self._hint_us = None
                    self._armed_us = next_us
                    if next_us is None:
                        cond.wait()
                        continue
                    delay = next_us / 1e6 - (_wall() + self._offset)
                    if delay <= 0:
                        break
                    cond.wait(delay)
                self._armed_us = None  # creates now always leave a hint

    def _listen_loop(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            try:
                pubsub = self._redis.pubsub()
            except self._errors as exc:  # pragma: no cover - pubsub() does no I/O today
                log.warning("Redis task events: %s", exc)
                self._stop.wait(backoff)
                continue
            with self._wait_lock:
                self._pubsub = pubsub
            try:
                pubsub.subscribe(self._events_channel, self._ctl_channel)
                if self._stop.is_set():
                    break
                for message in pubsub.listen():
                    kind = _text(message.get("type"))
                    channel = _text(message.get("channel"))
                    if channel == self._ctl_channel:
                        if self._stop.is_set():
                            break
                    elif kind == "subscribe":  # first subscription, or redis-py resubscribed
                        backoff = 0.05
                        self._on_subscribed()
                    elif kind == "message":
                        self._on_event(message.get("data"))
            except self._errors as exc:
                if not self._stop.is_set():
                    log.warning("Redis task events: subscription lost (%s); reconnecting", exc)
            finally:
                with self._wait_lock:
                    self._subscribed = False
                    self._subscribed_event.clear()
                    self._pubsub = None
                try:
                    pubsub.close()
                except self._errors:  # pragma: no cover
                    pass
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, 5.0)

    def _on_subscribed(self) -> None:
        """(Re)subscribed: messages may have been missed, so every waiter re-reads and
        the reaper rescans."""
        with self._wait_lock:
            self._subscribed = True
            self._subscribed_event.set()
            waiters = [w for lst in self._waiters.values() for w in lst]
        wake_all(waiters)
        self._arm(0)

    def _on_event(self, data: Any) -> None:
        try:
            message = json.loads(data)
            if message.get("i") == self.instance_id:
                return  # our own change: handled in the thread that made it
            task_id = message["id"]
            event = message["e"]
            fields = message.get("f")
            record = _record(fields) if isinstance(fields, dict) else None
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("Redis task events: ignoring a malformed message %.200r", data)
            return
        self._wake_task(task_id)
        if record is None:
            return
        if event == TaskEvent.CREATED and fields.get("d"):
            self._arm(int(fields["d"]))
        if event == TaskEvent.CREATED and fields.get("w") and self.lease_ms is not None:
            # Another worker holds a task now: check its lease when it would lapse.
            self._arm(int((_wall() + self._offset) * 1e6) + 1000 * self.lease_ms)
        if self._listeners:
            self._emit(record, event)


# -- encoding ------------------------------------------------------------------------

def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_ENCODE: dict[str, Callable[[TaskRecord], str]] = {
    "s": lambda r: r.status,
    "sm": lambda r: _dump(r.status_message),
    "r": lambda r: _dump(r.result),
    "e": lambda r: _dump(r.error),
    "ir": lambda r: _dump(r.input_requests),
    "ia": lambda r: _dump(r.input_responses),
}


def _owner_tag(owner_json: str) -> str:
    """The owner's index-key component: its JSON in unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(owner_json.encode("utf-8")).rstrip(b"=").decode("ascii")


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return "" if value is None else str(value)


def _is_id(task_id: Any) -> bool:
    return isinstance(task_id, str) and 0 < len(task_id) <= _MAX_ID_LENGTH


def _fields(flat: list[Any]) -> dict[str, str]:
    it = iter(flat)
    return {_text(key): _text(value) for key, value in zip(it, it)}


def _record(f: Mapping[str, str]) -> TaskRecord:
    return TaskRecord(
        f["i"], json.loads(f["o"]), f["m"], f["s"], int(f["c"]) / 1e6, int(f["u"]) / 1e6,
        int(f["t"]) if f["t"] else None,
        poll_interval_ms=int(f["p"]) if f["p"] else None,
        status_message=json.loads(f["sm"]),
        deadline=int(f["d"]) / 1e6 if f["d"] else None,
        result=json.loads(f["r"]), error=json.loads(f["e"]),
        input_requests=json.loads(f["ir"]), input_responses=json.loads(f["ia"]),
        seq=int(f["q"]), version=int(f["v"]))
