"""The base of every streamed WSGI response body: a generator, and clean-up that runs exactly once.

PEP 3333 says a server must call a body's ``close()``, but not every server does
it on every path (werkzeug's dev server skips it when draining the socket after
the response fails). So the clean-up also runs as soon as the body is
exhausted, whichever comes first.
"""

from __future__ import annotations

import threading
from typing import Iterator

__all__ = ["StreamingBody"]


class StreamingBody:
    """Subclasses give ``_events()`` (the encoded chunks) and ``_finish()`` (the clean-up).

    Set the attributes ``_events`` needs before calling ``super().__init__()``.
    """

    def __init__(self) -> None:
        self._closed = False
        self._close_lock = threading.Lock()
        self._gen = self._events()

    def __iter__(self) -> "StreamingBody":
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._gen)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._gen.close()  # type: ignore[attr-defined]  # subclasses' _events() are generators
        finally:
            self._finish()

    def _events(self) -> Iterator[bytes]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _finish(self) -> None:
        """Release what the response held (the stream, the request, the session)."""
