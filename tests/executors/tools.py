"""Module-level tool functions for the executor tests: a process pool's workers import them by name.

Every function here runs in a worker process (or a dask worker); none takes a Context.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from mcp_sync import Context, McpError, Server


@dataclass
class Stats:
    """What :func:`stats` returns (structured content)."""

    count: int
    total: int
    pid: int


def square(x: int) -> int:
    """x squared, and in another process."""
    return x * x


def whoami() -> int:
    """The pid of the process the tool runs in."""
    return os.getpid()


def stats(values: list[int]) -> Stats:
    """Count and sum (a dataclass result: structured content built back in the server)."""
    return Stats(len(values), sum(values), os.getpid())


def crash(message: str) -> str:
    """Raise a plain exception in the worker."""
    raise ValueError(message)


def refuse(code: int) -> str:
    """Raise a JSON-RPC error in the worker."""
    raise McpError(code, f"refused with {code}", {"why": "asked to"})


def die() -> str:
    """Kill the worker process abruptly."""
    os._exit(13)


def unpicklable_result() -> str:
    """Return something that cannot be sent back."""
    return threading.Lock()  # type: ignore[return-value]


def gate(path: str) -> str:
    """Block (in the worker) on the FIFO at ``path`` until the test writes to it and closes it.

    A FIFO, because nothing else is shared between the test and a worker process:
    opening it blocks until the other end opens too (so the test knows the tool is
    running), reading blocks until the test closes its end. No polling.
    """
    with open(path, "rb") as fifo:
        data = fifo.read()
    return f"released with {data.decode()!r}"


def touch(path: str) -> str:
    """Create the file at ``path`` (evidence that the tool ran)."""
    with open(path, "w"):
        pass
    return path


def with_context(x: int, ctx: Context) -> str:
    """Takes a Context (cannot run in another process): sets the task's status message, names its task."""
    ctx.set_status_message(f"x is {x}")
    return f"x={x} task={ctx.task_id or 'none'}"


def build_server(executor, **options) -> Server:
    """A server whose tasks run on ``executor``, with every tool above (``task_support='optional'``)."""
    server = Server("executors-test", task_executor=executor, **options)
    for fn in (square, whoami, stats, crash, refuse, die, unpicklable_result, gate, touch, with_context):
        server.tool(task_support="optional")(fn)
    return server
