"""Progress you can see from a notebook (or a terminal): :class:`ProgressDisplay`, :func:`wait_with_progress`.

In Jupyter::

    from mcp_sync.notebook import ProgressDisplay, wait_with_progress

    result = client.call_tool("build", {"target": "all"}, progress=ProgressDisplay("build"))

    future = client.nowait.call_tool("build", {"target": "all"}, progress=ProgressDisplay("build"))
    result = wait_with_progress(future)  # Ctrl-C / "interrupt kernel" cancels the call on the server

    result = wait_with_progress(lambda progress: client.nowait.call_tool("build", progress=progress))

Tasks (2025-11-25)::

    from mcp_sync.notebook import call_tool_as_task, wait_with_progress

    task = call_tool_as_task(client, "build", {"target": "all"})  # its progress is remembered
    task                          # a cell ending with it shows its status and progress (HTML)
    result = wait_with_progress(task)  # live status and progress; Ctrl-C cancels the task

A task handle is displayed through an IPython formatter registered for
:class:`~mcp_sync.client.tasks.RemoteTask` when this module is imported in a
kernel (:func:`register_task_display`); :class:`TaskView` is the same display
as an object (``TaskView(task)``), usable anywhere.

In a Jupyter kernel (IPython importable and running a kernel) the bar is an
HTML ``<progress>`` element updated in place through
``IPython.display.display(..., display_id=True)``; anywhere else it is text
on ``sys.stderr`` (redrawn with ``\\r`` on a terminal, one line per update
otherwise). IPython is imported only when a display is created and is never
required.

Everything here is plain blocking code: it works inside the kernel's running
asyncio loop (a notebook cell) like anywhere else, because the client runs on
its own threads.
"""

from __future__ import annotations

import html
import sys
import threading
import time
import weakref
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, TextIO

from .cli.progress import ProgressBar, format_bar

__all__ = ["ProgressDisplay", "TaskView", "call_tool_as_task", "in_notebook", "register_task_display",
           "task_html", "wait_with_progress"]

#: Least seconds between two updates of a notebook display (final states are always shown).
MIN_UPDATE = 0.1


def _notebook_display() -> Callable[..., Any] | None:
    """``IPython.display.display`` when running in a notebook kernel, else None.

    A shell without a kernel (plain ``python`` with IPython installed, or the
    ``ipython`` terminal) gets text, which reads better there.
    """
    try:
        from IPython.display import display  # type: ignore[import-not-found, unused-ignore]  # optional, may be absent
    except Exception:  # not installed, or broken: text it is
        return None
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    if get_ipython is not None:
        try:
            shell = get_ipython()
        except Exception:
            shell = None
        if shell is None or getattr(shell, "kernel", None) is None:
            return None
    shown: Callable[..., Any] = display
    return shown


def in_notebook() -> bool:
    """True when progress would render as a notebook widget (IPython display in a kernel)."""
    return _notebook_display() is not None


class _View:
    """One snapshot of a progress bar, rendered by IPython as HTML (``text/plain`` as a fallback)."""

    def __init__(self, label: str, progress: float | None, total: float | None, message: str | None,
                 elapsed: float, state: str, status: str | None = None) -> None:
        self.label = label
        self.progress = progress
        self.total = total
        self.message = message
        self.elapsed = elapsed
        self.state = state  # "running", "done", "error", "cancelled"
        self.status = status  # a task's status (and status message), when it is one

    def __repr__(self) -> str:
        progress = 0.0 if self.progress is None else self.progress
        label = "  ".join(x for x in (self.label, self.status) if x)
        text = format_bar(progress, self.total, self.message, elapsed=self.elapsed, label=label)
        return text if self.state == "running" else f"{text}  [{self.state}]"

    def _repr_html_(self) -> str:
        if self.total and self.progress is not None and self.total > 0:
            bar = f'<progress value="{min(self.progress, self.total):g}" max="{self.total:g}" style="width:16em">' \
                  f"</progress> {min(self.progress / self.total, 1.0) * 100:.0f}%"
        elif self.state == "running":
            bar = '<progress style="width:16em"></progress>'  # indeterminate
            if self.progress is not None:
                bar += f" {self.progress:g}"
        else:
            bar = '<progress value="1" max="1" style="width:16em"></progress>'
        parts = [f"<b>{html.escape(self.label)}</b>"] if self.label else []
        if self.status:
            parts.append(f'<span class="mcp-sync-status">{html.escape(self.status)}</span>')
        parts.append(bar)
        if self.message:
            parts.append(html.escape(self.message))
        parts.append(f"{self.elapsed:.1f}s")
        if self.state != "running":
            colour = {"done": "green", "error": "firebrick", "cancelled": "gray"}.get(self.state, "black")
            parts.append(f'<span style="color:{colour}">{self.state}</span>')
        return f'<div class="mcp-sync-progress">{" &nbsp; ".join(parts)}</div>'


