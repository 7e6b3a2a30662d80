"""Asking the client for input (elicitation, sampling, roots) in both eras.

A handler calls ``ctx.elicit(...)``, ``ctx.sample(...)``, ``ctx.list_roots()``
or ``ctx.gather(...)`` the same way whatever the client speaks:

* **legacy** (``initialize`` sessions, up to 2025-11-25): each ask becomes a
  JSON-RPC request to the client; the handler's thread blocks until the
  answers arrive (several asks of one ``gather`` are sent together);
* **modern** (2026-07-28, stateless): servers send no requests. The request
  answers ``InputRequiredResult`` instead (multi round-trip requests, MRTR)
  and the client retries it with ``inputResponses``. The handler is then
  **run again from the start**: each input call, in order, takes its answer
  from what the client sent (or from the answers of earlier rounds, carried
  in the sealed ``requestState``), and the first call without an answer ends
  this round with :class:`InputRequired`, which the dispatcher turns into the
  ``InputRequiredResult`` (every still-missing ask of that call, plus all
  answers used so far sealed in ``requestState``).

A ``tools/call`` of a tool that takes a Context is not re-run, though: it runs
on a continuation thread that waits at its input call, and the retry resumes
it there (:mod:`mcp_sync.server.continuations`). Re-running from the start
remains the fallback (a retry reaching another worker, an abandoned
continuation) and the rule for prompts and resources, so a handler should be
**idempotent up to its input calls** when several workers serve one endpoint:
do side effects after the input calls, or make them repeatable. ``gather``
asks several things in one round.

Keys: an ask's ``key`` names its entry in ``inputRequests``/``inputResponses``.
Without one, keys are ``elicit-<n>``, ``sample-<n>``, ``roots-<n>`` with ``n``
the index of the ask in the handler's run (so they are stable across the
re-executions of a deterministic handler).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..errors import INVALID_PARAMS, CapabilityError, McpError
from ..protocol import modern as mp

__all__ = ["InputAsk", "InputRequired", "InputRound", "MissingClientCapability", "StartTask", "TaskInputRound",
           "ask_client"]


class MissingClientCapability(mp.RejectedRequest, CapabilityError):
    """-32021 (HTTP 400): a modern request needs a capability the client did not declare.

    Also a :class:`~mcp_sync.errors.CapabilityError`, so handler code that
    catches that works in both eras; it is an :class:`~mcp_sync.errors.McpError`,
    so it passes through a tool's error handling and answers the request. A
    legacy session's input calls raise it too, so the client sees the same
    -32021 error in both eras. ``what`` (e.g. "form elicitation") is added to
    the message.
    """

    def __init__(self, required: Mapping[str, Any], what: str | None = None) -> None:
        base = mp.missing_capability_error(required)
        message = base.message if not what else f"{base.message} (needed for {what})"
        mp.RejectedRequest.__init__(self, base.code, message, base.data, http_status=400)
        self.what = what

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.data["requiredCapabilities"], self.what))


class StartTask(BaseException):
    """Raised by ``ctx.start_task()`` in a modern ``tools/call`` that is not a task yet (tasks extension).

    Like :class:`InputRequired` it unwinds the handler (code catching
    ``Exception`` does not stop it); the dispatcher then creates the task,
    answers ``CreateTaskResult`` and runs the handler again, from the start,
    as the task's work, with every answer gathered so far.
    """

    def __init__(self) -> None:
        super().__init__("the call continues as a task")


class InputRequired(BaseException):
    """Raised by an input call of a modern request whose answer the client has not sent yet.

    A ``BaseException`` (like ``GeneratorExit``): handler code that catches
    ``Exception`` does not swallow it. The dispatcher catches it and answers
    ``InputRequiredResult``; nothing else should.
    """

    def __init__(self, requests: dict[str, dict[str, Any]]) -> None:
        super().__init__(f"input required: {', '.join(requests)}")
        self.requests = requests


@dataclass(frozen=True)
class InputAsk:
    """One thing to ask the client: an ``elicitation/create``, ``sampling/createMessage`` or ``roots/list``.

    Build them with ``ctx.elicit_request(...)``, ``ctx.sample_request(...)``,
    ``ctx.roots_request()``; pass them to ``ctx.gather(...)``.
    """

    method: str
    params: dict[str, Any] | None
    #: Turns the client's raw answer into what the input call returns.
    convert: Callable[[Any], Any] = field(repr=False)
    #: The entry's name in ``inputRequests`` (None: ``<kind>-<index>``).
    key: str | None = None
    #: For error messages ("form elicitation", "sampling with tools"...).
    what: str = ""

    @property
    def prefix(self) -> str:
        return {mp.ELICITATION: "elicit", mp.SAMPLING: "sample"}.get(self.method, "roots")

    def input_request(self) -> dict[str, Any]:
        """The ``InputRequest`` object (``{"method", "params"}``; no jsonrpc/id)."""
        return {"method": self.method, "params": dict(self.params or {})}


def _check_key(key: Any) -> None:
    if key is not None and (not isinstance(key, str) or not key):
        raise ValueError("an input key must be a non-empty string")


def _missing(asks: Sequence[InputAsk], capabilities: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    missing: dict[str, Any] = {}
    what: list[str] = []
    for ask in asks:
        request = ask.input_request()
        if not mp.client_supports(request, capabilities):
            what.append(ask.what or ask.method)
            for name, sub in mp.required_capability(request).items():
                missing.setdefault(name, {}).update(sub)
    return missing, what


def ask_client(request: Any, capabilities: Mapping[str, Any] | None, asks: Sequence[InputAsk],
               timeout: float | None) -> list[Any]:
    """Legacy era: send every ask as a request to the client and wait for all the answers.

    Raises :class:`~mcp_sync.errors.CapabilityError` before sending anything
    when the client did not declare what an ask needs. ``request`` is the
    incoming request (its ``send_request`` tags the requests as related to it).
    """
    for ask in asks:
        _check_key(ask.key)
    missing, what = _missing(asks, capabilities)
    if missing:  # the same -32021 (and CapabilityError) as in a 2026-07-28 request
        raise MissingClientCapability(missing, " and ".join(what))
    futures = []
    try:
        for ask in asks:
            futures.append(request.send_request(ask.method, ask.params, timeout=timeout))
        return [ask.convert(future.result()) for ask, future in zip(asks, futures)]
    except BaseException:
        for future in futures:
            if not future.done():
                future.cancel()
        raise


class InputRound:
    """The answers one execution of a modern MRTR request can use, and what it consumed.

    ``answers``: key -> raw answer (from ``requestState`` and
    ``inputResponses``). ``client_capabilities``: what this request declared.
    After the run, :attr:`used` holds the answers the handler consumed: they
    are sealed into the next ``requestState``.
    """

    def __init__(self, answers: Mapping[str, Any], client_capabilities: Mapping[str, Any] | None) -> None:
        self.answers = dict(answers)
        self.client_capabilities = client_capabilities or {}
        self.used: dict[str, Any] = {}
        self._index = 0
        self._keys: set[str] = set()

    def resolve(self, asks: Sequence[InputAsk]) -> list[Any]:
        """The converted answers of ``asks``, or :class:`InputRequired` for the unanswered ones.

        -32021 (:class:`MissingClientCapability`) when the client did not
        declare what an ask needs; -32602 when an answer has the wrong shape.
        """
        keyed: list[tuple[str, InputAsk, dict[str, Any]]] = []
        for ask in asks:
            _check_key(ask.key)
            key = ask.key if ask.key is not None else f"{ask.prefix}-{self._index}"
            self._index += 1
            if key in self._keys:
                raise ValueError(f"the input key {key!r} is used twice in one request")
            self._keys.add(key)
            keyed.append((key, ask, ask.input_request()))
        missing, what = _missing(asks, self.client_capabilities)
        if missing:
            raise MissingClientCapability(missing, " and ".join(what))
        pending: dict[str, dict[str, Any]] = {}
        for key, _ask, request in keyed:
            answer = self.answers.get(key)
            if answer is None:
                pending[key] = request
                continue
            self._take(key, request, answer)
        if pending:
            for key, answer in self.obtain(pending).items():
                self._take(key, pending[key], answer)
        return [ask.convert(self.used[key]) for key, ask, _ in keyed]

    def _take(self, key: str, request: Mapping[str, Any], answer: Any) -> None:
        if not mp.response_matches(request, answer):
            raise McpError(INVALID_PARAMS, f"Invalid params: inputResponses[{key!r}] is not a valid answer to "
                                           f"{request['method']}", {"key": key})
        self.used[key] = answer

    def obtain(self, pending: dict[str, dict[str, Any]]) -> Mapping[str, Any]:
        """Get the answers to ``pending`` (key -> InputRequest): here, end the round (:class:`InputRequired`)."""
        raise InputRequired(pending)


class TaskInputRound(InputRound):
    """The input calls of a ``tools/call`` running as a task of the tasks extension.

    Answers gathered before the task existed (MRTR rounds, in ``answers``) are
    used first, under the same keys; a call still without an answer moves the
    task to ``input_required`` with those ``inputRequests`` and blocks this
    task thread until ``tasks/update`` has delivered every one of them
    (:meth:`~mcp_sync.tasks.TaskContext.request_input`). Cancellation, expiry
    or shutdown meanwhile raise :class:`~mcp_sync.tasks.TaskCancelled`.
    """

    def __init__(self, answers: Mapping[str, Any], client_capabilities: Mapping[str, Any] | None,
                 task: Any, timeout: float | None = None) -> None:
        super().__init__(answers, client_capabilities)
        self.task = task
        self.timeout = timeout

    def obtain(self, pending: dict[str, dict[str, Any]]) -> Mapping[str, Any]:
        answers: Mapping[str, Any] = self.task.request_input(pending, timeout=self.timeout)
        return answers
