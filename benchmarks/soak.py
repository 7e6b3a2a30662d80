#!/usr/bin/env python3
"""A bounded load and soak run against ``examples/everything_server.py``, with correctness and leak checks.

    python benchmarks/soak.py --transport stdio --seconds 60 --clients 4
    python benchmarks/soak.py --transport http  --seconds 600 --clients 16 --json-out soak.json

``--clients`` clients (each on its own named thread and with its own MCP
session) run a mixed load until ``--seconds`` have passed: tool calls whose
results are checked, progress, logging, sampling (the server asks the client),
resource and prompt reads, cancellations, tool errors, SSE stream resumption
(HTTP: the server closes the stream, the client resumes it with
``Last-Event-ID``), reconnections (HTTP: a new session; stdio: a short-lived
extra server process, which must exit cleanly), and tasks when the server
offers a task-capable tool (detected from its capabilities and tool list).

    python benchmarks/soak.py --transport http --seconds 600 --clients 8 --store-outage 30

``--store-outage SECONDS`` (HTTP) keeps the server's SSE events in a private
``redis-server`` (``benchmarks/soak_server.py``) and kills that Redis for
SECONDS in the middle of the run, then starts it again on the same port: the
calls made meanwhile must still be answered exactly once, the server must say
once that events are not being stored and once that storing recovered, and its
log about the store must stay short (``--max-store-log-lines``).

Checks (any failure makes the exit status 1):

* **No lost or duplicated results.** Every client's transport is tapped: each
  request id sent must be answered exactly once (at most once when it was
  cancelled), no response may name an id never sent, and responses whose value
  follows from the request (echoed arguments, template ids, prompt arguments)
  must carry it.
* **No leaked threads or file descriptors** in the server process(es), read from
  ``/proc/PID`` (Linux): HTTP, after every client has gone, back to what the
  idle server had before the run (plus ``--thread-slack`` / ``--fd-slack``);
  stdio, at the end no more than after the warm-up.
* **Memory** (``VmRSS`` from ``/proc/PID/status``): growth between the end of
  the warm-up and the end of the run below ``--max-rss-growth-mb``.

Everything is bounded: the run stops by itself after ``--seconds`` (at most one
hour), every call has a 30 s timeout, and a watchdog kills the server if the
run overstays by a minute. No performance figure is asserted; throughput is
only reported.

The last line on stderr sums the run up: operations, requests lost and
duplicated, and the server's RSS and threads at the start (idle) and at the end
(every client gone).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import tempfile
import time
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mcp_sync import Client  # noqa: E402
from mcp_sync.errors import McpError  # noqa: E402
from mcp_sync.tasks.runner import DEFAULT_TASK_WORKERS  # noqa: E402

SERVER = ROOT / "examples" / "everything_server.py"
REDIS_SERVER = ROOT / "benchmarks" / "soak_server.py"
#: soak_server.py's Redis connection pool (descriptors the server may keep once events were stored).
REDIS_POOL = 4
CALL_TIMEOUT = 30.0
MAX_SECONDS = 3600
MAX_CLIENTS = 64
WATCHDOG_GRACE = 60.0
ECHO_TOOL = "json_schema_2020_12_tool"
TEMPLATE = re.compile(r"^test://template/(.+)/data$")


# -- the server process -----------------------------------------------------------------------------

def proc_stats(pid: int) -> dict[str, int] | None:
    """Threads, open file descriptors and resident memory (bytes) of a process, from /proc; None elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"threads": int(fields["Threads"]), "fds": fds, "rss": int(fields["VmRSS"].split()[0]) * 1024}


