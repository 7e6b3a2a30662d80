#!/usr/bin/env python3
"""Tasks whose CPU-bound work runs in a process pool (``Server(task_executor=ProcessPoolExecutor(...))``).

    python examples/tasks_process_pool.py          # demo: a client in this process, the tools in 2 workers
    python examples/tasks_process_pool.py --stdio  # serve one client over stdio

A task-augmented ``tools/call`` sends the tool's function and its (validated,
converted) arguments to a worker process; the value comes back and becomes the
``CallToolResult`` here. So the tool must be a module-level function whose
arguments and value pickle, and it gets no Context: no progress, no
elicitation, no cancel signal in the worker. A tool that takes a Context still
runs normally when called without a task, and is refused as a task.

The pool is made under ``if __name__ == "__main__"`` with the ``spawn`` start
method: a server has threads, and forking a threaded process is unsafe; spawned
workers import this file again (as ``__mp_main__``), which must not start
anything.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Client, Context, McpError, Server


@dataclass
class PrimeCount:
    """How many primes lie below a bound, and which process counted them."""

    below: int
    count: int
    worker_pid: int


def count_primes(below: int) -> PrimeCount:
    """Count the primes below `below` (a sieve: CPU-bound, so it runs in a worker process as a task)."""
    if below < 2:
        raise ValueError("below must be at least 2")
    sieve = bytearray([1]) * below
    sieve[0:2] = b"\0\0"
    for n in range(2, math.isqrt(below - 1) + 1):
        if sieve[n]:
            sieve[n * n::n] = bytes(len(range(n * n, below, n)))
    return PrimeCount(below, sum(sieve), os.getpid())


def describe(text: str, ctx: Context) -> str:
    """Takes a Context: fine as a plain call, refused as a task on a process pool."""
    ctx.info(f"describing {text!r}")
    return f"{text!r} has {len(text)} characters"


def make_server(pool: ProcessPoolExecutor) -> Server:
    server = Server("process-pool-demo", version="1.0", task_executor=pool,
                    instructions="count_primes runs as a task in a worker process.")
    server.tool(task_support="optional")(count_primes)
    server.tool(task_support="optional")(describe)
    return server


def demo(server: Server) -> None:
    with Client.connect(server, protocol_version="2025-11-25") as client:
        print(f"connected to {client.server_info.name} (protocol {client.protocol_version})")
        tasks = [client.call_tool_as_task("count_primes", {"below": below})
                 for below in (10_000, 20_000, 30_000, 40_000)]
        results = [task.result(timeout=60).structured_content for task in tasks]
        print("four tasks at once:", [r["count"] for r in results])
        in_workers = all(r["worker_pid"] != os.getpid() for r in results)
        print("all counted in worker processes:", "yes" if in_workers else "NO")
        failing = client.call_tool_as_task("count_primes", {"below": 1})
        error = failing.result(timeout=60)
        print(f"a tool error: task {failing.status().status}: {error.content[0].text}")
        try:
            client.call_tool_as_task("describe", {"text": "hello"})
        except McpError as exc:
            print(f"a Context tool as a task: refused ({exc.code})")
        print("the same tool without a task:", client.call_tool("describe", {"text": "hello"}).content[0].text)


def main(argv: list[str]) -> None:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        server = make_server(pool)
        try:
            if "--stdio" in argv:
                server.run()
            else:
                demo(server)
        finally:
            server.close()  # before the pool shuts down: cancels what is still running


if __name__ == "__main__":
    main(sys.argv[1:])
