"""A load generator that speaks MCP's JSON-RPC directly (no SDK on this side).

Library (used by run.py and the smoke test) and command line:

  python benchmarks/loadgen.py stdio [--calls N] [--inflight K] -- CMD ARG...
  python benchmarks/loadgen.py http URL [--calls N]
  python benchmarks/loadgen.py spawn [--runs N] -- CMD ARG...
  python benchmarks/loadgen.py tasks [--tasks N] -- CMD ARG...

Every loop is bounded by a call count *and* a time limit, and a watchdog kills
a server that stops answering, so nothing here can hang. Results are plain
dicts (printed as JSON by the command line).

* stdio: spawn ``CMD``, ``initialize`` + ``notifications/initialized``, then
  sequential ``tools/call echo`` (latency p50/p99, calls/s) and a pipelined
  mode with K calls in flight (a writer thread; the reader matches ids).
* http: a raw-socket keep-alive client (reconnects when the server closes the
  connection, and counts how often), ``Mcp-Session-Id``, JSON or SSE answers.
* spawn: process start -> initialize result, best of N; RSS after initialize
  from /proc/PID/status.
* tasks: task-augmented ``tools/call`` + ``tasks/result`` throughput, RSS with
  N retained tasks, ``tasks/list`` page latency, and echo latency while the
  server reaps N expired tasks. Needs the ``tasks.requests.tools.call``
  capability; without it the result says ``available: False``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Generator, Iterator, Sequence
from urllib.parse import urlsplit

PROTOCOL_VERSION = "2025-11-25"
CLIENT_INFO = {"name": "mcp-sync-loadgen", "version": "1.0"}
#: Seconds a watchdog adds to a measurement's own time limit before killing the server.
WATCHDOG_GRACE = 30.0

perf = time.perf_counter
_dumps = json.JSONEncoder(separators=(",", ":")).encode


class LoadError(RuntimeError):
    """The server misbehaved (died, answered garbage, answered an error where none was expected)."""


# -- statistics ---------------------------------------------------------------

def _pct(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(latencies: Sequence[float], elapsed: float, errors: int = 0, **extra: Any) -> dict[str, Any]:
    """calls, errors, seconds, calls_per_s and p50/p99/max latency in ms."""
    ordered = sorted(latencies)
    return {
        "calls": len(ordered),
        "errors": errors,
        "seconds": round(elapsed, 4),
        "calls_per_s": len(ordered) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": _pct(ordered, 0.50) * 1e3,
        "p99_ms": _pct(ordered, 0.99) * 1e3,
        "max_ms": (ordered[-1] if ordered else float("nan")) * 1e3,
        **extra,
    }


def echo_ok(message: dict, text: str) -> bool:
    """Whether ``message`` is a successful echo result carrying ``text``."""
    try:
        result = message["result"]
        return not result.get("isError") and result["content"][0]["text"] == text
    except (KeyError, IndexError, TypeError, AttributeError):
        return False


def _request(request_id: Any, method: str, params: dict | None = None) -> dict:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def initialize_params() -> dict:
    return {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO}


def tasks_capable(init_result: dict | None) -> bool:
    """Whether the server declared task-augmented ``tools/call`` (2025-11-25 tasks capability)."""
    try:
        return init_result["capabilities"]["tasks"]["requests"]["tools"]["call"] is not None  # type: ignore[index]
    except (KeyError, TypeError):
        return False


# -- stdio ------------------------------------------------------------------------

class StdioPeer:
    """A spawned stdio server and the client end of its pipes."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr, env=env, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin
        self.readline = self.process.stdout.readline
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self.init_result: dict | None = None

    # plumbing
    def next_id(self) -> int:
        return next(self._ids)

    def write(self, data: bytes) -> None:
        with self._write_lock:
            try:
                self._in.write(data)
                self._in.flush()
            except (BrokenPipeError, ValueError, OSError) as exc:
                raise LoadError(f"cannot write to the server: {exc}; {self.describe_exit()}") from None

    def send(self, message: dict) -> None:
        self.write(_dumps(message).encode() + b"\n")

    def read(self) -> dict:
        line = self.readline()
        if not line:
            raise LoadError(f"the server closed its stdout; {self.describe_exit()}")
        return json.loads(line)

    def read_response(self, request_id: Any) -> dict:
        while True:
            message = self.read()
            if "method" not in message and message.get("id") == request_id:
                return message
            self.handle_other(message)

    def handle_other(self, message: dict) -> None:
        """A message that is not the awaited response: answer server requests, drop the rest."""
        if "method" in message and "id" in message:
            if message["method"] == "ping":
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": {}})
            else:
                self.send({"jsonrpc": "2.0", "id": message["id"],
                           "error": {"code": -32601, "message": "Method not found"}})

    def call(self, method: str, params: dict | None = None) -> dict:
        request_id = self.next_id()
        self.send(_request(request_id, method, params))
        message = self.read_response(request_id)
        if "error" in message:
            raise LoadError(f"{method} failed: {message['error']}")
        return message["result"]

    def initialize(self) -> dict:
        self.init_result = self.call("initialize", initialize_params())
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return self.init_result

    # process
    def rss_mb(self) -> float:
        """Resident set size of the server process, in MiB (VmRSS)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise LoadError("no VmRSS in /proc status")

    def stderr_tail(self, limit: int = 2000) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", "replace")[-limit:]
        except (OSError, ValueError):
            return ""

    def describe_exit(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        return f"server {self.argv[1:]} exit code {code}; stderr tail:\n{self.stderr_tail()}"

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()

    @contextlib.contextmanager
    def watchdog(self, seconds: float) -> Iterator[None]:
        """Kill the server if the block takes longer than ``seconds`` (a read then fails)."""
        timer = threading.Timer(seconds, self.kill)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._in.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError, ValueError):
            self.process.stdout.close()  # type: ignore[union-attr]
        self._stderr.close()

    def __enter__(self) -> "StdioPeer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


_ECHO_LINE = '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{"text":"%s"}}}\n'


def warm_up(peer: StdioPeer, calls: int) -> None:
    for i in range(calls):
        peer.call("tools/call", {"name": "echo", "arguments": {"text": f"w{i}"}})


def echo_sequential(peer: StdioPeer, calls: int, max_seconds: float = 10.0, warmup: int = 100) -> dict:
    """``calls`` echo calls one after another (stops early at ``max_seconds``)."""
    warm_up(peer, warmup)
    write, read_response, next_id = peer.write, peer.read_response, peer.next_id
    latencies: list[float] = []
    errors = 0
    start = perf()
    deadline = start + max_seconds
    with peer.watchdog(max_seconds + WATCHDOG_GRACE):
        for i in range(calls):
            request_id = next_id()
            text = f"m{i}"
            line = (_ECHO_LINE % (request_id, text)).encode()
            t0 = perf()
            write(line)
            message = read_response(request_id)
            t1 = perf()
            latencies.append(t1 - t0)
            if not echo_ok(message, text):
                errors += 1
            if t1 >= deadline:
                break
    return summarize(latencies, perf() - start, errors, mode="sequential", inflight=1)


# A job is a generator: it yields (method, params) requests one at a time and is
# sent each response message; it returns True when everything it got was right.
Job = Generator["tuple[str, dict]", dict, bool]


def run_pipelined(peer: StdioPeer, jobs: int, inflight: int, max_seconds: float,
                  make_job: Callable[[int], Job], *, mode: str = "pipelined") -> dict:
    """Run up to ``jobs`` jobs with at most ``inflight`` in progress at once.

    A writer thread starts jobs (bounded by ``inflight`` slots and ``max_seconds``);
    this thread reads responses, feeds each to its job and sends the job's next
    request. A ``ping`` sentinel after the last start tells the reader that no
    more jobs will come. Latency is per job (first request to last response).
    """
    slots = threading.Semaphore(inflight)
    pending: dict[Any, tuple[Job, float]] = {}
    started = [0]
    writer_error: list[BaseException] = []
    sentinel = "loadgen-end"
    start = perf()
    deadline = start + max_seconds

    def send_next(job: Job, first: tuple[str, dict], t_start: float) -> None:
        request_id = peer.next_id()
        pending[request_id] = (job, t_start)
        method, params = first
        peer.send(_request(request_id, method, params))

    def writer() -> None:
        try:
            for i in range(jobs):
                if perf() >= deadline or not slots.acquire(timeout=max_seconds + WATCHDOG_GRACE):
                    break
                job = make_job(i)
                started[0] += 1
                send_next(job, next(job), perf())
            peer.send(_request(sentinel, "ping"))
        except BaseException as exc:  # the reader would wait forever: end the server
            writer_error.append(exc)
            peer.kill()

    latencies: list[float] = []
    errors = 0
    sentinel_seen = False
    thread = threading.Thread(target=writer, name="loadgen-writer", daemon=True)
    with peer.watchdog(max_seconds + WATCHDOG_GRACE):
        thread.start()
        try:
            while not (sentinel_seen and len(latencies) == started[0]):
                message = peer.read()
                if "method" in message:
                    peer.handle_other(message)
                    continue
                request_id = message.get("id")
                if request_id == sentinel:
                    sentinel_seen = True
                    continue
                entry = pending.pop(request_id, None)
                if entry is None:
                    raise LoadError(f"response to an unknown id: {message!r:.200}")
                job, t_start = entry
                try:
                    follow_up = job.send(message)
                except StopIteration as done:
                    latencies.append(perf() - t_start)
                    if not done.value:
                        errors += 1
                    slots.release()
                else:
                    send_next(job, follow_up, t_start)
        finally:
            thread.join(5)
    if writer_error:
        raise LoadError(f"writer failed: {writer_error[0]!r}")
    return summarize(latencies, perf() - start, errors, mode=mode, inflight=inflight)


def echo_job(i: int) -> Job:
    text = f"p{i}"
    message = yield ("tools/call", {"name": "echo", "arguments": {"text": text}})
    return echo_ok(message, text)


def echo_pipelined(peer: StdioPeer, calls: int, inflight: int = 16, max_seconds: float = 10.0,
                   warmup: int = 100) -> dict:
    """``calls`` echo calls with ``inflight`` of them outstanding at any time."""
    warm_up(peer, warmup)
    return run_pipelined(peer, calls, inflight, max_seconds, echo_job)


def stdio_echo(argv: Sequence[str], *, calls: int, inflight: int = 16, max_seconds: float = 10.0,
               pipelined: bool = True, env: dict[str, str] | None = None, warmup: int = 100) -> dict:
    """Spawn, initialize, run the sequential (and pipelined) echo load; one server process."""
    with StdioPeer(argv, env=env) as peer:
        with peer.watchdog(60):
            init = peer.initialize()
        out: dict[str, Any] = {"server_info": init.get("serverInfo"),
                               "sequential": echo_sequential(peer, calls, max_seconds, warmup)}
        if pipelined:
            out["pipelined"] = echo_pipelined(peer, calls, inflight, max_seconds, warmup=0)
        return out


# -- spawn -> initialize, RSS -------------------------------------------------------

def spawn_initialize(argv: Sequence[str], runs: int, *, settle: float = 0.2,
                     env: dict[str, str] | None = None) -> dict:
    """Fresh process -> initialize result, ``runs`` times; RSS ``settle`` s after initialize."""
    times: list[float] = []
    rss: list[float] = []
    for _ in range(runs):
        t0 = perf()
        peer = StdioPeer(argv, env=env)
        try:
            with peer.watchdog(60):
                peer.initialize()
            times.append(perf() - t0)
            time.sleep(settle)
            rss.append(peer.rss_mb())
        finally:
            peer.close()
    return {"runs": runs, "best_ms": min(times) * 1e3, "median_ms": statistics.median(times) * 1e3,
            "rss_mb": statistics.median(rss), "rss_mb_min": min(rss)}


# -- HTTP ---------------------------------------------------------------------------

class RawHttpClient:
    """HTTP/1.1 over one socket at a time: keep-alive when the server allows it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.rfile: Any = None
        #: Connections opened so far (1 for a server that keeps connections alive).
        self.connections = 0

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.rfile = sock, sock.makefile("rb")
        self.connections += 1

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.rfile.close()
                self.sock.close()
        self.sock = self.rfile = None

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in (headers or {}).items()]
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (0, 1):
            reused = self.sock is not None
            if not reused:
                self._connect()
            try:
                self.sock.sendall(data)  # type: ignore[union-attr]
                status_line = self.rfile.readline(65537)
                if not status_line:
                    raise ConnectionResetError("connection closed before a response")
            except (ConnectionError, OSError):
                self.close()
                if reused and attempt == 0:
                    continue  # the server dropped an idle keep-alive connection: once more
                raise
            return self._read_response(status_line)
        raise AssertionError("unreachable")

    def _read_response(self, status_line: bytes) -> tuple[int, dict[str, str], bytes]:
        version, code, *_ = status_line.split(None, 2)
        headers: dict[str, str] = {}
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        close = "close" in connection or (version == b"HTTP/1.0" and "keep-alive" not in connection)
        if "content-length" in headers:
            body = self.rfile.read(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            body = b"".join(parts)
        else:  # delimited by the end of the connection (HTTP/1.0, SSE streams)
            body = self.rfile.read()
            close = True
        if close:
            self.close()
        return int(code), headers, body


def parse_sse(body: bytes) -> list[dict]:
    """The JSON messages carried by the ``data:`` fields of an SSE body (empty events skipped)."""
    messages, data = [], []
    for line in body.decode("utf-8").splitlines() + [""]:
        if not line:
            if data and "".join(data).strip():
                messages.append(json.loads("\n".join(data)))
            data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    return messages


class HttpPeer:
    """An MCP Streamable HTTP client session on a :class:`RawHttpClient`."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path or "/"
        self.http = RawHttpClient(parts.hostname or "127.0.0.1", parts.port or 80)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        self._ids = itertools.count(1)
        self.modes: dict[str, int] = {}
        self.init_result: dict | None = None

    def post(self, message: dict) -> tuple[int, list[dict]]:
        status, headers, body = self.http.request("POST", self.path, _dumps(message).encode(), self.headers)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if status == 202 or not body:
            return status, []
        if status >= 400 and content_type != "application/json":
            raise LoadError(f"HTTP {status}: {body[:200]!r}")
        if content_type == "text/event-stream":
            self.modes["sse"] = self.modes.get("sse", 0) + 1
            messages = parse_sse(body)
        else:
            self.modes["json"] = self.modes.get("json", 0) + 1
            parsed = json.loads(body)
            messages = parsed if isinstance(parsed, list) else [parsed]
        if "mcp-session-id" in headers:
            self.headers["Mcp-Session-Id"] = headers["mcp-session-id"]
        return status, messages

    def call_message(self, method: str, params: dict | None = None) -> dict:
        request_id = next(self._ids)
        status, messages = self.post(_request(request_id, method, params))
        for message in messages:
            if message.get("id") == request_id and "method" not in message:
                return message
        raise LoadError(f"HTTP {status}: no response to {method} in {messages!r:.300}")

    def call(self, method: str, params: dict | None = None) -> dict:
        message = self.call_message(method, params)
        if "error" in message:
            raise LoadError(f"{method} failed: {message['error']}")
        return message["result"]

    def initialize(self) -> dict:
        self.init_result = self.call("initialize", initialize_params())
        self.headers["MCP-Protocol-Version"] = self.init_result.get("protocolVersion", PROTOCOL_VERSION)
        status, _ = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        if status != 202:
            raise LoadError(f"notifications/initialized answered HTTP {status}, expected 202")
        return self.init_result

    @property
    def mode(self) -> str:
        return "+".join(sorted(self.modes)) or "none"

    def close(self) -> None:
        if "Mcp-Session-Id" in self.headers:
            with contextlib.suppress(OSError, ValueError):
                self.http.request("DELETE", self.path, b"", {"Mcp-Session-Id": self.headers["Mcp-Session-Id"]})
        self.http.close()


def http_echo(url: str, calls: int, max_seconds: float = 10.0, warmup: int = 50) -> dict:
    """Sequential echo calls over one client (keep-alive when the server allows it)."""
    peer = HttpPeer(url)
    try:
        init = peer.initialize()
        for i in range(warmup):
            peer.call("tools/call", {"name": "echo", "arguments": {"text": f"w{i}"}})
        opened_before = peer.http.connections
        peer.modes.clear()  # report the mode of the measured calls only
        latencies: list[float] = []
        errors = 0
        start = perf()
        deadline = start + max_seconds
        for i in range(calls):
            text = f"h{i}"
            t0 = perf()
            message = peer.call_message("tools/call", {"name": "echo", "arguments": {"text": text}})
            t1 = perf()
            latencies.append(t1 - t0)
            if not echo_ok(message, text):
                errors += 1
            if t1 >= deadline:
                break
        elapsed = perf() - start
        return summarize(latencies, elapsed, errors, mode="sequential", response_mode=peer.mode,
                         connections=peer.http.connections - opened_before,
                         server_info=init.get("serverInfo"))
    finally:
        peer.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def http_server(argv: Sequence[str], port: int, *, env: dict[str, str] | None = None,
                ready_timeout: float = 30.0) -> Iterator[subprocess.Popen]:
    """Start an HTTP server process, wait until 127.0.0.1:``port`` accepts, stop it after."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    try:
        give_up = perf() + ready_timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise LoadError(f"{argv[1:]} exited with {process.returncode}: {log.read()[-2000:]!r}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if perf() > give_up:
                    raise LoadError(f"{argv[1:]} did not listen on port {port} within {ready_timeout} s")
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# -- tasks ------------------------------------------------------------------------

def task_job(i: int, ttl_ms: Callable[[], int]) -> Job:
    """Create a task-augmented echo call, then fetch its result with tasks/result."""
    text = f"t{i}"
    message = yield ("tools/call", {"name": "echo", "arguments": {"text": text}, "task": {"ttl": ttl_ms()}})
    try:
        task_id = message["result"]["task"]["taskId"]
    except (KeyError, TypeError):
        return False
    message = yield ("tasks/result", {"taskId": task_id})
    return echo_ok(message, text)


def list_pages(peer: StdioPeer, pages: int) -> dict:
    """Walk up to ``pages`` pages of tasks/list; per-page round-trip latency."""
    latencies, seen, cursor = [], 0, None
    for _ in range(pages):
        t0 = perf()
        result = peer.call("tasks/list", {} if cursor is None else {"cursor": cursor})
        latencies.append(perf() - t0)
        seen += len(result.get("tasks", []))
        cursor = result.get("nextCursor")
        if cursor is None:
            break
    out = summarize(latencies, sum(latencies), pages=len(latencies), tasks_seen=seen)
    out.pop("calls_per_s")
    return out


def tasks_bench(argv: Sequence[str], tasks: int, *, inflight: int = 16, max_seconds: float = 90.0,
                pages: int = 1000, env: dict[str, str] | None = None) -> dict:
    """Throughput, retained memory, list latency (one server) and reaping (a second server)."""
    out: dict[str, Any] = {"available": False, "tasks": tasks}
    with StdioPeer(argv, env=env) as peer:
        with peer.watchdog(60):
            init = peer.initialize()
        if not tasks_capable(init):
            out["reason"] = "the server declares no tasks.requests.tools.call capability (task support not landed?)"
            return out
        out["available"] = True
        warm_up(peer, 50)
        rss_before = peer.rss_mb()
        throughput = run_pipelined(peer, tasks, inflight, max_seconds, lambda i: task_job(i, lambda: 3_600_000),
                                   mode="task create+result")
        out["throughput"] = throughput
        time.sleep(0.5)
        rss_after = peer.rss_mb()
        created = throughput["calls"]
        out["memory"] = {"retained": created, "rss_before_mb": rss_before, "rss_after_mb": rss_after,
                         "rss_for_requested_mb": rss_before + (rss_after - rss_before) * tasks / max(created, 1),
                         "extrapolated": created < tasks}
        with peer.watchdog(max_seconds + WATCHDOG_GRACE):
            out["list"] = list_pages(peer, pages)
            out["echo_with_table"] = echo_sequential(peer, 500, 5.0, warmup=0)
    rate = max(out["throughput"]["calls_per_s"], 1.0)
    with StdioPeer(argv, env=env) as peer:
        with peer.watchdog(60):
            peer.initialize()
        with peer.watchdog(2 * max_seconds + 120):
            out["reaping"] = _reaping(peer, tasks, inflight, max_seconds, rate)
    return out


#: Seconds after the common expiry that count as "while reaping". Reads treat expired tasks as gone at
#: once, so an empty tasks/list does not mean the reaper is done; removing 100,000 tasks takes the
#: reaper about 4 s on a 2-core machine, and the whole of it is measured.
REAP_WINDOW = 5.0


def _reaping(peer: StdioPeer, tasks: int, inflight: int, max_seconds: float, rate: float) -> dict:
    """Create ``tasks`` tasks whose TTLs all end at one instant; time echo calls around it."""
    warm_up(peer, 50)
    expected = min(tasks / rate, max_seconds)
    expire_at = perf() + expected * 1.3 + 2.0  # every task's deadline, give or take a write

    def ttl_ms() -> int:
        return max(1_000, int((expire_at - perf()) * 1000))

    created = run_pipelined(peer, tasks, inflight, max_seconds, lambda i: task_job(i, ttl_ms),
                            mode="task create+result")
    aligned = perf() < expire_at - 1.0
    samples: list[tuple[float, float]] = []  # (sent at, latency) of echo calls
    gone_at: float | None = None
    next_probe = perf()
    stop_at = expire_at + 30.0
    i = 0
    while True:
        now = perf()
        if now >= stop_at or (gone_at is not None and now >= max(gone_at, expire_at + REAP_WINDOW) + 0.3):
            break
        if now >= next_probe:  # is the table empty yet? (not counted as an echo sample)
            next_probe = now + 0.1
            if now >= expire_at and gone_at is None and not peer.call("tasks/list", {}).get("tasks"):
                gone_at = perf()
            continue
        text = f"r{i}"
        i += 1
        t0 = perf()
        message = peer.call("tools/call", {"name": "echo", "arguments": {"text": text}})
        samples.append((t0, perf() - t0))
        if message.get("content", [{}])[0].get("text") != text:
            raise LoadError(f"bad echo while reaping: {message!r:.200}")
    window_end = max(gone_at or stop_at, expire_at + REAP_WINDOW)
    normal = sorted(lat for t0, lat in samples if t0 < expire_at)
    during = sorted(lat for t0, lat in samples if expire_at <= t0 <= window_end)
    normal_p99, during_p99 = _pct(normal, 0.99), _pct(during, 0.99)
    return {
        "created": created["calls"], "create_errors": created["errors"], "expiry_aligned": aligned,
        "table_empty_after_ms": None if gone_at is None else (gone_at - expire_at) * 1e3,
        "normal_calls": len(normal), "normal_p50_ms": _pct(normal, 0.5) * 1e3, "normal_p99_ms": normal_p99 * 1e3,
        "reaping_calls": len(during), "reaping_p50_ms": _pct(during, 0.5) * 1e3,
        "reaping_p99_ms": during_p99 * 1e3, "reaping_max_ms": (during[-1] if during else float("nan")) * 1e3,
        "p99_ratio": during_p99 / normal_p99 if normal and during else float("nan"),
    }


# -- command line ----------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["stdio", "http", "spawn", "tasks"])
    parser.add_argument("url", nargs="?", help="http: the MCP endpoint URL")
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--inflight", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per measurement")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=10_000)
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.target = [args.url] if args.kind == "http" else command
    if not args.target or args.target == [None]:
        parser.error("give the server command after -- (or the URL for http)")
    if args.kind == "stdio":
        result = stdio_echo(args.target, calls=args.calls, inflight=args.inflight, max_seconds=args.seconds)
    elif args.kind == "http":
        result = http_echo(args.target[0], args.calls, args.seconds)
    elif args.kind == "spawn":
        result = spawn_initialize(args.target, args.runs)
    else:
        result = tasks_bench(args.target, args.tasks, inflight=args.inflight, max_seconds=args.seconds)
    json.dump(result, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()
