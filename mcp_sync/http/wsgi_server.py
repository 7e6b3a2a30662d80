"""A small threaded HTTP/1.1 WSGI server (standard library only), for the built-in MCP server.

``wsgiref`` speaks HTTP/1.0 only: one request per connection, and streamed
bodies end by closing the connection. This handler speaks HTTP/1.1 on top of
``http.server``: persistent connections, ``Transfer-Encoding: chunked`` for
bodies of unknown length (the SSE streams), each chunk written as soon as the
application yields it, chunked request bodies, and ``Expect: 100-continue``.
HTTP/1.0 clients get close-delimited bodies as before.

Connections are bounded: at most ``max_connections`` (:data:`MAX_CONNECTIONS`)
at once. A connection that has sent nothing yet costs a descriptor, not a
thread: :meth:`ThreadedWsgiServer.serve_connections` keeps accepted sockets in
a selector until their first byte arrives, and only then runs the connection on
its own named thread (``mcp-http-conn-N``), tracked so the owner can shut the
sockets down and join the threads. A silent connection is closed
``header_timeout`` seconds after it was accepted (or ``socket_timeout``, if
shorter), and a connection must send its whole first request head by then.
When the cap is reached, or the process runs out of descriptors (EMFILE), the
oldest silent connection is shed (then the oldest one idle between two
requests) so that new clients are still served; with nothing to shed,
accepting pauses until a connection ends (new clients wait in the listen
queue) and the accept loop never spins.
"""

from __future__ import annotations

import errno
import io
import itertools
import logging
import re
import selectors
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import unquote, urlsplit

log = logging.getLogger("mcp_sync.http.server")

#: Seconds an idle persistent connection stays open, and the longest a single read or write may block.
SOCKET_TIMEOUT = 60.0
#: Seconds a client has to send a whole request head (request line and headers): counted from the
#: accept for a new connection, from the first byte for the next request on a kept-alive one. A
#: client sending nothing, or trickling bytes (slowloris), is disconnected then, whatever its pace.
HEADER_TIMEOUT = 10.0
#: Connections open at once (silent, idle between requests, or being served), for each server.
MAX_CONNECTIONS = 1024
#: How long accepting pauses when the process is out of descriptors and no connection can be shed.
EMFILE_PAUSE = 0.5
#: Connections accepted per wake-up of the accept loop (then readiness of the silent ones is handled).
ACCEPT_BATCH = 32
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: Seconds a client has to send a request body, plus one second per ``BODY_MIN_RATE`` bytes received.
BODY_TIMEOUT = 30.0
BODY_MIN_RATE = 64 * 1024
#: Unread request body bytes drained to keep a connection reusable (more: the connection is closed).
DRAIN_LIMIT = 64 * 1024
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                         "trailers", "transfer-encoding", "upgrade"})


