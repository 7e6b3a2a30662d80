"""Legacy HTTP sessions at scale: sessions opened per second, and the server's threads and RSS with
100 and 1,000 sessions open, without and with a GET stream each (issue #21).

  python benchmarks/sessions.py [--counts 100,1000] [--connections 4] [--json OUT]

Starts ``benchmarks/echo_server.py http PORT`` (the built-in server, a separate process), then for
each count N:

1. opens N legacy sessions (``initialize``, ``notifications/initialized``, one ``tools/call``)
   over ``--connections`` keep-alive connections, one thread each: sessions opened per second;
2. waits until the server's idle workers have left (``WORKER_IDLE_TIMEOUT``) and reads the server
   process's thread count and RSS from /proc: "idle";
3. opens one GET stream per session (one connection each; the WSGI floor is a thread per open
   stream) and reads them again: "streams";
4. deletes every session and closes every stream before the next count.

Prints one table and, last, one JSON line. Linux only (reads /proc). Every wait is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp_sync.session import WORKER_IDLE_TIMEOUT  # noqa: E402

VERSION = "2025-11-25"
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_figures(pid: int) -> dict[str, int]:
    """The server process's thread count and resident set (kB)."""
    figures: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Threads:"):
                figures["threads"] = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                figures["rss_kb"] = int(line.split()[1])
    return figures


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # the server process is starting: nothing to wait on but the port


def open_sessions(port: int, count: int) -> list[str]:
    """Open ``count`` legacy sessions on one keep-alive connection; their ids."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ids: list[str] = []
    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": VERSION, "capabilities": {},
                                  "clientInfo": {"name": "sessions-bench", "version": "1"}}})
    call = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": {"name": "echo", "arguments": {"text": "hi"}}})
    try:
        for _ in range(count):
            conn.request("POST", "/mcp", init, JSON_HEADERS)
            response = conn.getresponse()
            response.read()
            session_id = response.getheader("Mcp-Session-Id")
            if response.status != 200 or not session_id:
                raise RuntimeError(f"initialize failed: HTTP {response.status}")
            headers = dict(JSON_HEADERS, **{"Mcp-Session-Id": session_id, "MCP-Protocol-Version": VERSION})
            conn.request("POST", "/mcp", '{"jsonrpc":"2.0","method":"notifications/initialized"}', headers)
            conn.getresponse().read()
            conn.request("POST", "/mcp", call, headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"tools/call failed: HTTP {answer.status}")
            ids.append(session_id)
    finally:
        conn.close()
    return ids


def open_stream(port: int, session_id: str) -> socket.socket:
    """A GET stream for ``session_id``: the socket, once the response head arrived."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall((f"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                  f"Mcp-Session-Id: {session_id}\r\nMCP-Protocol-Version: {VERSION}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("the server closed a GET stream")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"GET stream refused: {head.splitlines()[0]!r}")
    return sock


def delete_sessions(port: int, ids: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for session_id in ids:
            conn.request("DELETE", "/mcp", headers={"Mcp-Session-Id": session_id,
                                                    "MCP-Protocol-Version": VERSION})
            conn.getresponse().read()
    finally:
        conn.close()


def settle(pid: int, floor: int) -> dict[str, int]:
    """The server's figures once its idle workers (and closers) have left: at most ``floor + 2`` threads."""
    deadline = time.monotonic() + WORKER_IDLE_TIMEOUT + 10.0
    figures = proc_figures(pid)
    while figures["threads"] > floor + 2 and time.monotonic() < deadline:
        time.sleep(0.25)  # another process: nothing to wait on but its /proc figures
        figures = proc_figures(pid)
    return figures


def measure(port: int, pid: int, count: int, connections: int, floor: int) -> dict[str, Any]:
    base = settle(pid, floor)
    per = [count // connections + (1 if i < count % connections else 0) for i in range(connections)]
    results: list[list[str]] = [[] for _ in per]
    errors: list[BaseException] = []

    def opener(index: int) -> None:
        try:
            results[index] = open_sessions(port, per[index])
        except BaseException as exc:  # reported below
            errors.append(exc)

    start = time.perf_counter()
    threads = [threading.Thread(target=opener, args=(i,), name=f"bench-opener-{i}") for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    ids = [session_id for chunk in results for session_id in chunk]
    busy = proc_figures(pid)
    # Idle workers leave WORKER_IDLE_TIMEOUT after their last work (a bounded wait on the server).
    idle = settle(pid, base["threads"])
    streams = [open_stream(port, session_id) for session_id in ids]
    with_streams = proc_figures(pid)
    for sock in streams:
        sock.close()
    delete_sessions(port, ids)
    return {
        "sessions": count,
        "sessions_per_s": round(count / elapsed, 1),
        "threads_before": base["threads"], "rss_kb_before": base["rss_kb"],
        "threads_busy": busy["threads"],
        "threads_idle": idle["threads"], "rss_kb_idle": idle["rss_kb"],
        "threads_streams": with_streams["threads"], "rss_kb_streams": with_streams["rss_kb"],
    }


def run(counts: list[int], connections: int = 4) -> dict[str, Any]:
    """Measure every count against one fresh server process; the summary (``rows`` under "sessions")."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "echo_server.py"), "http", str(port),
                               "--max-seconds", "600"], cwd=ROOT)
    rows: list[dict[str, Any]] = []
    try:
        wait_ready(port)
        floor = proc_figures(server.pid)["threads"]
        for count in counts:
            rows.append(measure(port, server.pid, count, max(1, min(connections, count)), floor))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {"sessions": rows, "worker_idle_timeout_s": WORKER_IDLE_TIMEOUT}


def table(summary: dict[str, Any]) -> str:
    """The rows of :func:`run` as a text table."""
    header = ("sessions", "opened/s", "threads: before", "idle", "with GET streams",
              "RSS MB: idle", "with GET streams")
    lines = [" | ".join(header)]
    for row in summary["sessions"]:
        lines.append(" | ".join(str(x) for x in (
            row["sessions"], row["sessions_per_s"], row["threads_before"], row["threads_idle"],
            row["threads_streams"], round(row["rss_kb_idle"] / 1024, 1), round(row["rss_kb_streams"] / 1024, 1))))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,1000", help="session counts, comma-separated")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections opening sessions")
    parser.add_argument("--json", metavar="OUT", help="also write the results to OUT")
    args = parser.parse_args(argv)
    summary = run([int(c) for c in args.counts.split(",") if c], args.connections)
    print(table(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
