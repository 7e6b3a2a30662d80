"""The future every non-blocking client call returns."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError, Future, InvalidStateError
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")

#: Returned by a converter to say "not finished: another request follows" (pagination).
MORE: Any = object()


class McpFuture(Future[T], Generic[T]):
    """A :class:`concurrent.futures.Future` of a typed result.

    ``result()`` returns the typed result or raises what went wrong
    (:class:`~mcp_sync.errors.McpError`, :class:`~mcp_sync.errors.RequestTimeout`,
    :class:`~mcp_sync.errors.ConnectionClosed`, ...). ``cancel(reason)``, from
    any thread, stops the wait *and* tells the server with
    ``notifications/cancelled``. Works with :func:`concurrent.futures.wait` and
    :func:`~concurrent.futures.as_completed`.

    Callbacks added with ``add_done_callback`` run on the thread that completes
    the future (usually the client's notification thread, in order with the
    notification hooks). They may make further client calls; they must not wait
    for a future created elsewhere.
    """

    def __init__(self, method: str) -> None:
        super().__init__()
        self.method = method
        self._lock = threading.Lock()
        self._inner: Future[Any] | None = None

    @property
    def request_id(self) -> Any:
        """JSON-RPC id of the request in flight (the latest page for listings)."""
        with self._lock:
            inner = self._inner
        return getattr(inner, "request_id", None)

    def cancel(self, reason: str | None = None) -> bool:
        """Cancel the call and tell the server. False if it already finished."""
        if not super().cancel():
            return False
        with self._lock:
            inner = self._inner
        if inner is not None:
            cancel_with_reason(inner, reason)
        return True

    # -- used by the client ------------------------------------------------------

    def follow(self, inner: Future[Any], convert: Callable[[Any], Any],
               schedule: Callable[[Callable[[], None]], None] | None = None) -> None:
        """Complete with ``convert(inner.result())`` once ``inner`` (a request) completes.

        ``convert`` may return :data:`MORE` when it has started another request
        that this future will follow next. ``schedule(fn)``, if given, decides
        where and when that completion runs (it must run ``fn`` exactly once).
        """
        with self._lock:
            self._inner = inner
        if self.cancelled():  # cancelled before we knew the request: cancel it now
            cancel_with_reason(inner, None)
            return
        if schedule is None:
            inner.add_done_callback(lambda done: self._settle(done, convert))
        else:
            inner.add_done_callback(lambda done: schedule(lambda: self._settle(done, convert)))

    def fail(self, exc: BaseException) -> None:
        try:
            self.set_exception(exc)
        except InvalidStateError:  # cancelled meanwhile
            pass

    def _settle(self, inner: Future[Any], convert: Callable[[Any], Any]) -> None:
        if self.done():
            return
        if inner.cancelled():
            super().cancel()
            return
        exc = inner.exception()
        if exc is not None:
            self.fail(exc)
            return
        try:
            value = convert(inner.result())
        except BaseException as error:  # a malformed result, an invalid structuredContent...
            self.fail(error)
            return
        if value is MORE:
            return
        try:
            self.set_result(value)
        except InvalidStateError:
            pass


def cancel_with_reason(inner: Future[Any], reason: str | None) -> None:
    """Cancel ``inner`` with ``reason`` when it takes one (our futures), plainly otherwise."""
    try:
        inner.cancel(reason or "cancelled by the caller")  # type: ignore[call-arg]
    except TypeError:  # a plain Future
        inner.cancel()


def wait_for(future: Future[T]) -> T:
    """Block for ``future``'s result; if the wait is interrupted, cancel the call.

    (``KeyboardInterrupt`` in the calling thread tells the server to stop too.)
    """
    try:
        return future.result()
    except CancelledError:
        raise
    except BaseException:
        if not future.done():
            future.cancel("the caller stopped waiting")  # type: ignore[call-arg]
        raise


def failed(exc: BaseException) -> Future[Any]:
    """A future that already failed with ``exc`` (nothing was sent)."""
    future: Future[Any] = Future()
    future.set_exception(exc)
    return future