class _Input:
    """``wsgi.input``: exactly the request body (``Content-Length`` bytes, or a chunked body decoded)."""

    def __init__(self, rfile: Any, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._left = length or 0
        self._chunked = chunked
        self._chunk_left = 0
        self._done = not chunked and not self._left
        self._buffer = b""

    def _raw(self, size: int) -> bytes:
        """Up to ``size`` body bytes from the wire (fewer only at the end)."""
        if self._done:
            return b""
        if not self._chunked:
            data: bytes = self._rfile.read(min(size, self._left))
            self._left -= len(data)
            if not data or not self._left:
                self._done = True
            return data
        if self._chunk_left == 0:
            line = self._rfile.readline(65537)
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise ValueError("malformed chunked request body") from None
            if self._chunk_left == 0:
                while self._rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return b""
        data = self._rfile.read(min(size, self._chunk_left))
        self._chunk_left -= len(data)
        if not data:
            self._done = True
        elif self._chunk_left == 0:
            self._rfile.readline(65537)  # the CRLF after the chunk
        return data

    def read(self, size: int | None = -1) -> bytes:
        parts = [self._buffer]
        have = len(self._buffer)
        self._buffer = b""
        while size is None or size < 0 or have < size:
            data = self._raw(65536 if size is None or size < 0 else size - have)
            if not data:
                break
            parts.append(data)
            have += len(data)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        line = b""
        while not line.endswith(b"\n") and (size is None or size < 0 or len(line) < size):
            if not self._buffer:
                self._buffer = self._raw(8192)
                if not self._buffer:
                    break
            limit = len(self._buffer) if size is None or size < 0 else size - len(line)
            cut = self._buffer.find(b"\n", 0, limit)
            end = cut + 1 if cut != -1 else min(limit, len(self._buffer))
            line += self._buffer[:end]
            self._buffer = self._buffer[end:]
        return line

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def drain(self, limit: int) -> bool:
        """Discard the unread rest, up to ``limit`` bytes; True if the body was consumed."""
        self._buffer = b""
        if not self._chunked and self._left > limit:
            return False  # a body announced larger than the limit: do not wait for it, close
        drained = 0
        try:
            while not self._done and drained <= limit:
                drained += len(self._raw(min(65536, limit + 1 - drained) or 1))
        except (OSError, ValueError):
            return False
        return self._done


class _TimedReader(socket.SocketIO):
    """The reading side of a connection, with an overall deadline while one is armed.

    Each read waits at most until ``deadline`` (past it: TimeoutError), so a
    client sending a byte now and then cannot hold the connection thread
    forever. With ``head_timeout`` set, the first bytes received move the
    deadline to ``head_timeout`` seconds from then (the wait for the first byte
    is the idle keep-alive wait); ``per_byte`` seconds are added to it for each
    byte received (a body's minimum rate). Reads restore the socket timeout, so
    writes keep theirs.
    """

    def __init__(self, sock: socket.socket, timeout: float | None) -> None:
        super().__init__(sock, "rb")
        self.base_timeout = timeout
        self.deadline: float | None = None
        self.head_timeout: float | None = None
        self.per_byte = 0.0
        self.on_data: Callable[[], None] | None = None

    def arm(self, seconds: float | None, *, head_timeout: float | None = None, per_byte: float = 0.0,
            on_data: Callable[[], None] | None = None) -> None:
        """Deadline in ``seconds``; ``on_data`` is called once, when the first bytes arrive."""
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.head_timeout = head_timeout
        self.per_byte = per_byte
        self.on_data = on_data

    def readinto(self, b: Any) -> int | None:
        deadline = self.deadline
        if deadline is None:
            return super().readinto(b)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the client did not send its request in time")
        sock = self._sock  # type: ignore[attr-defined]
        base = self.base_timeout
        sock.settimeout(remaining if base is None else min(remaining, base))
        try:
            n = super().readinto(b)
        finally:
            sock.settimeout(base)
        if n:
            on_data, self.on_data = self.on_data, None
            if on_data is not None:
                on_data()
            if self.head_timeout is not None:
                self.deadline, self.head_timeout = time.monotonic() + self.head_timeout, None
            elif self.per_byte:
                self.deadline = deadline + n * self.per_byte
        return n


#: Seconds a first request whose first byte arrived in time always has for the rest of its head.
FIRST_HEAD_GRACE = 1.0


class _ConnState:
    """One connection being served on its thread (see ``ThreadedWsgiServer.live_connections``)."""

    __slots__ = ("sock", "accepted_at", "first", "idle", "shed", "ended")

    def __init__(self, sock: socket.socket, accepted_at: float) -> None:
        self.sock = sock
        self.accepted_at = accepted_at
        self.first = True
        #: Waiting for the next request on a kept-alive connection (may be shed).
        self.idle = False
        #: Shut down by the accept loop to make room (its thread is ending).
        self.shed = False
        #: Its thread is finishing.
        self.ended = False

    def busy(self) -> None:
        self.idle = False


_QUERY = re.compile(r"\?[^ ]*")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mcp-sync"
    timeout = SOCKET_TIMEOUT
    # TCP_NODELAY: a response is written as one send (headers with the first body bytes), but
    # SSE chunks and the chunked terminator are further small writes; with Nagle on, each
    # waits for the client's delayed ACK (~40 ms on Linux).
    disable_nagle_algorithm = True
    server: "ThreadedWsgiServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # Query strings may carry credentials (the HTTP+SSE session id, tokens some clients put there).
        log.debug("%s - %s", self.address_string(), _QUERY.sub("?...", format % args))

    def setup(self) -> None:
        server = self.server
        # Per connection (a ClassVar in the stubs): StreamRequestHandler.setup() reads self.timeout.
        self.timeout = server.socket_timeout  # type: ignore[misc]
        super().setup()
        self.rfile.close()  # replaced by the same stream over a reader with deadlines
        self._reader = _TimedReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader, io.DEFAULT_BUFFER_SIZE)

    def handle_one_request(self) -> None:
        try:
            server = self.server
            state = server.connection_state()
            if state is not None and state.first:
                # The first request: its head is due header_timeout after the accept (its first byte is here).
                state.first = False
                left = state.accepted_at + min(server.header_timeout, server.socket_timeout) - time.monotonic()
                self._reader.arm(max(left, FIRST_HEAD_GRACE))
            else:
                # Up to socket_timeout for the first byte (idle keep-alive), then header_timeout for the head.
                if state is not None:
                    state.idle = True
                    server.note_idle()
                self._reader.arm(server.socket_timeout, head_timeout=server.header_timeout,
                                 on_data=None if state is None else state.busy)
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._reader.arm(server.body_timeout, per_byte=1.0 / server.body_min_rate)
            self._run_wsgi()
        except OSError as exc:  # timed out, reset, or shut down by the server's stop()
            log.debug("connection from %s ended: %r", self.client_address[0], exc)
            self.close_connection = True

    def _environ(self, body: _Input) -> dict[str, Any]:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form request target
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "iso-8859-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": self.server.server_name,
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version,
            "SERVER_SOFTWARE": self.server_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body,
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in self.headers.items():
            name = key.replace("-", "_").upper()
            value = value.strip()
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[name] = value
            elif name != "TRANSFER_ENCODING" or value:
                existing = environ.get("HTTP_" + name)
                environ["HTTP_" + name] = f"{existing},{value}" if existing is not None else value
        return environ

    def _run_wsgi(self) -> None:
        chunked_in = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length_header = self.headers.get("Content-Length")
        length = None
        if not chunked_in and length_header is not None:
            try:
                length = int(length_header)
                if length < 0:
                    raise ValueError
            except ValueError:
                self.send_error(400, "invalid Content-Length")
                self.close_connection = True
                return
        body = _Input(self.rfile, length, chunked_in)
        environ = self._environ(body)
        state: dict[str, Any] = {"status": None, "headers": None, "sent": False, "chunked": False}
        head = self.command == "HEAD"

        def send_headers(first: bytes = b"") -> None:
            """Send the status line and headers, and ``first`` (body bytes) in the same write."""
            status, headers = state["status"], state["headers"]
            code_text, _, reason = status.partition(" ")
            code = int(code_text)
            self.send_response(code, reason or None)
            has_length = False
            for name, value in headers:
                lower = name.lower()
                if lower in _HOP_BY_HOP:
                    continue
                if lower == "content-length":
                    has_length = True
                self.send_header(name, value)
            no_body = head or code in (204, 304) or 100 <= code < 200
            if not has_length and not no_body:
                if self.request_version == "HTTP/1.1":
                    self.send_header("Transfer-Encoding", "chunked")
                    state["chunked"] = True
                else:
                    self.close_connection = True
            if self.close_connection:
                self.send_header("Connection", "close")
            state["sent"] = True
            # end_headers() without its separate flush; _headers_buffer (made by send_header()) is not in the stubs
            self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
            if first:
                self._headers_buffer.append(b"%x\r\n%b\r\n" % (len(first), first) if state["chunked"] else first)  # type: ignore[attr-defined]
            self.flush_headers()

        def write(data: bytes) -> None:
            if state["status"] is None:
                raise AssertionError("write() before start_response()")
            if head or not data:
                if not state["sent"]:
                    send_headers()
                return
            if not state["sent"]:
                send_headers(data)
                return
            if state["chunked"]:
                self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))
            else:
                self.wfile.write(data)

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            if exc_info is not None:
                try:
                    if state["sent"]:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif state["status"] is not None:
                raise AssertionError("start_response() called twice without exc_info")
            state["status"], state["headers"] = status, list(headers)
            return write

        result: Iterable[bytes] | None = None
        try:
            result = self.server.app(environ, start_response)
            for data in result:
                if data:
                    write(data)
            if not state["sent"]:
                if state["status"] is None:
                    raise AssertionError("the application returned without calling start_response()")
                send_headers()
            if state["chunked"] and not head:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True  # the client went away mid-response (or timed out)
        except Exception:
            log.exception("error while serving %s %s", self.command, self.path)
            self.close_connection = True
            if not state["sent"]:
                try:
                    self.send_error(500)
                except OSError:
                    pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing the response body failed")
        if not self.close_connection and not body.drain(DRAIN_LIMIT):
            self.close_connection = True