class ProgressDisplay:
    """A progress callback (``progress(progress, total, message)``) that shows a bar.

    ``mode``: ``"auto"`` (a notebook display in a Jupyter kernel, else text),
    ``"notebook"`` (requires ``IPython.display``) or ``"text"``. ``stream`` is
    where text goes (default ``sys.stderr``; only ``write`` is used, so a
    stream without ``fileno()`` is fine). Call :meth:`close` (or use ``with``)
    to show the final state; :func:`wait_with_progress` does it for you.
    """

    def __init__(self, description: str = "", *, mode: str = "auto", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in ("auto", "notebook", "text"):
            raise ValueError(f"mode must be 'auto', 'notebook' or 'text', not {mode!r}")
        self.description = description
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._progress: float | None = None
        self._total: float | None = None
        self._message: str | None = None
        self._status: str | None = None
        self._last_update = 0.0
        self._closed = False
        #: The final state once closed: "done", "error" or "cancelled".
        self.state = "running"
        #: How many progress notifications arrived.
        self.updates = 0
        display = None
        if mode != "text":
            display = _notebook_display() if mode == "auto" else _require_display()
        self._handle: Any = None
        self._text: ProgressBar | None = None
        if display is not None:
            self.mode = "notebook"
            self._handle = display(self._view(), display_id=True)
        else:
            self.mode = "text"
            self._text = ProgressBar(stream, label=description, clock=clock)

    # -- the callback ----------------------------------------------------------------

    def __call__(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        self.update(progress, total, message)

    def update(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            self.updates += 1
            self._progress, self._total, self._message = progress, total, message
            if self._text is not None:
                self._text.update(progress, total, message)
                return
            now = self._clock()
            complete = total is not None and total > 0 and progress >= total
            if not complete and now - self._last_update < MIN_UPDATE:
                return
            self._last_update = now
            self._show()

    def set_status(self, status: str, message: str | None = None) -> None:
        """Show a task's status (and its status message) beside the bar; shown at once."""
        with self._lock:
            text = f"{status} ({message})" if message else status
            if self._closed or text == self._status:
                return
            self._status = text
            if self._text is not None:
                self._text.set_status(status, message)
                return
            self._last_update = self._clock()
            self._show()

    def tick(self) -> None:
        """Refresh the elapsed time (notebook form; the text form redraws on updates only)."""
        with self._lock:
            if self._closed or self._handle is None:
                return
            now = self._clock()
            if now - self._last_update < MIN_UPDATE:
                return
            self._last_update = now
            self._show()

    def close(self, state: str = "done") -> None:
        """Show the final state (``"done"``, ``"error"`` or ``"cancelled"``); later updates are ignored."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.state = state
            if self._text is not None:
                self._text.close()
                if state != "done" and self.updates:
                    self._text.write_line(f"{self.description or 'progress'}: {state}")
                return
            self._show()

    def __enter__(self) -> "ProgressDisplay":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close("done")
        elif issubclass(exc_type, (KeyboardInterrupt, CancelledError)):
            self.close("cancelled")
        else:
            self.close("error")

    # -- internals ------------------------------------------------------------------

    def _view(self) -> _View:
        return _View(self.description, self._progress, self._total, self._message,
                     self._clock() - self._started, self.state, self._status)

    def _show(self) -> None:
        try:
            self._handle.update(self._view())
        except Exception:  # a closed kernel channel must not fail the call
            pass


def _require_display() -> Callable[..., Any]:
    try:
        from IPython.display import display  # type: ignore[import-not-found, unused-ignore]  # optional, may be absent
    except ImportError:
        raise RuntimeError("mode='notebook' needs IPython (pip install ipython), or use mode='auto'") from None
    shown: Callable[..., Any] = display
    return shown


def wait_with_progress(work: Any, description: str | None = None, *, timeout: float | None = None,
                       display: ProgressDisplay | None = None, mode: str = "auto", stream: TextIO | None = None,
                       interval: float = 0.25) -> Any:
    """Wait for a call while showing its progress; return its result.

    ``work`` is either

    * a callable taking the progress callback and starting the call:
      ``lambda progress: client.nowait.call_tool("build", progress=progress)``
      (it may also block and return the result itself), or
    * a future (``client.nowait.call_tool(...)``): pass the
      :class:`ProgressDisplay` you gave the call as ``display=`` to keep one
      bar; without it a new display shows the elapsed time.

    * a task handle (``client.call_tool_as_task(...)``, best made with
      :func:`call_tool_as_task` so its progress shows): its status (and status
      message) and progress are shown until it is terminal, then its result
      is returned (``task.result()``: a cancelled task raises ``McpError``).

    ``timeout`` (seconds): give up, cancel the call (or task) on the server,
    raise ``TimeoutError``. An interrupt (Ctrl-C, the notebook's stop button)
    cancels it too, then propagates. A tool result with ``is_error`` is
    returned as is; the display shows it as an error.
    """
    if _is_task(work):
        return _wait_task(work, description, timeout=timeout, display=display, mode=mode, stream=stream)
    if display is None:
        display = ProgressDisplay(description if description is not None else _describe(work), mode=mode,
                                  stream=stream)
    future: Future[Any] | None = None
    try:
        if isinstance(work, Future):
            future = work
        elif callable(work):
            started = work(display)
            if isinstance(started, Future):
                future = started
            else:
                display.close("error" if getattr(started, "is_error", False) else "done")
                return started
        else:
            raise TypeError(f"wait_with_progress needs a Future or a callable, not {type(work).__name__}")
        result = _wait(future, display, timeout, interval)
    except BaseException as exc:
        if future is not None and not future.done():
            future.cancel()
        stopped = isinstance(exc, (KeyboardInterrupt, CancelledError, _GaveUp))
        display.close("cancelled" if stopped else "error")
        raise
    display.close("error" if getattr(result, "is_error", False) else "done")
    return result


class _GaveUp(TimeoutError):
    """``wait_with_progress`` stopped waiting (its ``timeout``); the call was cancelled."""


def _wait(future: Future[Any], display: ProgressDisplay, timeout: float | None, interval: float) -> Any:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
        try:
            return future.result(timeout=step)
        except FutureTimeout:
            if future.done():  # the call itself failed with a timeout (RequestTimeout is a TimeoutError)
                raise
            if deadline is not None and time.monotonic() >= deadline:
                raise _GaveUp(f"no result after {timeout:g} s; the call was cancelled") from None
            display.tick()


def _describe(work: Any) -> str:
    method = getattr(work, "method", None)
    return method if isinstance(method, str) else ""


# -- tasks -------------------------------------------------------------------------------------

#: The progress seen for each task made by :func:`call_tool_as_task` (forgotten with the handle).
_TRACKERS: "weakref.WeakKeyDictionary[Any, _Tracker]" = weakref.WeakKeyDictionary()
#: Seconds a displayed task's ``tasks/get`` may take before the last known status is shown instead.
REFRESH_TIMEOUT = 5.0
_STATUS_COLOURS = {"working": "royalblue", "input_required": "darkorange", "completed": "green",
                   "failed": "firebrick", "cancelled": "gray"}


def _is_task(work: Any) -> bool:
    from .client.tasks import RemoteTask

    return isinstance(work, RemoteTask)


class _Tracker:
    """A progress callback remembering the last update, and passing updates to listeners."""

    def __init__(self, chained: Callable[..., Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._chained = chained
        self._listeners: list[Callable[..., Any]] = []
        #: ``(progress, total, message)`` of the last update, or None.
        self.last: tuple[float, float | None, str | None] | None = None

    def __call__(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        with self._lock:
            self.last = (progress, total, message)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(progress, total, message)
        if self._chained is not None:
            self._chained(progress, total, message)

    def listen(self, listener: Callable[..., Any]) -> Callable[[], None]:
        """Add a listener (given the last update at once); returns its remover."""
        with self._lock:
            self._listeners.append(listener)
            last = self.last
        if last is not None:
            listener(*last)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return remove


def call_tool_as_task(client: Any, name: Any, arguments: Any = None, *, progress: Callable[..., Any] | None = None,
                      **options: Any) -> Any:
    """``client.call_tool_as_task(...)`` whose progress is remembered, so displaying the task shows it.

    ``progress``, if given, is called as well. Other options (``ttl``,
    ``timeout``...) go to the client. Returns the :class:`~mcp_sync.client.tasks.Task`.
    """
    tracker = _Tracker(progress)
    task = client.call_tool_as_task(name, arguments, progress=tracker, **options)
    _TRACKERS[task] = tracker
    return task


def _snapshot(task: Any, refresh: bool) -> Any:
    """The task's status: fresh (``tasks/get``) unless it is known terminal or ``refresh`` is False."""
    if refresh and not task.done:
        try:
            return task.status(timeout=REFRESH_TIMEOUT)
        except Exception:  # a closed connection or a slow server: show what we know
            pass
    return task.last


def task_html(task: Any, *, refresh: bool = True) -> str:
    """HTML for a task handle: its status, status message and progress (when known), id and TTL."""
    status = _snapshot(task, refresh)
    tracker = _TRACKERS.get(task)
    last = tracker.last if tracker is not None else None
    colour = _STATUS_COLOURS.get(status.status, "black")
    parts = [f"<b>task</b> <code>{html.escape(status.task_id)}</code>",
             f'<span class="mcp-sync-status" style="color:{colour}">{html.escape(status.status)}</span>']
    if status.status_message:
        parts.append(html.escape(status.status_message))
    if last is not None:
        progress, total, message = last
        if total:
            parts.append(f'<progress value="{min(progress, total):g}" max="{total:g}" style="width:16em">'
                         f"</progress> {min(progress / total, 1.0) * 100:.0f}%")
        else:
            parts.append(f'<progress style="width:16em"></progress> {progress:g}')
        if message:
            parts.append(html.escape(message))
    elif status.status in ("working", "input_required"):
        parts.append('<progress style="width:16em"></progress>')  # running, nothing reported: indeterminate
    ttl = "unlimited" if status.ttl is None else f"{status.ttl / 1000:g} s"
    parts.append(f'<span style="color:gray">created {html.escape(status.created_at)}, ttl {ttl}</span>')
    return f'<div class="mcp-sync-task">{" &nbsp; ".join(parts)}</div>'


def task_text(task: Any, *, refresh: bool = True) -> str:
    """The text form of :func:`task_html`."""
    status = _snapshot(task, refresh)
    text = f"task {status.task_id}: {status.status}"
    if status.status_message:
        text += f" ({status.status_message})"
    tracker = _TRACKERS.get(task)
    if tracker is not None and tracker.last is not None:
        progress, total, message = tracker.last
        text += "  " + format_bar(progress, total, message)
    return text


class TaskView:
    """A task handle as a notebook shows it (``_repr_html_``; ``repr`` is text).

    Each display asks the server for the task's status (``tasks/get``, at
    most :data:`REFRESH_TIMEOUT` seconds; the last known status otherwise, and
    always once the task is terminal); the progress shows when the task was
    made with :func:`call_tool_as_task`.
    """

    def __init__(self, task: Any, *, refresh: bool = True) -> None:
        self.task = task
        self.refresh = refresh

    def _repr_html_(self) -> str:
        return task_html(self.task, refresh=self.refresh)

    def __repr__(self) -> str:
        return task_text(self.task, refresh=self.refresh)


def register_task_display(shell: Any = None) -> bool:
    """Show task handles as :class:`TaskView` in IPython (its ``text/html`` formatter).

    ``shell``: the IPython shell (default: the running one). Done when this
    module is imported in a kernel. Returns False when there is no shell.
    """
    from .client.tasks import RemoteTask

    if shell is None:
        get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
        try:
            shell = get_ipython() if get_ipython is not None else None
        except Exception:
            shell = None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not formatters or "text/html" not in formatters:
        return False
    formatters["text/html"].for_type(RemoteTask, lambda task: task_html(task))
    return True


def _wait_task(task: Any, description: str | None, *, timeout: float | None, display: ProgressDisplay | None,
               mode: str, stream: TextIO | None) -> Any:
    from .errors import RequestTimeout

    if display is None:
        display = ProgressDisplay(description if description is not None else f"task {task.task_id}", mode=mode,
                                  stream=stream)
    tracker = _TRACKERS.get(task)
    remove = tracker.listen(display) if tracker is not None else (lambda: None)
    try:
        display.set_status(task.last.status, task.last.status_message)
        for status in task.watch(timeout=timeout):  # tasks/get at the server's pollInterval
            display.set_status(status.status, status.status_message)
        result = task.result()
    except BaseException as exc:
        remove()
        stopped = isinstance(exc, (KeyboardInterrupt, RequestTimeout))
        if stopped and not task.done:
            try:
                task.cancel(timeout=REFRESH_TIMEOUT)
            except Exception:
                pass
        display.close("cancelled" if stopped or task.last.status == "cancelled" else "error")
        if isinstance(exc, RequestTimeout):
            raise _GaveUp(f"task {task.task_id} did not finish within {timeout:g} s; it was cancelled") from None
        raise
    remove()
    display.close("error" if getattr(result, "is_error", False) else "done")
    return result


if sys.modules.get("IPython") is not None and _notebook_display() is not None:
    register_task_display()  # imported in a kernel: task handles display themselves