class RedisProcess:
    """A private ``redis-server`` on 127.0.0.1 (no persistence), which can be killed and started again."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix="mcp-sync-soak-redis-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.proc: subprocess.Popen[str] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                 self.directory, "--save", "", "--appendonly", "no", "--logfile", ""],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # until redis says it is ready (or exits)
            lines.append(line)
            if "Ready to accept connections" in line:
                break
        else:
            proc.wait()
            raise RuntimeError("redis-server did not start:\n" + "".join(lines[-5:]))
        self.proc = proc
        self._drain = threading.Thread(target=proc.stdout.read, name="soak-redis-stdout", daemon=True)
        self._drain.start()

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            self._drain.join(10)
            proc.stdout.close()  # type: ignore[union-attr]

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


class HttpServerProcess:
    """``everything_server.py --port 0``: started, its URL read from stderr, stopped with SIGTERM.

    With ``redis_url``, ``soak_server.py`` serves the same server with its SSE events in that Redis.
    """

    def __init__(self, redis_url: str | None = None) -> None:
        command = ([sys.executable, str(SERVER), "--port", "0"] if redis_url is None
                   else [sys.executable, str(REDIS_SERVER), "--port", "0", "--redis", redis_url])
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        self.tail: collections.deque[str] = collections.deque(maxlen=50)
        #: Lines of the server's stderr about its event store, and all lines.
        self.store_lines: list[str] = []
        self.lines = 0
        self.url: str | None = None
        self._ready = threading.Event()
        self._pump = threading.Thread(target=self._read_stderr, name="soak-server-stderr", daemon=True)
        self._pump.start()
        if not self._ready.wait(30) or self.url is None:
            self.stop()
            raise RuntimeError("the HTTP server did not start:\n" + "\n".join(self.tail))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self.tail.append(line)
            self.lines += 1
            if "event store" in line and len(self.store_lines) < 1000:
                self.store_lines.append(line)
            match = re.search(r"listening on (\S+)", line)
            if match and self.url is None:
                self.url = match.group(1)
                self._ready.set()
        self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._pump.join(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return self.proc.returncode


# -- the wire ledger ----------------------------------------------------------------------------------

def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def expectation(method: str, params: Any) -> str | None:
    """A string the result of this request must contain, when the request determines one."""
    if not isinstance(params, dict):
        return None
    if method == "tools/call" and params.get("name") == ECHO_TOOL:
        return "Received: " + json.dumps(params.get("arguments") or {}, sort_keys=True)
    if method == "resources/read":
        match = TEMPLATE.match(str(params.get("uri", "")))
        return f"Data for ID: {match.group(1)}" if match else None
    if method == "prompts/get" and params.get("name") == "test_prompt_with_arguments":
        return f"arg1='{(params.get('arguments') or {}).get('arg1')}'"
    return None


class Ledger:
    """Every request a client sent and every response it received, tapped at its transport."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self.sent: dict[Any, tuple[str, str | None]] = {}
        self.answers: collections.Counter[Any] = collections.Counter()
        self.cancelled: set[Any] = set()
        self.problems: list[str] = []
        #: Responses beyond the first for one request id.
        self.duplicated = 0

    def tap(self, transport: Any) -> None:
        send, receive = transport.send, transport.receive

        def tapped_send(message: Any, related_id: Any = None) -> None:
            self.on_send(message)
            send(message, related_id)

        def tapped_receive() -> Any:
            frame = receive()
            if isinstance(frame, (str, bytes)):
                self.on_receive(frame)
            return frame

        transport.send = tapped_send
        transport.receive = tapped_receive

    def on_send(self, message: Any) -> None:
        if not isinstance(message, dict):
            return
        method = message.get("method")
        with self._lock:
            if method is not None and "id" in message:
                if message["id"] in self.sent:
                    self.problems.append(f"{self.name}: request id {message['id']!r} sent twice")
                self.sent[message["id"]] = (method, expectation(method, message.get("params")))
            elif method == "notifications/cancelled":
                self.cancelled.add((message.get("params") or {}).get("requestId"))

    def on_receive(self, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
        except ValueError:
            with self._lock:
                self.problems.append(f"{self.name}: unparseable frame {frame[:100]!r}")
            return
        for item in message if isinstance(message, list) else [message]:
            if not isinstance(item, dict) or "method" in item or "id" not in item:
                continue  # requests and notifications from the server
            rid = item["id"]
            with self._lock:
                self.answers[rid] += 1
                sent = self.sent.get(rid)
                if sent is None:
                    self.problems.append(f"{self.name}: a response for id {rid!r}, which was never sent")
                elif self.answers[rid] > 1:
                    self.duplicated += 1
                    self.problems.append(f"{self.name}: request {rid!r} ({sent[0]}) answered twice")
                elif sent[1] is not None and "result" in item:
                    if not any(sent[1] in s for s in _strings(item["result"])):
                        self.problems.append(f"{self.name}: request {rid!r} ({sent[0]}) answered with the wrong "
                                             f"value: wanted {sent[1]!r}")

    def verify(self) -> list[str]:
        """Call once the client is closed: every request answered exactly once (cancelled: at most once)."""
        with self._lock:
            problems = list(self.problems)
            for rid, (method, _) in self.sent.items():
                count = self.answers[rid]
                if rid in self.cancelled:
                    continue  # answered at most once (checked as responses came)
                if count == 0:
                    problems.append(f"{self.name}: request {rid!r} ({method}) was never answered")
            return problems

    @property
    def requests(self) -> int:
        return len(self.sent)

    @property
    def lost(self) -> int:
        """Requests (not cancelled) never answered: call once the client is closed."""
        with self._lock:
            return sum(1 for rid in self.sent if rid not in self.cancelled and not self.answers[rid])


# -- the load ------------------------------------------------------------------------------------------

class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ops: collections.Counter[str] = collections.Counter()
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.failures: list[str] = []

    def count(self, op: str, outcome: str = "ok") -> None:
        with self._lock:
            self.ops[op] += 1
            if outcome != "ok":
                self.outcomes[f"{op}:{outcome}"] += 1

    def fail(self, message: str) -> None:
        with self._lock:
            if len(self.failures) < 50:
                self.failures.append(message)


def _sampling(params: Any) -> dict:
    text = params.messages[0].content.text
    return {"role": "assistant", "content": {"type": "text", "text": text[::-1]}, "model": "soak"}


class Worker:
    """One client's life: connect, run random operations until the deadline, close; every check recorded."""

    def __init__(self, index: int, run: "Soak") -> None:
        self.index = index
        self.run = run
        self.rng = random.Random(run.seed * 1000 + index)
        self.ledgers: list[Ledger] = []
        self.client: Client | None = None
        self.pids: list[int] = []
        self.warm: dict[str, int] | None = None
        self.end: dict[str, int] | None = None
        self.task_tool: str | None = None
        self.thread = threading.Thread(target=self._main, name=f"soak-client-{index}", daemon=True)

    # connections

    def _connect(self, transport_kind: str | None = None) -> tuple[Client, Ledger]:
        kind = transport_kind or self.run.transport
        ledger = Ledger(f"client-{self.index}.{len(self.ledgers)}")
        options: dict[str, Any] = dict(timeout=CALL_TIMEOUT, protocol=self.run.protocol, sampling=_sampling,
                                       on_log=lambda params: None)
        if kind == "http":
            client = Client.http(self.run.url, **options)
        else:
            client = Client.stdio([sys.executable, str(SERVER), "--stdio"], cwd=str(ROOT), stderr=None, **options)
        ledger.tap(client.transport)
        self.ledgers.append(ledger)
        client.open()
        return client, ledger

    def _main(self) -> None:
        run = self.run
        try:
            self.client, _ = self._connect()
            if run.transport == "stdio":
                self.pids.append(self.client.transport.process.pid)
            self._find_task_tool()
            while time.monotonic() < run.deadline:
                op = self.rng.choices(run.op_names, run.op_weights)[0]
                if op == "task" and self.task_tool is None:
                    op = "echo"
                try:
                    outcome = getattr(self, "op_" + op)()
                except Exception as exc:  # noqa: BLE001 - every surprise is a failure to report
                    run.stats.count(op, "failed")
                    run.stats.fail(f"client {self.index} {op}: {type(exc).__name__}: {exc}")
                else:
                    run.stats.count(op, outcome or "ok")
        except Exception as exc:  # noqa: BLE001
            run.stats.fail(f"client {self.index} could not run: {type(exc).__name__}: {exc}")
        finally:
            if run.transport == "stdio" and self.client is not None and self.pids:
                self.end = proc_stats(self.pids[0])
            if self.client is not None:
                self.client.close()

    def _find_task_tool(self) -> None:
        client = self.client
        assert client is not None
        caps = client.server_capabilities
        tasks = getattr(caps, "tasks", None)
        if tasks is None:
            return
        for tool in client.list_tools():
            execution = getattr(tool, "execution", None)
            support = getattr(execution, "task_support", None) if execution is not None else None
            required = (tool.input_schema or {}).get("required") if isinstance(tool.input_schema, dict) else None
            if support in ("optional", "required") and not required:
                self.task_tool = tool.name
                return

    # operations (each returns None for "ok", or another outcome name; raises on a failure)

    def _token(self) -> str:
        return f"c{self.index}-{self.rng.getrandbits(48):012x}"

    def op_echo(self) -> None:
        args = {"name": self._token(), "email": "soak@example.com"}
        result = self.client.call_tool(ECHO_TOOL, args)  # type: ignore[union-attr]
        expected = "Received: " + json.dumps(args, sort_keys=True)
        assert not result.is_error and result.content[0].text == expected, result

    def op_progress(self) -> None:
        seen: list[float] = []
        result = self.client.call_tool("test_tool_with_progress", {},  # type: ignore[union-attr]
                                       progress=lambda p, total, message: seen.append(p))
        assert result.content[0].text == "Tool with progress executed successfully", result
        assert seen == [0, 50, 100], seen

    def op_logging(self) -> None:
        result = self.client.call_tool("test_tool_with_logging", {})  # type: ignore[union-attr]
        assert result.content[0].text == "Tool with logging executed successfully", result

    def op_sampling(self) -> None:
        token = self._token()
        result = self.client.call_tool("test_sampling", {"prompt": token})  # type: ignore[union-attr]
        assert result.content[0].text == f"LLM response: {token[::-1]}", result

    def op_resource(self) -> None:
        token = self._token()
        result = self.client.read_resource(f"test://template/{token}/data")  # type: ignore[union-attr]
        assert json.loads(result.contents[0].text)["id"] == token, result

    def op_prompt(self) -> None:
        a, b = self._token(), self._token()
        result = self.client.get_prompt("test_prompt_with_arguments", {"arg1": a, "arg2": b})  # type: ignore
        assert result.messages[0].content.text == f"Prompt with arguments: arg1='{a}', arg2='{b}'", result

    def op_error(self) -> None:
        result = self.client.call_tool("test_error_handling", {})  # type: ignore[union-attr]
        assert result.is_error and "intentionally returns an error" in result.content[0].text, result
        assert "Traceback" not in result.content[0].text

    def op_cancel(self) -> str:
        future = self.client.nowait.call_tool("test_tool_with_logging", {})  # type: ignore[union-attr]
        time.sleep(self.rng.uniform(0.0, 0.15))  # the tool takes 0.1 s: either outcome
        cancelled = future.cancel()
        try:
            result = future.result(CALL_TIMEOUT)
        except CancelledError:
            assert cancelled
            return "cancelled"
        assert result.content[0].text == "Tool with logging executed successfully", result
        return "completed first"

    def op_resume(self) -> None:
        result = self.client.call_tool("test_reconnection", {})  # type: ignore[union-attr]
        assert result.content[0].text == "Reconnection test completed", result

    def op_reconnect(self) -> None:
        if self.run.transport == "http":  # a new session, the old one DELETEd
            old = self.client
            self.client, _ = self._connect()
            old.close()  # type: ignore[union-attr]
            self.op_echo()
            return
        client, _ = self._connect("stdio")  # a short-lived extra server process
        process = client.transport.process
        try:
            result = client.call_tool(ECHO_TOOL, {"name": "short-lived", "email": "x@example.com"})
            assert not result.is_error, result
        finally:
            client.close()
        # a clean exit on stdin EOF, not the SIGTERM (-15) close() sends to a server that hangs
        assert process.returncode == 0, f"the server process exited with {process.returncode}"

    def op_task(self) -> None:
        task = self.client.call_tool_as_task(self.task_tool, {})  # type: ignore[union-attr, arg-type]
        result = task.result(CALL_TIMEOUT)
        assert result is not None


OPS = {"echo": 4, "progress": 1, "logging": 1, "sampling": 1, "resource": 1, "prompt": 1, "error": 1,
       "cancel": 1, "resume": 0.3, "reconnect": 0.5, "task": 1}


class Soak:
    def __init__(self, transport: str, seconds: float, clients: int, *, seed: int = 1, protocol: str = "legacy",
                 max_rss_growth_mb: float = 32.0, thread_slack: int = 3, fd_slack: int = 4,
                 store_outage: float = 0.0, max_store_log_lines: int = 40,
                 log: Callable[[str], None] = lambda line: None) -> None:
        if transport not in ("stdio", "http"):
            raise ValueError("transport must be 'stdio' or 'http'")
        if store_outage and (transport != "http" or not 0 < store_outage <= seconds / 2):
            raise ValueError("store_outage needs the http transport and must be at most half the run")
        self.store_outage = store_outage
        self.max_store_log_lines = max_store_log_lines
        if not 0 < seconds <= MAX_SECONDS or not 0 < clients <= MAX_CLIENTS:
            raise ValueError(f"seconds must be in (0, {MAX_SECONDS}] and clients in [1, {MAX_CLIENTS}]")
        self.transport = transport
        self.seconds = seconds
        self.clients = clients
        self.seed = seed
        self.protocol = protocol
        self.max_rss_growth = max_rss_growth_mb * 1024 * 1024
        self.thread_slack = thread_slack
        self.fd_slack = fd_slack
        self.log = log
        self.stats = Stats()
        self.url: str | None = None
        ops = {k: v for k, v in OPS.items() if not (k == "resume" and transport == "stdio")}
        self.op_names, self.op_weights = list(ops), list(ops.values())
        self.deadline = 0.0

    def run(self) -> dict[str, Any]:
        report: dict[str, Any] = {"transport": self.transport, "seconds": self.seconds, "clients": self.clients,
                                  "seed": self.seed}
        redis = None
        if self.store_outage:
            binary = shutil.which("redis-server")
            if binary is None:
                raise RuntimeError("--store-outage needs redis-server on PATH")
            redis = RedisProcess(binary)
        try:
            server = HttpServerProcess(redis.url if redis is not None else None) if self.transport == "http" else None
        except BaseException:
            if redis is not None:
                redis.close()
            raise
        watchdog_stop = threading.Event()
        outage = threading.Thread(target=self._outage, args=(redis, watchdog_stop, report), name="soak-outage",
                                  daemon=True)
        watchdog = threading.Thread(target=self._watchdog, args=(server, watchdog_stop), name="soak-watchdog",
                                    daemon=True)
        workers: list[Worker] = []
        started = time.monotonic()
        try:
            watchdog.start()
            if server is not None:
                self.url = server.url
                time.sleep(0.2)
                report["server_idle"] = proc_stats(server.pid)
            self.deadline = time.monotonic() + self.seconds
            workers = [Worker(i, self) for i in range(self.clients)]
            for worker in workers:
                worker.thread.start()
            if redis is not None:
                outage.start()
            warm_at = started + min(5.0, self.seconds / 4)
            time.sleep(max(0.0, warm_at - time.monotonic()))
            if server is not None:
                report["server_warm"] = proc_stats(server.pid)
            else:
                for worker in workers:
                    worker.warm = proc_stats(worker.pids[0]) if worker.pids else None
            for worker in workers:
                worker.thread.join(max(1.0, self.deadline - time.monotonic() + CALL_TIMEOUT + 30))
                if worker.thread.is_alive():
                    self.stats.fail(f"client {worker.index} did not stop by itself")
            if server is not None:
                report["server_end"] = self._settle(server.pid, report.get("server_idle"),
                                                     self._task_pool(workers))
                report["server_exit_code"] = server.stop()
                if report["server_exit_code"] != 0:
                    self.stats.fail(f"the HTTP server exited with {report['server_exit_code']} on SIGTERM")
        finally:
            watchdog_stop.set()
            watchdog.join()
            if outage.is_alive() or outage.ident is not None:
                outage.join()
            if server is not None:
                server.stop()
            if redis is not None:
                redis.close()
        elapsed = time.monotonic() - started
        problems = [p for w in workers for ledger in w.ledgers for p in ledger.verify()]
        report["requests"] = sum(ledger.requests for w in workers for ledger in w.ledgers)
        report["requests_per_second"] = round(report["requests"] / elapsed, 1)
        report["ops"] = dict(self.stats.ops)
        report["outcomes"] = dict(self.stats.outcomes)
        report["tasks"] = "exercised" if any(w.task_tool for w in workers) else "not offered by the server"
        report["wire_problems"] = problems[:50]
        report["operations"] = sum(self.stats.ops.values())
        report["lost"] = sum(ledger.lost for w in workers for ledger in w.ledgers)
        report["duplicated"] = sum(ledger.duplicated for w in workers for ledger in w.ledgers)
        failures = list(self.stats.failures) + problems
        if server is not None and redis is not None:
            failures += self._store_log(report, server)
        failures += self._leaks(report, workers)
        report["failures"] = failures
        report["ok"] = not failures and sum(self.stats.ops.values()) > 0
        return report

    def _outage(self, redis: RedisProcess | None, stop: threading.Event, report: dict[str, Any]) -> None:
        """Kill the event store's Redis for ``store_outage`` seconds around the middle of the run."""
        if redis is None:
            return
        begin = self.seconds / 2 - self.store_outage / 2
        if stop.wait(max(0.0, self.deadline - self.seconds + begin - time.monotonic())):
            return
        redis.kill()
        self.log(f"event store down for {self.store_outage} s")
        stopped = stop.wait(self.store_outage)
        redis.start()
        report["store_outage"] = {"began_at_s": round(begin, 1), "seconds": self.store_outage,
                                  "cut_short": stopped}

    def _store_log(self, report: dict[str, Any], server: HttpServerProcess) -> list[str]:
        """The server said once that events were not stored, once that they were again, and little else."""
        lines = server.store_lines
        report["store_log_lines"] = len(lines)
        report["server_log_lines"] = server.lines
        failures = []
        if "store_outage" not in report:
            return ["the event-store outage did not happen (the run ended first)"]
        if sum("NOT being stored" in line for line in lines) != 1:
            failures.append("the server did not say exactly once that events were not being stored: "
                            f"{lines[:5]}")
        if sum("recovered" in line for line in lines) < 1:
            failures.append(f"the server did not say that storing events recovered: {lines[-5:]}")
        if len(lines) > self.max_store_log_lines:
            failures.append(f"the server logged {len(lines)} lines about its event store "
                            f"(at most {self.max_store_log_lines} expected)")
        return failures

    def _watchdog(self, server: HttpServerProcess | None, stop: threading.Event) -> None:
        if not stop.wait(self.seconds + CALL_TIMEOUT + WATCHDOG_GRACE):
            self.stats.fail("the run overstayed its time limit: the watchdog killed the server")
            if server is not None:
                server.proc.kill()

    @staticmethod
    def _task_pool(workers: list[Worker]) -> int:
        """Threads the server's task runner may keep once tasks ran (its bounded pool, shut down with it)."""
        return DEFAULT_TASK_WORKERS if any(w.task_tool for w in workers) else 0

    def _settle(self, pid: int, idle: dict[str, int] | None, pool: int = 0) -> dict[str, int] | None:
        fd_pool = REDIS_POOL if self.store_outage else 0
        """The server's figures once every client has gone (waiting up to 15 s for threads to wind down)."""
        deadline = time.monotonic() + 15.0
        while True:
            stats = proc_stats(pid)
            if stats is None or idle is None or time.monotonic() > deadline:
                return stats
            if (stats["threads"] <= idle["threads"] + self.thread_slack + pool
                    and stats["fds"] <= idle["fds"] + self.fd_slack + fd_pool):
                return stats
            time.sleep(0.25)

    def _leaks(self, report: dict[str, Any], workers: list[Worker]) -> list[str]:
        failures = []
        if self.transport == "http":
            idle, warm, end = report.get("server_idle"), report.get("server_warm"), report.get("server_end")
            if idle is None or warm is None or end is None:
                report["leak_checks"] = "skipped: /proc is not available"
                return failures
            # The server's task runner keeps a bounded thread pool (at most DEFAULT_TASK_WORKERS threads, shut
            # down with the server) once tasks have run: those may stay; anything beyond them is a leak.
            pool = self._task_pool(workers)
            if end["threads"] > idle["threads"] + self.thread_slack + pool:
                failures.append(f"server threads: {idle['threads']} idle before the run, {end['threads']} after it"
                                + (f" (at most {pool} of them the task runner's pool)" if pool else ""))
            redis_pool = REDIS_POOL if self.store_outage else 0  # the event store's Redis connections
            if end["fds"] > idle["fds"] + self.fd_slack + redis_pool:
                failures.append(f"server file descriptors: {idle['fds']} idle before the run, {end['fds']} after it"
                                + (f" (at most {redis_pool} of them the event store's Redis pool)"
                                   if redis_pool else ""))
            growth = end["rss"] - warm["rss"]
            report["rss_growth_mb"] = round(growth / 2**20, 1)
            if growth > self.max_rss_growth:
                failures.append(f"server memory grew {growth / 2**20:.1f} MiB after the warm-up")
            return failures
        growths = []
        for worker in workers:
            warm, end = worker.warm, worker.end
            if warm is None or end is None:
                continue
            growths.append(end["rss"] - warm["rss"])
            if end["fds"] > warm["fds"] + 2:
                failures.append(f"client {worker.index}'s server: fds {warm['fds']} after warm-up, {end['fds']} at end")
            # the handler pool grows on demand up to Server(max_workers=16): more than that is a leak
            if end["threads"] > warm["threads"] + 16:
                failures.append(f"client {worker.index}'s server: threads {warm['threads']} -> {end['threads']}")
            if end["rss"] - warm["rss"] > self.max_rss_growth:
                grown = (end["rss"] - warm["rss"]) / 2**20
                failures.append(f"client {worker.index}'s server memory grew {grown:.1f} MiB")
        report["stdio_servers"] = [{"warm": w.warm, "end": w.end} for w in workers]
        if growths:
            report["rss_growth_mb"] = round(max(growths) / 2**20, 1)
        else:
            report["leak_checks"] = "skipped: /proc is not available"
        return failures


def summary(report: dict[str, Any]) -> str:
    """One line: operations, lost, duplicated, and the server's RSS and threads at start and end."""
    line = (f"soak: {report.get('operations', 0)} operations ({report.get('requests', 0)} requests) in "
            f"{report['seconds']:g} s, lost {report.get('lost', '?')}, duplicated {report.get('duplicated', '?')}")
    start, end = report.get("server_idle"), report.get("server_end")
    if start and end:
        line += (f"; server RSS {start['rss'] / 2**20:.1f} -> {end['rss'] / 2**20:.1f} MiB, threads "
                 f"{start['threads']} -> {end['threads']}")
    if "store_outage" in report:
        line += (f"; event store down {report['store_outage']['seconds']:g} s, "
                 f"{report.get('store_log_lines', '?')} log lines about it")
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["stdio", "http"], required=True)
    parser.add_argument("--seconds", type=float, default=30.0, help=f"length of the run (at most {MAX_SECONDS})")
    parser.add_argument("--clients", type=int, default=4, help=f"concurrent clients (at most {MAX_CLIENTS})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--protocol", default="legacy", help="the clients' protocol= (legacy, auto, ...)")
    parser.add_argument("--max-rss-growth-mb", type=float, default=32.0)
    parser.add_argument("--thread-slack", type=int, default=3)
    parser.add_argument("--fd-slack", type=int, default=4)
    parser.add_argument("--store-outage", type=float, default=0.0, metavar="SECONDS",
                        help="http: events in a private Redis, killed for SECONDS in the middle of the run")
    parser.add_argument("--max-store-log-lines", type=int, default=40,
                        help="the most lines the server may log about its event store during the run")
    parser.add_argument("--json-out", help="also write the report here")
    args = parser.parse_args(argv)
    soak = Soak(args.transport, args.seconds, args.clients, seed=args.seed, protocol=args.protocol,
                max_rss_growth_mb=args.max_rss_growth_mb, thread_slack=args.thread_slack, fd_slack=args.fd_slack,
                store_outage=args.store_outage, max_store_log_lines=args.max_store_log_lines)
    report = soak.run()
    text = json.dumps(report, indent=2, sort_keys=True)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    print(summary(report), file=sys.stderr)
    print("soak: " + ("PASS" if report["ok"] else "FAIL"), file=sys.stderr)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