class ThreadedWsgiServer(socketserver.ThreadingMixIn, HTTPServer):
    """Serves ``app`` with one named thread per connection that has sent something (see :meth:`live_connections`).

    :meth:`serve_connections` is the accept loop (see the module's docstring for
    the connection cap and the shedding of silent connections).
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = socket.SOMAXCONN  # bursts of clients (HTTPServer's default is 5)
    #: Per-connection timeouts (see the module constants); change them on the instance before serving.
    socket_timeout: float = SOCKET_TIMEOUT
    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    body_min_rate: float = BODY_MIN_RATE
    #: Connections open at once; past it the oldest silent one is shed (see the module docstring).
    max_connections: int = MAX_CONNECTIONS

    def __init__(self, address: tuple[str, int], app: Callable[..., Any], *, family: int = socket.AF_INET,
                 thread_prefix: str = "mcp-http-conn") -> None:
        self.address_family = family
        self.app = app
        self._thread_prefix = thread_prefix
        self._conn_ids = itertools.count(1)
        self._conn_lock = threading.Lock()
        self._conns: dict[threading.Thread, _ConnState] = {}
        #: Every connection thread started and maybe not ended yet (stop() joins them all).
        self._conn_threads: set[threading.Thread] = set()
        #: Accepted connections that sent nothing yet: socket -> (accept time, address), oldest first.
        #: Only the accept loop's thread touches it.
        self._silent: dict[socket.socket, tuple[float, Any]] = {}
        #: A silent connection accepted past the cap with nothing to shed: not read until a connection ends.
        self._parked: socket.socket | None = None
        #: Written to by a connection thread that ends, read by the accept loop (to resume accepting).
        self._ended_r, self._ended_w = socket.socketpair()
        self._ended_r.setblocking(False)
        self._ended_w.setblocking(False)
        #: Connections shed to make room, and times accepting paused (for logs and tests).
        self.shed_count = 0
        self.pause_count = 0
        self._last_warning = -1e9
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name with getfqdn(), which can block on DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host  # type: ignore[assignment]  # an AF_INET/AF_INET6 address: the host is a str
        self.server_port = port

    def process_request(self, request: socket.socket, client_address: Any,  # type: ignore[override]
                        accepted_at: float | None = None) -> None:
        """Serve one connection on a new named thread (``accepted_at``: when it was accepted; now if None)."""
        state = _ConnState(request, time.monotonic() if accepted_at is None else accepted_at)
        thread = threading.Thread(target=self._serve_one, args=(request, client_address),
                                  name=f"{self._thread_prefix}-{next(self._conn_ids)}", daemon=True)
        with self._conn_lock:
            self._conns[thread] = state
            if len(self._conn_threads) >= 64:  # forget the threads that have ended
                self._conn_threads = {t for t in self._conn_threads if t.is_alive()}
            self._conn_threads.add(thread)
        try:
            thread.start()
        except BaseException:
            with self._conn_lock:
                self._conns.pop(thread, None)
                self._conn_threads.discard(thread)
            raise

    def _serve_one(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            me = threading.current_thread()
            with self._conn_lock:
                state = self._conns.get(me)
                if state is not None:
                    state.ended = True  # no longer counted against the cap
            try:
                self._ended_w.send(b"x")  # the accept loop may be waiting for room
            except OSError:
                pass  # the pipe is full (the loop will look anyway) or closed (the server stopped)
            with self._conn_lock:  # last: stop() joins every thread still listed
                self._conns.pop(me, None)

    def connection_state(self) -> _ConnState | None:
        """The state of the connection served on the calling thread (None off a connection thread)."""
        with self._conn_lock:
            return self._conns.get(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)

    def live_connections(self) -> list[tuple[threading.Thread, socket.socket]]:
        """The connections being served on a thread now (not the silent ones waiting for a first byte)."""
        with self._conn_lock:
            return [(thread, state.sock) for thread, state in self._conns.items()]

    def connection_threads(self) -> list[threading.Thread]:
        """Every connection thread still alive, including those finishing (to join on stop)."""
        with self._conn_lock:
            return [t for t in self._conn_threads if t.is_alive()]

    def silent_connections(self) -> int:
        """Accepted connections that have sent nothing yet (no thread for them)."""
        return len(self._silent)

    # -- the accept loop -------------------------------------------------------------------

    def serve_connections(self, stop: socket.socket) -> None:
        """Accept and dispatch connections until ``stop`` is readable; then close the silent ones.

        Runs on one thread (the owner's accept thread). Silent connections wait
        in the selector; the first byte (or EOF) hands one to a thread.
        """
        self.socket.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(stop, selectors.EVENT_READ, "stop")
        selector.register(self._ended_r, selectors.EVENT_READ, "ended")
        selector.register(self.socket, selectors.EVENT_READ, "listen")
        listening, resume_at = True, None
        try:
            while True:
                now = time.monotonic()
                timeout = None
                if self._silent:
                    oldest = next(iter(self._silent.values()))[0]
                    timeout = max(0.0, oldest + self._silent_timeout() - now)
                if resume_at is not None:
                    timeout = max(0.0, min(timeout if timeout is not None else resume_at, resume_at) - now)
                ready = selector.select(timeout)
                accept = False
                for key, _ in ready:
                    if key.data == "stop":
                        return
                    if key.data == "ended":  # a connection ended, or went idle while one is parked
                        self._drain_ended()
                        if not listening and self._room_for_parked(selector):
                            listening, resume_at = True, None
                            selector.register(self.socket, selectors.EVENT_READ, "listen")
                    elif key.data == "listen":
                        accept = True
                    else:
                        self._first_byte(selector, key.fileobj)  # type: ignore[arg-type]
                if not listening and resume_at is not None and time.monotonic() >= resume_at:
                    listening, resume_at = True, None
                    selector.register(self.socket, selectors.EVENT_READ, "listen")
                if accept and listening:
                    pause = self._accept_some(selector)
                    if pause is not None:  # no room and nothing to shed: stop watching the socket for now
                        listening = False
                        resume_at = None if pause == 0 else time.monotonic() + pause
                        selector.unregister(self.socket)
                        self.pause_count += 1
                self._expire_silent(selector)
        finally:
            for sock in list(self._silent):
                self._close_silent(selector, sock)
            selector.close()

    def _silent_timeout(self) -> float:
        return min(self.header_timeout, self.socket_timeout)

    def _drain_ended(self) -> None:
        try:
            while self._ended_r.recv(4096):
                pass
        except OSError:
            pass

    def _open_count(self) -> int:
        with self._conn_lock:
            busy = sum(1 for state in self._conns.values() if not (state.shed or state.ended))
        return busy + len(self._silent)

    def _accept_some(self, selector: selectors.BaseSelector) -> float | None:
        """Accept up to ACCEPT_BATCH connections; a pause (0: until a connection ends) when there is no room."""
        for _ in range(ACCEPT_BATCH):
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as exc:
                if exc.errno not in _OUT_OF_DESCRIPTORS:
                    log.debug("accept failed: %r", exc)  # ECONNABORTED and the like: that client left
                    continue
                if self._shed_one(selector, "descriptors") == "silent":  # a descriptor is free again: retry
                    continue
                self._warn(f"out of file descriptors ({exc.strerror}): accepting pauses until a connection ends")
                return EMFILE_PAUSE
            if not self.verify_request(sock, address):
                self.shutdown_request(sock)
                continue
            try:
                selector.register(sock, selectors.EVENT_READ, "conn")
            except (OSError, ValueError):
                self.shutdown_request(sock)
                continue
            self._silent[sock] = (time.monotonic(), address)
            if self._open_count() <= self.max_connections:
                continue
            self._parked = sock  # first: a connection going idle from now on wakes the loop (note_idle)
            if self._shed_one(selector, "the connection cap", sock) is not None:
                self._parked = None
            else:
                # Every other connection is busy: this one waits, parked (not read), until a connection ends
                # or goes idle; so do the next ones, in the listen queue.
                selector.unregister(sock)
                self._warn(f"{self.max_connections} connections are busy (the server's max_connections): new "
                           f"connections wait until one ends")
                return 0
        return None

    def _room_for_parked(self, selector: selectors.BaseSelector) -> bool:
        """Serve the parked connection if there is room now (shedding an idle one if need be)."""
        sock = self._parked
        if sock is not None and sock in self._silent:
            if (self._open_count() > self.max_connections
                    and self._shed_one(selector, "the connection cap", sock) is None):
                return False
            selector.register(sock, selectors.EVENT_READ, "conn")
        self._parked = None
        return True

    def note_idle(self) -> None:
        """A connection thread now waits for its next request: wake the loop if a connection is parked."""
        if self._parked is not None:
            try:
                self._ended_w.send(b"i")
            except OSError:
                pass

    def _shed_one(self, selector: selectors.BaseSelector, why: str, spare: socket.socket | None = None
                  ) -> str | None:
        """Make room: close the oldest silent connection ("silent"), else shut down the oldest idle
        kept-alive one ("idle": its thread closes it soon); None when there is nothing to shed.
        ``spare``: a connection just accepted, never shed for itself."""
        oldest = next(iter(self._silent), None)
        if oldest is not None and oldest is not spare:
            sock = oldest
            self._close_silent(selector, sock)
            self.shed_count += 1
            log.debug("shed a silent connection (%s)", why)
            return "silent"
        with self._conn_lock:
            idle = [state for state in self._conns.values() if state.idle and not (state.shed or state.ended)]
            victim = min(idle, key=lambda state: state.accepted_at) if idle else None
            if victim is not None:
                victim.shed = True
        if victim is None:
            return None
        try:
            victim.sock.shutdown(socket.SHUT_RDWR)  # its thread sees EOF and ends
        except OSError:
            pass
        self.shed_count += 1
        log.debug("shed an idle kept-alive connection (%s)", why)
        return "idle"

    def _close_silent(self, selector: selectors.BaseSelector, sock: socket.socket) -> None:
        self._silent.pop(sock, None)
        try:
            selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        self.shutdown_request(sock)

    def _first_byte(self, selector: selectors.BaseSelector, sock: socket.socket) -> None:
        """A silent connection became readable: data (serve it on a thread) or EOF (close it)."""
        accepted_at, address = self._silent.pop(sock)
        selector.unregister(sock)
        try:
            sock.setblocking(False)
            peek = sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            peek = b"?"  # spurious wake-up: let the thread wait for the data
        except OSError:
            peek = b""
        if not peek:
            self.shutdown_request(sock)
            return
        sock.setblocking(True)
        try:
            self.process_request(sock, address, accepted_at)
        except Exception:  # no thread could be started (out of memory, too many threads)
            log.warning("could not start a thread for a connection from %s; closing it", address[0], exc_info=True)
            self.shutdown_request(sock)

    def _expire_silent(self, selector: selectors.BaseSelector) -> None:
        """Close the silent connections accepted more than ``header_timeout`` ago (oldest first)."""
        limit = time.monotonic() - self._silent_timeout()
        while self._silent:
            sock, (accepted_at, _) = next(iter(self._silent.items()))
            if accepted_at > limit:
                return
            self._close_silent(selector, sock)

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 60.0:  # at most one such line a minute
            self._last_warning = now
            log.warning("HTTP server: %s", message)

    def server_close(self) -> None:
        super().server_close()
        self._ended_r.close()
        self._ended_w.close()
