"""Subscriptions to list changes and resource updates, in either era.

``client.subscribe(tools=True, resource_uris=["file:///a"])`` returns a
:class:`Subscription` once the server has acknowledged it. What it delivers
goes to the client's usual hooks (``on_tools_changed``, ``on_prompts_changed``,
``on_resources_changed``, ``on_resource_updated``, ``on_notification``) and,
for whoever wants to consume them in a loop, to the subscription itself::

    with client.subscribe(tools=True) as sub:
        for event in sub:                 # SubscriptionEvent(method, params)
            print(event.method)

Modern servers (2026-07-28): a named thread holds one ``subscriptions/listen``
request open (HTTP: its SSE response stream; stdio: notifications told apart by
``_meta["io.modelcontextprotocol/subscriptionId"]``). The first message is the
server's acknowledgement (:attr:`Subscription.acknowledged`: the subset it
honours). If an HTTP stream breaks, the thread listens again (up to
``max_reconnects`` times in a row). ``close()`` ends it: HTTP closes the stream,
stdio sends ``notifications/cancelled``; then the thread is joined.

Legacy servers: list changes arrive without asking, and ``resource_uris`` are
subscribed with ``resources/subscribe`` (``close()`` unsubscribes).
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from concurrent.futures import CancelledError
from typing import Any, Iterator, Mapping, NamedTuple, Sequence

from ..errors import ConnectionClosed
from ..protocol.capabilities import has_capability
from ..protocol.modern import META_SUBSCRIPTION_ID

log = logging.getLogger("mcp_sync.client")

#: Events a subscription keeps for iteration before it drops the oldest.
MAX_QUEUED_EVENTS = 1024
#: Consecutive broken listen streams after which a subscription gives up.
MAX_RECONNECTS = 3
#: Pause before listening again after a broken stream (seconds; doubles each time).
RECONNECT_DELAY = 0.5
#: Notifications tagged with a subscription id we do not know yet, kept until the id is known.
MAX_ORPHANS = 256

_LIST_CHANGED = {
    "notifications/tools/list_changed": "toolsListChanged",
    "notifications/prompts/list_changed": "promptsListChanged",
    "notifications/resources/list_changed": "resourcesListChanged",
}
_ACK = "notifications/subscriptions/acknowledged"
_counter = itertools.count(1)


class SubscriptionEvent(NamedTuple):
    """One notification delivered on a subscription."""

    method: str
    params: dict[str, Any]


class SubscriptionEnded(ConnectionClosed):
    """The server ended the subscription (``notifications/cancelled`` for the listen request)."""


def subscription_id_of(params: Any) -> Any:
    meta = params.get("_meta") if isinstance(params, Mapping) else None
    if not isinstance(meta, Mapping):
        return None
    value = meta.get(META_SUBSCRIPTION_ID, meta.get("subscriptionId"))
    return value if type(value) in (str, int) else None


def build_filter(tools: bool, prompts: bool, resources: bool, resource_uris: Sequence[str]) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    if tools:
        wanted["toolsListChanged"] = True
    if prompts:
        wanted["promptsListChanged"] = True
    if resources:
        wanted["resourcesListChanged"] = True
    uris = list(resource_uris)
    for uri in uris:
        if not isinstance(uri, str):
            raise TypeError(f"resource URIs must be strings, not {type(uri).__name__}")
    if uris:
        wanted["resourceSubscriptions"] = uris
    if not wanted:
        raise ValueError("subscribe to something: tools=True, prompts=True, resources=True or resource_uris=[...]")
    return wanted


def matches(notifications: Mapping[str, Any], method: str, params: Any) -> bool:
    """True if a notification is of a kind ``notifications`` (a SubscriptionFilter) asks for."""
    key = _LIST_CHANGED.get(method)
    if key is not None:
        return bool(notifications.get(key))
    if method == "notifications/resources/updated":
        uri = params.get("uri") if isinstance(params, Mapping) else None
        return uri in (notifications.get("resourceSubscriptions") or ())
    return False


class Subscription:
    """A live subscription. Iterate it for :class:`SubscriptionEvent` s; ``close()`` ends it."""

    def __init__(self, client: Any, notifications: dict[str, Any]) -> None:
        self._client = client
        #: The ``SubscriptionFilter`` asked for (wire shape).
        self.requested = notifications
        #: The ``SubscriptionFilter`` the server agreed to honour (None until acknowledged).
        self.acknowledged: dict[str, Any] | None = None
        #: Why the subscription ended, when it did not end by ``close()`` or by the server's choice.
        self.error: BaseException | None = None
        #: True if the server ended the subscription.
        self.ended_by_server = False
        self._cond = threading.Condition()
        self._events: collections.deque[SubscriptionEvent] = collections.deque(maxlen=MAX_QUEUED_EVENTS)
        self._ended = False
        self._closed = threading.Event()
        self._acked = threading.Event()

    # -- public -------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True until the subscription ended (closed, ended by the server, or broken)."""
        with self._cond:
            return not self._ended

    def next(self, timeout: float | None = None) -> SubscriptionEvent | None:
        """The next event; None when the subscription ended (or ``timeout`` seconds passed)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._events or self._ended, timeout):
                return None
            return self._events.popleft() if self._events else None

    def __iter__(self) -> Iterator[SubscriptionEvent]:
        while True:
            event = self.next()
            if event is None:
                return
            yield event

    def close(self) -> None:
        """End the subscription (idempotent)."""
        self._closed.set()
        self._end()

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "active" if self.active else "ended"
        return f"<{type(self).__name__} {state} requested={self.requested} acknowledged={self.acknowledged}>"

    # -- used by the router ---------------------------------------------------------------

    def _push(self, method: str, params: Any) -> None:
        with self._cond:
            if self._ended:
                return
            if len(self._events) == self._events.maxlen:
                log.warning("subscription queue full: dropping the oldest event (iterate the subscription, or "
                            "rely on the client's hooks)")
            self._events.append(SubscriptionEvent(method, dict(params or {})))
            self._cond.notify_all()

    def _finish(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()
        self._acked.set()

    def _end(self) -> None:
        self._finish()


class LegacySubscription(Subscription):
    """A subscription to a legacy server: ``resources/subscribe`` per URI; list changes come anyway."""

    def _open(self, timeout: Any) -> None:
        client = self._client
        caps = client._server_caps
        done: list[str] = []
        try:
            for uri in self.requested.get("resourceSubscriptions") or ():
                client.subscribe_resource(uri, timeout=timeout)
                done.append(uri)
        except BaseException:
            self._uris = done
            self.close()
            raise
        self._uris = done
        acknowledged: dict[str, Any] = {}
        for key, capability in (("toolsListChanged", "tools"), ("promptsListChanged", "prompts"),
                                ("resourcesListChanged", "resources")):
            if self.requested.get(key) and has_capability(caps, capability, "listChanged"):
                acknowledged[key] = True
        if done:
            acknowledged["resourceSubscriptions"] = list(done)
        self.acknowledged = acknowledged
        self._acked.set()

    def _end(self) -> None:
        with self._cond:
            if self._ended:
                return
        self._finish()
        client = self._client
        for uri in getattr(self, "_uris", ()):
            if client.closed:
                break
            try:
                client.unsubscribe_resource(uri)
            except Exception as exc:
                log.debug("resources/unsubscribe %s failed: %s", uri, exc)


class ListenSubscription(Subscription):
    """A ``subscriptions/listen`` stream held open by a named thread."""

    def __init__(self, client: Any, notifications: dict[str, Any], *, max_reconnects: int = MAX_RECONNECTS) -> None:
        super().__init__(client, notifications)
        self.max_reconnects = max_reconnects
        self._lock = threading.Lock()
        self._future: Any = None
        #: JSON-RPC id of the listen request in flight (the subscription id).
        self.id: Any = None
        self._thread = threading.Thread(target=self._run, name=f"{client.session.name}-subscription-{next(_counter)}",
                                        daemon=True)

    def _open(self, timeout: float | None) -> None:
        self._thread.start()
        if not self._acked.wait(timeout):
            self.close()
            from ..errors import RequestTimeout

            raise RequestTimeout("the server did not acknowledge the subscription within the timeout")
        if self.acknowledged is None:
            error = self.error or ConnectionClosed("the subscription ended before the server acknowledged it")
            self.close()
            raise error

    def _listen(self) -> Any:
        client = self._client
        future = client._modern.send("subscriptions/listen", {"notifications": self.requested}, None)
        with self._lock:
            self._future = future
            closing = self._closed.is_set()
        if closing:
            future.cancel("subscription closed")
            return future
        request_id = getattr(future, "request_id", None)
        if request_id is not None:
            self.id = request_id
            client._router.register(request_id, self)
        return future

    def _run(self) -> None:
        client = self._client
        failures = 0
        try:
            while not self._closed.is_set():
                future = self._listen()
                listened_id = self.id
                try:
                    future.result()
                except CancelledError:
                    return
                except SubscriptionEnded:
                    self.ended_by_server = True
                    if client._modern.http and listened_id is not None:  # let go of the stream (nothing is POSTed)
                        try:
                            client.session.notify("notifications/cancelled", {"requestId": listened_id})
                        except ConnectionClosed:
                            pass
                    return
                except ConnectionClosed as exc:
                    if self._closed.is_set() or client.closed:
                        if not self._closed.is_set():
                            self.error = exc
                        return
                    failures += 1
                    if failures > self.max_reconnects or self.acknowledged is None:
                        self.error = exc
                        return
                    log.info("subscription stream broke (%s); listening again", exc)
                    if self._closed.wait(RECONNECT_DELAY * 2 ** (failures - 1)):
                        return
                    continue
                except BaseException as exc:
                    self.error = exc
                    return
                finally:
                    if listened_id is not None:
                        client._router.unregister(listened_id, self)
                # a result: the server ended the subscription gracefully
                self.ended_by_server = True
                return
        finally:
            self._finish()

    def duplicate(self, method: str, params: Any) -> bool:
        """A list change this subscription receives too, arriving on another stream (the client's hooks then
        run once, for the copy on this one)."""
        acknowledged = self.acknowledged
        key = _LIST_CHANGED.get(method)
        if key is None or not acknowledged or not acknowledged.get(key):
            return False
        other: bool = subscription_id_of(params) != self.id
        return other

    def _on_ack(self, params: Any) -> None:
        notifications = params.get("notifications") if isinstance(params, Mapping) else None
        self.acknowledged = dict(notifications) if isinstance(notifications, Mapping) else {}
        self._acked.set()

    def _end(self) -> None:
        with self._lock:
            future = self._future
        if future is not None and not future.done():
            future.cancel("subscription closed")
        self._finish()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()


class Router:
    """Hands subscription notifications to their :class:`Subscription` (one per client)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[Any, ListenSubscription] = {}
        self._legacy: list[LegacySubscription] = []
        self._orphans: collections.deque[tuple[Any, str, Any]] = collections.deque(maxlen=MAX_ORPHANS)

    def register(self, subscription_id: Any, subscription: ListenSubscription) -> None:
        with self._lock:
            self._by_id[subscription_id] = subscription
            kept: collections.deque[tuple[Any, str, Any]] = collections.deque(maxlen=MAX_ORPHANS)
            for sid, method, params in self._orphans:
                if sid == subscription_id:
                    self._deliver(subscription, method, params)
                else:
                    kept.append((sid, method, params))
            self._orphans = kept

    def unregister(self, subscription_id: Any, subscription: ListenSubscription) -> None:
        with self._lock:
            if self._by_id.get(subscription_id) is subscription:
                del self._by_id[subscription_id]

    def add_legacy(self, subscription: LegacySubscription) -> None:
        with self._lock:
            self._legacy.append(subscription)

    def remove_legacy(self, subscription: LegacySubscription) -> None:
        with self._lock:
            self._legacy = [s for s in self._legacy if s is not subscription]

    def all(self) -> list[Subscription]:
        with self._lock:
            return [*self._by_id.values(), *self._legacy]

    def route(self, method: str, params: Any, session: Any) -> None:
        """Called for every notification, on the client's notification thread."""
        if method == "notifications/cancelled":
            request_id = params.get("requestId") if isinstance(params, Mapping) else None
            with self._lock:
                known = type(request_id) in (str, int) and request_id in self._by_id
            if known:  # the server tore the subscription down
                session.fail_request(request_id, SubscriptionEnded("the server ended the subscription"))
            return
        subscription_id = subscription_id_of(params)
        with self._lock:
            if subscription_id is not None:
                target = self._by_id.get(subscription_id)
                if target is None:
                    self._orphans.append((subscription_id, method, params))
                else:
                    self._deliver(target, method, params)
            for legacy in self._legacy:
                if matches(legacy.requested, method, params):
                    legacy._push(method, params)

    @staticmethod
    def _deliver(subscription: ListenSubscription, method: str, params: Any) -> None:
        if method == _ACK:
            subscription._on_ack(params)
        elif matches(subscription.acknowledged or subscription.requested, method, params):
            subscription._push(method, params)


def listen_for_hooks(client: Any, timeout: float | None) -> ListenSubscription | None:
    """The ``subscriptions/listen`` stream that feeds the client's list-changed hooks on 2026-07-28.

    A legacy session gets ``notifications/*/list_changed`` without asking; a
    2026-07-28 server sends them only on a subscription. So a client given
    ``on_tools_changed``, ``on_prompts_changed`` or ``on_resources_changed``
    listens for the kinds it has hooks for and the server declares
    ``listChanged`` for (none: no stream, no thread). The client closes it
    with itself. A server that refuses the subscription is logged and the
    client goes on without it (None).
    """
    hooks = client._hooks
    caps = client._server_caps
    kinds = [hooks[kind] is not None and has_capability(caps, kind, "listChanged")
             for kind in ("tools", "prompts", "resources")]
    if not any(kinds):
        return None
    wanted = build_filter(kinds[0], kinds[1], kinds[2], ())
    subscription = ListenSubscription(client, wanted)
    try:
        subscription._open(timeout)
    except Exception as exc:
        log.warning("the server refused the subscription for the list-changed hooks (%s); they will not fire",
                    exc)
        return None
    return subscription
