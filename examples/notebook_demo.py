#!/usr/bin/env python3
"""The notebook flow, run as a Jupyter kernel would run it.

In Jupyter you would type the body of :func:`notebook_cells` into cells. This
script runs the same code without Jupyter, in a simulated kernel:

* ``sys.stdout`` and ``sys.stderr`` are kernel streams without ``fileno()``;
* the cells run on the thread of an asyncio event loop that is already
  running (as ipykernel runs cells), so anything needing ``asyncio.run`` would
  fail here -- the client never does;
* ``IPython.display`` is a small stand-in that records what would be shown.

    python examples/notebook_demo.py

It prints what the notebook would have displayed, then ``notebook demo: ok``.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import types
from typing import Any

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quickstart_server.py")


# -- the notebook ------------------------------------------------------------------------


def notebook_cells() -> None:
    """What a user types into a notebook, cell after cell."""
    # In [1]:
    from mcp_sync import Client
    from mcp_sync.notebook import ProgressDisplay, in_notebook, wait_with_progress

    # The server's stderr lines go to the cell output (the kernel stream has no fileno(); write() is enough).
    # (The tiny wrapper only makes the server say hello on stderr first.)
    command = [sys.executable, "-c",
               "import runpy, sys; print('quickstart server starting', file=sys.stderr, flush=True); "
               f"runpy.run_path({SERVER!r}, run_name='__main__')"]
    client = Client.stdio(command)
    client.open()
    print("in a notebook:", in_notebook())
    print("tools:", [tool.name for tool in client.list_tools()])

    # In [2]: a blocking call, as in any script
    print("add:", client.call_tool("add", {"a": 20, "b": 22}).structured_content)

    # In [3]: a progress bar that updates in place while the call runs
    with ProgressDisplay("countdown") as bar:
        result = client.call_tool("countdown", {"start": 4, "delay": 0.05}, progress=bar)
    print("countdown:", result.content[0].text, f"({bar.updates} progress updates)")

    # In [4]: start the call, keep working, then wait with a display
    bar = ProgressDisplay("countdown (future)")
    future = client.nowait.call_tool("countdown", {"start": 3, "delay": 0.05}, progress=bar)
    print("future:", wait_with_progress(future, display=bar).content[0].text)

    # In [5]: or let wait_with_progress start the call and feed its bar
    result = wait_with_progress(lambda progress: client.nowait.call_tool(
        "countdown", {"start": 3, "delay": 0.05}, progress=progress), "countdown (callable)")
    print("callable:", result.content[0].text)

    # In [6]: a call that takes too long is cancelled on the server
    try:
        wait_with_progress(lambda progress: client.nowait.call_tool(
            "countdown", {"start": 50, "delay": 0.1}, progress=progress), "too slow", timeout=0.5)
    except TimeoutError as exc:
        print("timeout:", exc)

    # In [7]: the client still works after a cancellation
    print("add again:", client.call_tool("add", {"a": 1, "b": 1}).structured_content)

    # In [8]:
    client.close()


# -- the simulated kernel ----------------------------------------------------------------


class KernelStream(io.TextIOBase):
    """Like ipykernel's OutStream: text goes to the front end, and there is no file descriptor."""

    def __init__(self, name: str, echo: Any) -> None:
        self.name = name
        self.echo = echo
        self.chunks: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.chunks.append(text)
        self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        self.echo.flush()

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self.chunks)


class FakeDisplayHandle:
    def __init__(self, frontend: "FakeFrontend", display_id: int) -> None:
        self.frontend = frontend
        self.display_id = display_id

    def update(self, obj: Any) -> None:
        self.frontend.render(self.display_id, obj, "update")


class FakeFrontend:
    """Records what a notebook front end would show: one HTML snapshot per display/update."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, str]] = []  # (display id, "display" | "update", html)
        self.displays = 0

    def display(self, obj: Any, *, display_id: bool = False) -> FakeDisplayHandle | None:
        self.displays += 1
        self.render(self.displays, obj, "display")
        return FakeDisplayHandle(self, self.displays) if display_id else None

    def render(self, display_id: int, obj: Any, kind: str) -> None:
        html = obj._repr_html_() if hasattr(obj, "_repr_html_") else repr(obj)
        self.events.append((display_id, kind, html))

    def final(self, display_id: int) -> str:
        return [html for did, _, html in self.events if did == display_id][-1]


def install_fake_ipython(frontend: FakeFrontend) -> None:
    """``IPython`` and ``IPython.display`` modules with just what mcp_sync.notebook uses."""
    shell = types.SimpleNamespace(kernel=object())  # a kernel shell, as in Jupyter
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    display_module = types.ModuleType("IPython.display")
    display_module.display = frontend.display  # type: ignore[attr-defined]
    ipython.display = display_module  # type: ignore[attr-defined]
    sys.modules["IPython"] = ipython
    sys.modules["IPython.display"] = display_module


def run_in_kernel() -> tuple[FakeFrontend, KernelStream, KernelStream]:
    frontend = FakeFrontend()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    stdout, stderr = KernelStream("stdout", real_stdout), KernelStream("stderr", real_stderr)
    saved = {name: sys.modules.get(name) for name in ("IPython", "IPython.display")}
    install_fake_ipython(frontend)
    sys.stdout, sys.stderr = stdout, stderr

    async def kernel() -> None:
        asyncio.get_running_loop()  # a cell runs while the kernel's loop is running
        notebook_cells()

    try:
        asyncio.run(kernel())
    finally:
        sys.stdout, sys.stderr = real_stdout, real_stderr
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return frontend, stdout, stderr


def main() -> int:
    frontend, stdout, stderr = run_in_kernel()
    print("--- displays ---")
    for display_id in range(1, frontend.displays + 1):
        updates = sum(1 for did, kind, _ in frontend.events if did == display_id and kind == "update")
        final = frontend.final(display_id)
        state = next((s for s in ("done", "error", "cancelled") if f">{s}</span>" in final), "running")
        print(f"display {display_id}: {updates} updates, final state {state}")
    problems = []
    if frontend.displays != 4:
        problems.append(f"expected 4 progress displays, got {frontend.displays}")
    if "quickstart server starting" not in stderr.getvalue():
        problems.append("the server's stderr did not reach the kernel's stderr stream")
    if "Liftoff!" not in stdout.getvalue():
        problems.append("the countdown result was not printed")
    for problem in problems:
        print("problem:", problem)
    print("notebook demo:", "ok" if not problems else "FAILED")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
