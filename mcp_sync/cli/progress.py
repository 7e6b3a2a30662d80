"""Text progress rendering for a call's ``notifications/progress``.

:class:`ProgressBar` is a progress callback (``bar(progress, total, message)``)
writing to a text stream, ``sys.stderr`` by default:

* on a terminal (``stream.isatty()``), one line redrawn in place with ``\\r``
  (``[#########-----------]  45%  9/20  message  3.1s``), cleared by
  :meth:`~ProgressBar.close`;
* anywhere else (a pipe, a log file, a notebook's stream), plain lines
  (``progress: 9/20 (45%) message``): one for the first update, for each new
  message, for completion, and otherwise at most one per ``line_interval``
  seconds, so a chatty server does not flood a log.

A status (a task's: ``working``, ``completed``... and its status message) can
be shown too, with :meth:`~ProgressBar.set_status`: on a terminal it is part of
the redrawn line, before the bar; elsewhere each change is one line
(``task 7f3a: working (step 2 of 5)``).

Only ``write()`` (and ``flush()`` if present) is used, so streams without a
file descriptor work. Callbacks may come from any thread.
"""

from __future__ import annotations

import math
import shutil
import sys
import threading
import time
from typing import Any, Callable, TextIO

__all__ = ["ProgressBar", "format_bar", "format_line", "is_tty"]

#: Characters of the bar itself on a terminal.
BAR_WIDTH = 24
#: Least seconds between two redraws on a terminal (the last state is drawn anyway on completion).
MIN_REDRAW = 0.05
#: Least seconds between two plain lines that say nothing new (same message, not complete).
LINE_INTERVAL = 1.0
_SPINNER = "|/-\\"
_CLEAR = "\r\x1b[K"


def is_tty(stream: Any) -> bool:
    """``stream.isatty()``, False when it is missing or fails (closed or fake streams)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None:
        return False
    try:
        return bool(isatty())
    except (OSError, ValueError, AttributeError):
        return False


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _fraction(progress: float, total: float | None) -> float | None:
    if total is None or not total or not math.isfinite(total) or total < 0:
        return None
    return min(max(progress / total, 0.0), 1.0)


def format_bar(progress: float, total: float | None, message: str | None = None, *, width: int = BAR_WIDTH,
               elapsed: float | None = None, tick: int = 0, label: str = "") -> str:
    """The terminal form: a bar when ``total`` is known, else a spinner and the count."""
    parts = [label] if label else []
    fraction = _fraction(progress, total)
    if fraction is None:
        parts.append(f"[{_SPINNER[tick % len(_SPINNER)]}] {_number(progress)}")
    else:
        filled = int(round(fraction * width))
        parts.append(f"[{'#' * filled}{'-' * (width - filled)}] {fraction * 100:3.0f}%  "
                     f"{_number(progress)}/{_number(total)}")  # type: ignore[arg-type]
    if message:
        parts.append(message)
    if elapsed is not None:
        parts.append(f"{elapsed:.1f}s")
    return "  ".join(parts)


def format_line(progress: float, total: float | None, message: str | None = None, *, label: str = "") -> str:
    """The plain form: ``progress: 3/10 (30%) message``."""
    fraction = _fraction(progress, total)
    text = f"{label}: " if label else "progress: "
    if fraction is None:
        text += _number(progress)
    else:
        text += f"{_number(progress)}/{_number(total)} ({fraction * 100:.0f}%)"  # type: ignore[arg-type]
    if message:
        text += f" {message}"
    return text


class ProgressBar:
    """A progress callback that draws on a text stream (see the module docstring).

    ``tty`` forces the terminal (True) or line (False) form; by default it is
    ``stream.isatty()``. ``label`` prefixes every line. ``clock`` is for tests.
    ``min_redraw`` and ``line_interval`` (seconds) limit how often each form
    writes when nothing new happened.
    Use as a context manager, or call :meth:`close` when the call is done.
    """

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None, label: str = "",
                 width: int | None = None, clock: Callable[[], float] = time.monotonic,
                 min_redraw: float = MIN_REDRAW, line_interval: float = LINE_INTERVAL) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = is_tty(self.stream) if tty is None else tty
        self.label = label
        self._width = width
        self._clock = clock
        self._min_redraw = min_redraw
        self._line_interval = line_interval
        self._last_message: str | None = None
        self._started = clock()
        self._lock = threading.Lock()
        self._shown = ""  # the line on screen now (terminal form)
        self._last_line = ""  # the last line written (line form)
        self._last_draw = -math.inf
        self._ticks = 0
        self._closed = False
        self._status = ""  # the status text shown (set_status)
        #: The last update received, as ``(progress, total, message)``.
        self.last: tuple[float, float | None, str | None] | None = None
        #: How many updates were received.
        self.updates = 0

    def __call__(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        self.update(progress, total, message)

    def update(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            self.last = (progress, total, message)
            self.updates += 1
            now = self._clock()
            complete = _fraction(progress, total) == 1.0
            if self.tty:
                self._ticks += 1
                if not complete and now - self._last_draw < self._min_redraw:
                    return
                self._last_draw = now
                self._draw(format_bar(progress, total, message, elapsed=now - self._started, tick=self._ticks,
                                      label=self._prefix()))
                return
            line = format_line(progress, total, message, label=self.label)
            news = self.updates == 1 or complete or message != self._last_message
            if line == self._last_line or (not news and now - self._last_draw < self._line_interval):
                return
            self._last_line, self._last_message, self._last_draw = line, message, now
            self._write(line + "\n")

    def set_status(self, status: str, message: str | None = None) -> None:
        """Show a status (a task's status and its message): on a terminal in the line, else one line per change."""
        text = f"{status} ({message})" if message else status
        with self._lock:
            if self._closed or text == self._status:
                return
            self._status = text
            now = self._clock()
            if self.tty:
                self._last_draw = now
                if self.last is None:  # no progress yet: the status and the time
                    self._draw("  ".join(x for x in (self.label, text, f"{now - self._started:.1f}s") if x))
                else:
                    progress, total, message = self.last
                    self._draw(format_bar(progress, total, message, elapsed=now - self._started, tick=self._ticks,
                                          label=self._prefix()))
                return
            self._write(f"{self.label or 'status'}: {text}\n")

    def write_line(self, text: str) -> None:
        """Print a line of other output (a server's stderr...) without garbling the bar."""
        with self._lock:
            shown = self._shown
            if shown:
                self._write(_CLEAR)
            self._write(text.rstrip("\n") + "\n")
            if shown:
                self._write(shown)

    def close(self) -> None:
        """Erase the bar (terminal form); later updates are ignored."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._shown:
                self._write(_CLEAR)
                self._shown = ""

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- internals (called with the lock held) -------------------------------------

    def _prefix(self) -> str:
        return "  ".join(x for x in (self.label, self._status) if x)

    def _columns(self) -> int:
        if self._width is not None:
            return self._width
        return shutil.get_terminal_size((80, 24)).columns

    def _draw(self, text: str) -> None:
        limit = max(self._columns() - 1, 10)  # never wrap: "\r" only returns to the start of the last row
        if len(text) > limit:
            text = text[: limit - 3] + "..."
        self._shown = _CLEAR + text
        self._write(self._shown)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            flush = getattr(self.stream, "flush", None)
            if flush is not None:
                flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream must not fail the call
