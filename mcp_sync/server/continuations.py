"""Running a 2026-07-28 tool across its ``input_required`` rounds instead of re-running it.

In a legacy session ``ctx.elicit(...)`` blocks the tool's thread until the
client answers, so everything the tool did before the question happens once.
A 2026-07-28 request cannot wait: the server answers ``input_required`` and the
client retries with the answers. Re-running the tool from the start on the
retry would repeat what it did before the question (progress ``[1, 2, 1, 2,
3, 4]`` instead of ``[1, 2, 3, 4]``, and any other side effect).

So a ``tools/call`` of a tool that takes a :class:`~mcp_sync.server.Context`
runs on a *continuation*: a named worker thread of this table. When an input
call has no answer yet, that thread parks (it keeps the tool's stack), the
request thread answers ``input_required`` with a ``requestState`` that names
the continuation (sealed as before, with every answer so far), and the retry
hands the answers to the parked thread, which carries on from the input call.
Progress and log messages of the continued run go on the retry's stream (the
tool's ``Context`` follows the request of the current round).

The sealed answers still travel in ``requestState``: when the retry reaches a
process that does not hold the continuation (another worker, a restart, an
expired or abandoned continuation, a second retry with the same state), the
tool is re-run from the start with those answers, as before. A parked
continuation is abandoned after ``park_timeout`` seconds without a retry (its
thread unwinds the tool with :class:`Abandoned`, a ``BaseException``), and
:meth:`Continuations.close` abandons all of them and joins the threads. At
most ``max_parked`` continuations wait at once; past that an input call ends
its round the old way (the tool is re-run on the retry).
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
import time
from typing import Any, Callable, Mapping

from ..session import JOIN_TIMEOUT
from .modern_inputs import InputRequired, InputRound

__all__ = ["Abandoned", "ContinuedRound", "Continuation", "Continuations", "DEFAULT_MAX_PARKED",
           "DEFAULT_PARK_TIMEOUT"]

log = logging.getLogger("mcp_sync.server")

#: Seconds a parked continuation waits for the client's retry before it is abandoned.
DEFAULT_PARK_TIMEOUT = 300.0
#: Continuations that may wait for a retry at once (each holds a thread).
DEFAULT_MAX_PARKED = 64

_DONE, _RAISED, _INPUT = "done", "raised", "input"
_counter = itertools.count(1)


class Abandoned(BaseException):
    """Unwinds a parked tool whose retry never came (or the server closed)."""


class _Switchable:
    """The request a continued tool sees: the request of the current round.

    Every attribute is read from the current request, so ``ctx.report_progress``,
    ``ctx.log`` and ``ctx.cancelled`` follow the retry.
    """

    __slots__ = ("_current",)

    def __init__(self, request: Any) -> None:
        object.__setattr__(self, "_current", request)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_current"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_current"), name, value)

    def __repr__(self) -> str:
        return f"<continued {object.__getattribute__(self, '_current')!r}>"

    def switch(self, request: Any) -> None:
        object.__setattr__(self, "_current", request)


class Continuation:
    """One tool call running across rounds (see the module docstring)."""

    def __init__(self, table: "Continuations", view: Any, request: Any) -> None:
        self.id = os.urandom(12).hex()
        self._table = table
        self.view = view
        self.request = _Switchable(request)
        self._outcome: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._answers: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.deadline = 0.0
        self.thread: threading.Thread | None = None

    def run(self, handler: Callable[[Any, Any], Any]) -> None:
        """The continuation thread: run the handler and post how it ended."""
        try:
            result = handler(self.view, self.request)
        except Abandoned:  # ends here; close() joins it, or a later start() drops it once it has ended
            return
        except BaseException as exc:  # InputRequired (could not park), StartTask, McpError... for the request
            self._outcome.put((_RAISED, exc))
            return
        self._outcome.put((_DONE, result))

    def outcome(self) -> tuple[str, Any]:
        """Block (the request thread) until the handler ended or needs input."""
        return self._outcome.get()

    def resume(self, request: Any, view: Any, answers: Mapping[str, Any]) -> None:
        """A retry arrived: follow its request, and hand the parked input call its answers."""
        old = self.view
        for name in ("request", "meta", "protocol_version", "client_capabilities", "client_info", "log_level"):
            setattr(old, name, getattr(view, name))
        self.request.switch(request)
        self._answers.put(dict(answers))

    def abandon(self) -> None:
        self._answers.put(None)

    # -- on the continuation thread ---------------------------------------------------

    def wait_for_answers(self, pending: dict[str, dict[str, Any]]) -> Mapping[str, Any]:
        """Park until the retry brings answers (or the continuation is abandoned)."""
        if not self._table.park(self):
            raise InputRequired(pending)  # no room: end the round the old way (re-run on the retry)
        self._outcome.put((_INPUT, pending))
        while True:
            try:
                answers = self._answers.get(timeout=max(0.0, self.deadline - time.monotonic()))
            except queue.Empty:
                if self._table.claim(self.id) is self:
                    raise Abandoned() from None
                continue  # a retry claimed it just now: its answers are on their way
            if answers is None:
                raise Abandoned()
            got: Mapping[str, Any] = answers
            return got


class ContinuedRound(InputRound):
    """The :class:`InputRound` of a continued tool: an unanswered input call parks the thread."""

    def __init__(self, answers: Mapping[str, Any], client_capabilities: Mapping[str, Any] | None,
                 continuation: Continuation) -> None:
        super().__init__(answers, client_capabilities)
        self.continuation = continuation

    def obtain(self, pending: dict[str, dict[str, Any]]) -> Mapping[str, Any]:
        got: dict[str, Any] = {}
        while True:
            answers = self.continuation.wait_for_answers({k: v for k, v in pending.items() if k not in got})
            self.answers.update(answers)
            got.update({key: answers[key] for key in pending if answers.get(key) is not None})
            if len(got) == len(pending):
                return got
            self.client_capabilities = self.continuation.view.client_capabilities or {}


class Continuations:
    """The continuations of one server's modern dispatcher: their threads and the parked ones.

    Each continued call has its own named thread (``mcp-server-continuation-N``),
    joined by the request thread once the tool has returned, or by :meth:`close`.
    """

    def __init__(self, *, max_parked: int = DEFAULT_MAX_PARKED, park_timeout: float = DEFAULT_PARK_TIMEOUT) -> None:
        self.max_parked = max_parked
        self.park_timeout = park_timeout
        self._lock = threading.Lock()
        self._parked: dict[str, Continuation] = {}
        self._threads: set[threading.Thread] = set()

    def start(self, view: Any, request: Any, handler: Callable[[Any, Any], Any],
              answers: Mapping[str, Any]) -> Continuation:
        """Run ``handler`` on a new continuation thread (``view.inputs`` becomes its :class:`ContinuedRound`)."""
        continuation = Continuation(self, view, request)
        thread = threading.Thread(target=continuation.run, args=(handler,), daemon=True,
                                  name=f"mcp-server-continuation-{next(_counter)}")
        continuation.thread = thread
        with self._lock:
            if len(self._threads) > self.max_parked:  # drop abandoned threads that have ended
                self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)
        view.inputs = ContinuedRound(answers, view.client_capabilities, continuation)
        thread.start()
        return continuation

    def finished(self, continuation: Continuation) -> None:
        """The tool returned (or raised): join its thread, which is ending."""
        thread = continuation.thread
        if thread is None:
            return
        if thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)
        with self._lock:
            self._threads.discard(thread)

    def park(self, continuation: Continuation) -> bool:
        """Register a continuation waiting at an input call, under a new id (so only the state sealed for
        this round resumes it: an older state re-runs the tool)."""
        with self._lock:
            if len(self._parked) >= self.max_parked:
                return False
            continuation.id = os.urandom(12).hex()
            continuation.deadline = time.monotonic() + self.park_timeout
            self._parked[continuation.id] = continuation
        return True

    def claim(self, continuation_id: Any) -> Continuation | None:
        """Take a parked continuation (once: a second claim of the same id gets None)."""
        if not isinstance(continuation_id, str):
            return None
        with self._lock:
            return self._parked.pop(continuation_id, None)

    def close(self) -> None:
        """Abandon every parked continuation and join the threads (at most ``JOIN_TIMEOUT`` s in all).

        The dispatcher stays usable: later calls start new continuations.
        """
        with self._lock:
            parked = list(self._parked.values())
            self._parked.clear()
            threads = list(self._threads)
        for continuation in parked:
            continuation.abandon()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._threads.difference_update(t for t in threads if not t.is_alive())
