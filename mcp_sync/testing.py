"""Helpers for testing MCP servers (and clients) in plain pytest, with no event loop.

The pytest plugin (:mod:`mcp_sync.pytest_plugin`) builds its fixtures from these;
they work without it too:

* :func:`assert_tool_result`, :func:`assert_tool_error`, :func:`tool_text`: check a
  ``CallToolResult`` and say, when it is not what was expected, what it was;
* :class:`ProgressRecorder`: a ``progress=`` callback that keeps every update and
  waits for the ones a test expects (:meth:`~ProgressRecorder.assert_progress`);
* :class:`LogRecorder`: an ``on_log=`` hook keeping the server's log messages
  (:meth:`~LogRecorder.assert_logged` waits for a matching one);
* :func:`assert_task_status`, :func:`assert_task_ends`, :func:`assert_task_completed`:
  a task's status now, how it ended, and its result;
* :class:`Answers`: what the test "user" answers when the server asks for
  elicitation or sampling: queued answers (or a function), a record of every
  question asked, and :meth:`Answers.check` failing on questions nobody answered.

Every wait is bounded (``timeout``) and waits on a condition, never by sleeping.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any, Callable, Mapping, NamedTuple, Sequence

from .errors import INTERNAL_ERROR, McpError
from .types import UNSET, CallToolResult, TextContent, to_wire
from .types.elicitation import ElicitRequestFormParams
from .types.logging import LoggingMessageNotificationParams
from .types.sampling import CreateMessageRequestParams

__all__ = [
    "Answers",
    "LogMessage",
    "LogRecorder",
    "ProgressRecorder",
    "ProgressUpdate",
    "assert_task_completed",
    "assert_task_ends",
    "assert_task_status",
    "assert_tool_error",
    "assert_tool_result",
    "tool_text",
]

_UNSET: Any = object()
#: How long the recorders wait for an expected message by default (seconds).
DEFAULT_WAIT = 10.0


def _show(value: Any) -> str:
    """A readable rendering of a wire object (its JSON) or any value."""
    try:
        value = to_wire(value)
    except Exception:
        pass
    try:
        return json.dumps(value, indent=2, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)


# -- tool results ----------------------------------------------------------------------------------

def tool_text(result: CallToolResult) -> str:
    """The text blocks of a tool result joined by newlines (other blocks are left out)."""
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def _check_result(result: Any) -> CallToolResult:
    if not isinstance(result, CallToolResult):
        raise AssertionError(f"expected a CallToolResult (what client.call_tool returns), got "
                             f"{type(result).__name__}: {result!r}")
    return result


def assert_tool_result(result: CallToolResult, text: str | None = None, *, structured: Any = _UNSET,
                       contains: str | None = None) -> CallToolResult:
    """Assert that a tool call succeeded, and optionally what it returned; returns ``result``.

    ``text``: the exact joined text content (:func:`tool_text`); ``contains``: a
    substring of it; ``structured``: the exact ``structuredContent``.
    """
    result = _check_result(result)
    problems = []
    if result.is_error:
        problems.append(f"the tool failed: {tool_text(result)!r}")
    else:
        actual = tool_text(result)
        if text is not None and actual != text:
            problems.append(f"text content: expected {text!r}, got {actual!r}")
        if contains is not None and contains not in actual:
            problems.append(f"text content: expected it to contain {contains!r}, got {actual!r}")
        if structured is not _UNSET:
            got = None if result.structured_content is UNSET else result.structured_content
            if got != structured:
                problems.append(f"structured content: expected {structured!r}, got {got!r}")
    if problems:
        raise AssertionError("unexpected tool result:\n  " + "\n  ".join(problems) + "\nthe whole result:\n"
                             + _show(result))
    return result


def assert_tool_error(result: CallToolResult, contains: str | None = None) -> CallToolResult:
    """Assert that a tool call failed (``isError``), its text containing ``contains`` if given."""
    result = _check_result(result)
    actual = tool_text(result)
    if not result.is_error:
        raise AssertionError(f"expected the tool to fail (isError), but it succeeded with {actual!r}\n"
                             f"the whole result:\n{_show(result)}")
    if contains is not None and contains not in actual:
        raise AssertionError(f"the tool failed as expected, but its message {actual!r} does not contain "
                             f"{contains!r}")
    return result


# -- progress --------------------------------------------------------------------------------------

class ProgressUpdate(NamedTuple):
    """One progress notification: ``progress``, ``total`` (or None) and ``message`` (or None)."""

    progress: float
    total: float | None
    message: str | None


class ProgressRecorder:
    """A ``progress=`` callback for ``client.call_tool`` that keeps every update (thread-safe).

    >>> progress = ProgressRecorder()                                  # doctest: +SKIP
    >>> client.call_tool("count", {"n": 3}, progress=progress)         # doctest: +SKIP
    >>> progress.assert_progress([1, 2, 3], total=3)                   # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._updates: list[ProgressUpdate] = []

    def __call__(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        with self._cond:
            self._updates.append(ProgressUpdate(progress, total, message))
            self._cond.notify_all()

    @property
    def updates(self) -> list[ProgressUpdate]:
        """Every update received so far, in order."""
        with self._cond:
            return list(self._updates)

    @property
    def values(self) -> list[float]:
        """The ``progress`` values received so far."""
        return [update.progress for update in self.updates]

    def wait_for(self, count: int, timeout: float = DEFAULT_WAIT) -> list[ProgressUpdate]:
        """Wait until ``count`` updates arrived (AssertionError after ``timeout`` seconds)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._updates) >= count, timeout):
                raise AssertionError(f"expected {count} progress updates within {timeout} s, got "
                                     f"{len(self._updates)}: {self._updates}")
            return list(self._updates)

    def assert_progress(self, expected: Sequence[float] | None = None, *, total: Any = _UNSET,
                        messages: Sequence[str | None] | None = None,
                        timeout: float = DEFAULT_WAIT) -> list[ProgressUpdate]:
        """Assert the progress values (exactly, in order), the ``total`` of each and their ``messages``.

        With ``expected`` None, asserts that at least one update arrived and
        that the values never went down (MCP requires progress to increase).
        """
        updates = self.wait_for(len(expected) if expected is not None else 1, timeout)
        problems = []
        values = [u.progress for u in updates]
        if expected is not None and values != list(expected):
            problems.append(f"progress values: expected {list(expected)}, got {values}")
        if any(later <= earlier for earlier, later in zip(values, values[1:])):
            problems.append(f"progress must increase with each update, got {values}")
        if total is not _UNSET and any(u.total != total for u in updates):
            problems.append(f"total: expected {total!r} on every update, got {[u.total for u in updates]}")
        if messages is not None and [u.message for u in updates] != list(messages):
            problems.append(f"messages: expected {list(messages)}, got {[u.message for u in updates]}")
        if problems:
            raise AssertionError("unexpected progress:\n  " + "\n  ".join(problems))
        return updates


# -- logs ------------------------------------------------------------------------------------------

class LogMessage(NamedTuple):
    """One ``notifications/message``: ``level``, ``logger`` (or None), ``data`` (any JSON value)."""

    level: str
    logger: str | None
    data: Any


class LogRecorder:
    """An ``on_log=`` hook for a :class:`~mcp_sync.Client` keeping the server's log messages."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._messages: list[LogMessage] = []

    def __call__(self, params: LoggingMessageNotificationParams) -> None:
        with self._cond:
            self._messages.append(LogMessage(str(params.level), params.logger, params.data))
            self._cond.notify_all()

    @property
    def messages(self) -> list[LogMessage]:
        """Every message received so far, in order."""
        with self._cond:
            return list(self._messages)

    @staticmethod
    def _matches(message: LogMessage, level: str | None, contains: str | None, logger: str | None) -> bool:
        if level is not None and message.level != level:
            return False
        if logger is not None and message.logger != logger:
            return False
        if contains is not None:
            data = message.data if isinstance(message.data, str) else json.dumps(message.data, default=repr)
            return contains in data
        return True

    def assert_logged(self, contains: str | None = None, *, level: str | None = None, logger: str | None = None,
                      timeout: float = DEFAULT_WAIT) -> LogMessage:
        """Wait for a message matching every criterion given; AssertionError listing what came instead."""
        with self._cond:
            found: list[LogMessage] = []

            def match() -> bool:
                found[:] = [m for m in self._messages if self._matches(m, level, contains, logger)]
                return bool(found)

            if not self._cond.wait_for(match, timeout):
                wanted = ", ".join(f"{k}={v!r}" for k, v in (("contains", contains), ("level", level),
                                                              ("logger", logger)) if v is not None)
                seen = "\n  ".join(f"[{m.level}] {m.logger or '-'}: {m.data!r}" for m in self._messages) or "none"
                raise AssertionError(f"no log message with {wanted or 'anything'} within {timeout} s; "
                                     f"messages received:\n  {seen}")
            return found[0]

    def assert_not_logged(self, contains: str | None = None, *, level: str | None = None,
                          logger: str | None = None) -> None:
        """Assert that no message received so far matches."""
        bad = [m for m in self.messages if self._matches(m, level, contains, logger)]
        if bad:
            raise AssertionError(f"unexpected log messages: {bad}")


# -- tasks -----------------------------------------------------------------------------------------

def assert_task_status(task: Any, *statuses: str, timeout: float | None = DEFAULT_WAIT) -> Any:
    """Ask the server for ``task``'s status (``tasks/get``) and assert it is one of ``statuses``.

    Returns the :class:`~mcp_sync.types.GetTaskResult`.
    """
    if not statuses:
        raise TypeError("assert_task_status(task, 'working', ...) needs at least one status")
    current = task.status(timeout=timeout)
    if current.status not in statuses:
        message = f" ({current.status_message})" if getattr(current, "status_message", None) else ""
        raise AssertionError(f"task {task.task_id}: expected status {' or '.join(map(repr, statuses))}, "
                             f"got {current.status!r}{message}")
    return current


def assert_task_ends(task: Any, status: str, timeout: float = 30.0) -> Any:
    """Wait for ``task`` to end and assert how: ``"completed"``, ``"failed"`` or ``"cancelled"``.

    Returns the final :class:`~mcp_sync.types.GetTaskResult`.
    """
    if status not in ("completed", "failed", "cancelled"):
        raise ValueError(f"a task ends 'completed', 'failed' or 'cancelled', not {status!r}")
    try:
        final = task.wait(timeout)
    except Exception as exc:  # RequestTimeout: say which task
        raise AssertionError(f"task {task.task_id} did not end within {timeout} s: {exc}") from exc
    if final.status != status:
        message = f" ({final.status_message})" if getattr(final, "status_message", None) else ""
        raise AssertionError(f"task {task.task_id}: expected it to end {status!r}, it ended "
                             f"{final.status!r}{message}")
    return final


def assert_task_completed(task: Any, timeout: float = 30.0) -> CallToolResult:
    """Wait for ``task`` to end, assert it ``completed``, and return its result."""
    assert_task_ends(task, "completed", timeout)
    result: CallToolResult = task.result(timeout)
    return result


# -- elicitation and sampling ----------------------------------------------------------------------

ElicitAnswer = Callable[[ElicitRequestFormParams], Any]
SampleAnswer = Callable[[CreateMessageRequestParams], Any]


class Answers:
    """The test's answers to the server's questions: pass its handlers to a :class:`~mcp_sync.Client`.

    ``Client.connect(server, elicitation=answers.elicitation, sampling=answers.sampling)``;
    then, before the call that makes the server ask:

    * ``answers.elicit({"name": "Ada"})`` queues one accepted form
      (``action="decline"`` or ``"cancel"`` for the others);
    * ``answers.sample("a haiku")`` queues one model answer;
    * ``answers.on_elicit(fn)`` / ``answers.on_sample(fn)`` answer every
      request with ``fn(params)`` once the queue is empty.

    ``answers.elicitations`` and ``answers.samplings`` record what the server
    asked. A question with nothing to answer it gets a JSON-RPC error and is
    reported by :meth:`check` (the plugin calls it when the test ends), as are
    answers queued but never asked for.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._elicit_queue: deque[Any] = deque()
        self._sample_queue: deque[Any] = deque()
        self._elicit_fn: ElicitAnswer | None = None
        self._sample_fn: SampleAnswer | None = None
        self.elicitations: list[ElicitRequestFormParams] = []
        self.samplings: list[CreateMessageRequestParams] = []
        self.unanswered: list[str] = []

    # -- what the test says ----------------------------------------------------

    def elicit(self, content: Mapping[str, Any] | None = None, *, action: str = "accept") -> "Answers":
        """Queue the answer to the next elicitation: ``action`` with ``content`` (for ``accept``)."""
        if action not in ("accept", "decline", "cancel"):
            raise ValueError(f"action must be 'accept', 'decline' or 'cancel', not {action!r}")
        answer: dict[str, Any] = {"action": action}
        if action == "accept":
            answer["content"] = dict(content or {})
        with self._lock:
            self._elicit_queue.append(answer)
        return self

    def sample(self, text: str, *, model: str = "mcp-sync-test-model", stop_reason: str = "endTurn") -> "Answers":
        """Queue the answer to the next sampling request: an assistant message with ``text``."""
        with self._lock:
            self._sample_queue.append({"role": "assistant", "content": {"type": "text", "text": text},
                                       "model": model, "stopReason": stop_reason})
        return self

    def on_elicit(self, fn: ElicitAnswer) -> "Answers":
        """Answer elicitations with ``fn(params)`` (an ``ElicitResult`` or its dict) once the queue is empty."""
        self._elicit_fn = fn
        return self

    def on_sample(self, fn: SampleAnswer) -> "Answers":
        """Answer sampling with ``fn(params)`` (a ``CreateMessageResult`` or its dict) once the queue is empty."""
        self._sample_fn = fn
        return self

    # -- the client's handlers -------------------------------------------------

    def elicitation(self, params: ElicitRequestFormParams) -> Any:
        """The ``elicitation=`` handler."""
        with self._lock:
            self.elicitations.append(params)
            answer = self._elicit_queue.popleft() if self._elicit_queue else None
            fn = self._elicit_fn
            if answer is None and fn is None:
                self.unanswered.append(f"elicitation {params.message!r}")
        if answer is not None:
            return answer
        if fn is not None:
            return fn(params)
        raise McpError(INTERNAL_ERROR, f"the test gave no answer for the elicitation {params.message!r} "
                                       f"(queue one with answers.elicit(...))")

    def sampling(self, params: CreateMessageRequestParams) -> Any:
        """The ``sampling=`` handler."""
        with self._lock:
            self.samplings.append(params)
            answer = self._sample_queue.popleft() if self._sample_queue else None
            fn = self._sample_fn
            if answer is None and fn is None:
                first = params.messages[0] if params.messages else None
                text = getattr(getattr(first, "content", None), "text", None)
                self.unanswered.append(f"sampling request {text!r}")
        if answer is not None:
            return answer
        if fn is not None:
            return fn(params)
        raise McpError(INTERNAL_ERROR, "the test gave no answer for a sampling request "
                                       "(queue one with answers.sample(...))")

    # -- the end of the test ---------------------------------------------------

    def check(self) -> None:
        """AssertionError if the server asked what nobody answered, or queued answers were never used."""
        with self._lock:
            problems = [f"the server asked, and the test had no answer: {what}" for what in self.unanswered]
            if self._elicit_queue:
                problems.append(f"{len(self._elicit_queue)} queued elicitation answer(s) never asked for: "
                                f"{list(self._elicit_queue)}")
            if self._sample_queue:
                problems.append(f"{len(self._sample_queue)} queued sampling answer(s) never asked for: "
                                f"{list(self._sample_queue)}")
        if problems:
            raise AssertionError("\n".join(problems))

