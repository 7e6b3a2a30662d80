"""stdio: the client spawns the server and talks over its stdin and stdout."""

from __future__ import annotations

import collections
import io
import json
import os
import sys
import threading
from typing import Any, BinaryIO, Callable, Mapping, Sequence, TextIO, Union, cast

from ..errors import ConnectionClosed
from .stream import DEFAULT_MAX_LINE, StreamTransport

#: Where a child's stderr lines go: a text stream (anything with ``write``), a
#: callable taking one line, or None to only keep the tail for error messages.
StderrSink = Union[TextIO, Callable[[str], None], None]

_DEFAULT = object()
#: Seconds to wait for the child after closing its stdin, and again after SIGTERM.
EXIT_GRACE = 2.0
#: How many of the child's last stderr lines a ConnectionClosed error carries.
STDERR_TAIL_LINES = 20


class StdioClientTransport(StreamTransport):
    """Spawns ``command`` and frames JSON-RPC over its stdin/stdout.

    The child's stderr is read by a named thread and written to ``stderr``
    (default: ``sys.stderr`` as it is when the transport starts) line by line
    with ``write()``, so no real file descriptor is needed: this works in
    notebooks, where ``sys.stderr`` has no ``fileno()``. The last lines are
    kept and reported if the server dies.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stderr: Any = _DEFAULT,
        inherit_env: bool = True,
        max_line: int = DEFAULT_MAX_LINE,
        name: str = "mcp-stdio",
    ) -> None:
        argv = [command] if isinstance(command, str) else list(command)
        argv += list(args)
        if not argv:
            raise ValueError("stdio transport needs a command to run")
        full_env = dict(os.environ) if inherit_env else {}
        if env:
            full_env.update(env)
        self._sink: StderrSink = sys.stderr if stderr is _DEFAULT else stderr
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._tail_lock = threading.Lock()
        self.argv = argv
        #: Key of this server in an era cache (:mod:`mcp_sync.client.era`): command line, directory, extra env.
        self.era_key = "stdio:" + json.dumps([argv, os.fspath(cwd) if cwd is not None else os.getcwd(),
                                              sorted((env or {}).items()), inherit_env])
        import subprocess  # here: a server (stdin/stdout only) never loads it (~7 ms of start-up)

        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=full_env, cwd=cwd, close_fds=True,
            )
        except OSError as exc:
            raise ConnectionClosed(f"cannot start the server {argv[0]!r}: {exc}") from None
        assert self.process.stdin and self.process.stdout and self.process.stderr
        # Popen made them with PIPE and no text mode: buffered binary files.
        super().__init__(cast(BinaryIO, self.process.stdout), cast(BinaryIO, self.process.stdin), max_line=max_line)
        self._stderr_thread = threading.Thread(target=self._pump_stderr, args=(self.process.stderr,),
                                               name=f"{name}-stderr", daemon=True)
        self._stderr_thread.start()
        self._close_lock = threading.Lock()
        self._ended = False

    def _pump_stderr(self, pipe: BinaryIO) -> None:
        sink = self._sink
        try:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", errors="replace")
                with self._tail_lock:
                    self._tail.append(line.rstrip("\n"))
                if sink is None:
                    continue
                try:
                    if callable(sink) and not hasattr(sink, "write"):
                        sink(line.rstrip("\n"))
                    else:
                        sink.write(line)
                        flush = getattr(sink, "flush", None)
                        if flush is not None:
                            flush()
                except Exception:
                    pass  # a broken sink must not stop us draining the pipe
        except (OSError, ValueError):
            pass
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    def stderr_tail(self) -> str:
        with self._tail_lock:
            return "\n".join(self._tail)

    def closed_error(self) -> ConnectionClosed:
        import subprocess

        try:
            code = self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr_thread.join(0.3)
        reason = "the server process exited" if code is not None else "the server closed its stdout"
        return ConnectionClosed(reason, exit_code=code, stderr_tail=self.stderr_tail())

    def close(self) -> None:
        """Close the child's stdin, wait, then terminate, then kill; join the stderr thread."""
        with self._close_lock:
            if self._ended:
                return
            self._ended = True
        super().close()  # closes the child's stdin: a well-behaved server exits
        import subprocess

        process = self.process
        try:
            process.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=EXIT_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._stderr_thread.join(EXIT_GRACE)
        if threading.current_thread() is not self._stderr_thread:
            try:
                self._reader.close()
            except (OSError, ValueError):
                pass


class StdioServerTransport(StreamTransport):
    """The server end of stdio: a :class:`StreamTransport` that also reports end of input.

    Callbacks added with :meth:`add_eof_callback` run once, on the reader
    thread, when stdin reaches end of file (before the session drains the
    requests still running): long-lived requests such as a 2026-07-28
    ``subscriptions/listen`` end at once instead of holding the exit.
    """

    def __init__(self, reader: BinaryIO, writer: BinaryIO, *, max_line: int = DEFAULT_MAX_LINE) -> None:
        super().__init__(reader, writer, max_line=max_line)
        self._eof_lock = threading.Lock()
        self._eof = False
        self._eof_callbacks: list[Callable[[], None]] = []

    def receive(self) -> Any:
        frame = super().receive()
        if frame is None:
            with self._eof_lock:
                self._eof = True
                callbacks, self._eof_callbacks = self._eof_callbacks, []
            for callback in callbacks:
                try:
                    callback()
                except Exception:  # a callback must not kill the reader thread
                    pass
        return frame

    def add_eof_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once at end of input (now, if it was reached already)."""
        with self._eof_lock:
            if not self._eof:
                self._eof_callbacks.append(callback)
                return
        callback()

    def remove_eof_callback(self, callback: Callable[[], None]) -> None:
        with self._eof_lock:
            try:
                self._eof_callbacks.remove(callback)
            except ValueError:
                pass


def stdio_server_transport(max_line: int = DEFAULT_MAX_LINE) -> StreamTransport:
    """The server end of stdio: read stdin, write stdout.

    Anything user code prints is sent to stderr instead of corrupting the
    protocol stream: the real stdout is duplicated for our use, and file
    descriptor 1 and ``sys.stdout`` are pointed at stderr.
    """
    stdin = sys.stdin.buffer
    try:
        out_fd = os.dup(sys.stdout.fileno())
        sys.stdout.flush()
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        stdout: BinaryIO = io.open(out_fd, "wb", buffering=io.DEFAULT_BUFFER_SIZE)
        sys.stdout = sys.stderr
    except (AttributeError, OSError, io.UnsupportedOperation):
        stdout = sys.stdout.buffer  # no real descriptors (embedded interpreters): use what we have
    return StdioServerTransport(stdin, stdout, max_line=max_line)
