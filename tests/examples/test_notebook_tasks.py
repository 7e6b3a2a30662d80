"""mcp_sync.notebook and tasks: a task handle displays its status and progress; waiting on one shows them live.

The kernel is simulated: a stand-in ``IPython`` (``display`` recording what
would be shown, ``get_ipython()`` with a kernel and a ``text/html`` formatter
table), and kernel streams without ``fileno()``. The server runs as a real
subprocess over stdio (tests/cli/task_server.py), on 2025-11-25.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

import pytest

from mcp_sync import Client, McpError
from mcp_sync.notebook import (
    ProgressDisplay,
    TaskView,
    call_tool_as_task,
    register_task_display,
    task_html,
    wait_with_progress,
)

ROOT = Path(__file__).resolve().parents[2]
TASK_SERVER = ROOT / "tests" / "cli" / "task_server.py"


class KernelStream(io.StringIO):
    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


class HtmlFormatter:
    """IPython's ``text/html`` formatter, reduced to ``for_type`` and formatting one object."""

    def __init__(self) -> None:
        self.printers: dict[type, object] = {}

    def for_type(self, cls, printer):
        self.printers[cls] = printer

    def __call__(self, obj):
        for cls in type(obj).__mro__:
            if cls in self.printers:
                return self.printers[cls](obj)
        method = getattr(obj, "_repr_html_", None)
        return method() if method is not None else None


class Kernel:
    """What the notebook front end receives: displays and in-place updates."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.formatter = HtmlFormatter()
        self.shell = types.SimpleNamespace(kernel=object(),
                                           display_formatter=types.SimpleNamespace(
                                               formatters={"text/html": self.formatter}))

    def display(self, obj, *, display_id=False):
        self.events.append(("display", obj))
        kernel = self

        class Handle:
            def update(self, new):
                kernel.events.append(("update", new))

        return Handle() if display_id else None

    @property
    def html(self) -> list[str]:
        return [self.formatter(obj) for _, obj in self.events]


@pytest.fixture
def kernel(monkeypatch):
    kernel = Kernel()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: kernel.shell
    display = types.ModuleType("IPython.display")
    display.display = kernel.display
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return kernel


@pytest.fixture(scope="module")
def client():
    before = set(threading.enumerate())
    with Client.stdio([sys.executable, str(TASK_SERVER)], stderr=None, protocol_version="2025-11-25") as client:
        yield client
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], f"threads still running after the client closed: {left}"


def test_a_displayed_task_shows_its_status_and_progress(kernel, client):
    assert register_task_display()
    task = call_tool_as_task(client, "steps", {"count": 4, "delay": 0.01})
    task.wait(timeout=30)
    html = kernel.formatter(task)  # what a cell ending with `task` shows
    assert f"<code>{task.task_id}</code>" in html
    assert ">completed</span>" in html and "4 of 4 done" in html  # status and status message
    assert '<progress value="4" max="4"' in html and "100%" in html and "step 4" in html
    assert "ttl 120 s" in html
    assert TaskView(task)._repr_html_() == html
    assert repr(TaskView(task)).startswith(f"task {task.task_id}: completed (4 of 4 done)  [")


def test_a_running_task_is_refreshed_when_displayed(kernel, client):
    task = client.call_tool_as_task("wait", {"seconds": 60})  # made by the client itself: no progress known
    try:
        html = task_html(task)
        assert ">working</span>" in html
        assert '<progress style="width:16em"></progress>' in html  # running: indeterminate
        task.cancel()
        assert ">cancelled</span>" in task_html(task)  # asked again (tasks/get)
        assert ">cancelled</span>" in task_html(task, refresh=False)  # terminal: what is known
    finally:
        if not task.done:
            task.cancel()


def test_wait_with_progress_on_a_task_in_a_notebook(kernel, client):
    task = call_tool_as_task(client, "steps", {"count": 3, "delay": 0.05})
    result = wait_with_progress(task)
    assert result.content[0].text == "3 steps done"
    html = kernel.html
    assert [kind for kind, _ in kernel.events][0] == "display" and \
        [kind for kind, _ in kernel.events].count("display") == 1  # one display, updated in place
    assert f"<b>task {task.task_id}</b>" in html[0]
    assert any(">working" in h for h in html)  # the status while it ran
    assert '<progress value="3" max="3"' in html[-1]  # the progress
    assert "completed (3 of 3 done)" in html[-1] and ">done</span>" in html[-1]


def test_wait_with_progress_on_a_task_as_text(monkeypatch, client):
    monkeypatch.setitem(sys.modules, "IPython", None)
    stream = KernelStream()
    task = call_tool_as_task(client, "steps", {"count": 2, "delay": 0.05})
    assert wait_with_progress(task, "steps", stream=stream).content[0].text == "2 steps done"
    lines = stream.getvalue().splitlines()
    assert lines[0] == "steps: working"
    assert "steps: 2/2 (100%) step 2" in lines
    assert lines[-1] == "steps: completed (2 of 2 done)"


def test_wait_with_progress_timeout_cancels_the_task(kernel, client):
    task = call_tool_as_task(client, "wait", {"seconds": 60})
    with pytest.raises(TimeoutError, match="it was cancelled"):
        wait_with_progress(task, timeout=0.3)
    assert task.status().status == "cancelled"
    assert ">cancelled</span>" in kernel.html[-1]


def test_wait_with_progress_on_a_task_cancelled_elsewhere(kernel, client):
    task = call_tool_as_task(client, "wait", {"seconds": 60})
    display = ProgressDisplay("waiting")
    canceller = threading.Timer(0.2, task.cancel)  # someone else cancels it
    canceller.name = "test-canceller"
    canceller.start()
    try:
        with pytest.raises(McpError):
            wait_with_progress(task, display=display, timeout=30)
    finally:
        canceller.join()
    assert display.state == "cancelled"


def test_a_tool_error_in_a_task_shows_as_an_error(kernel, client):
    result = wait_with_progress(call_tool_as_task(client, "fail", {"reason": "nope"}))
    assert result.is_error
    assert "failed" in kernel.html[-1] and ">error</span>" in kernel.html[-1]


def test_progress_callback_is_chained(client):
    seen = []
    task = call_tool_as_task(client, "steps", {"count": 2, "delay": 0.01}, progress=lambda *a: seen.append(a))
    task.result(timeout=30)
    assert seen[0] == (1, 2, "step 1")


def test_register_without_a_shell_is_false(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert register_task_display() is False
    assert register_task_display(types.SimpleNamespace()) is False


def test_importing_in_a_kernel_registers_the_task_display():
    """A fresh interpreter with a stand-in kernel: importing mcp_sync.notebook registers the formatter."""
    code = textwrap.dedent("""
        import sys, types
        registered = {}
        formatter = types.SimpleNamespace(for_type=lambda cls, f: registered.setdefault(cls.__name__, f))
        shell = types.SimpleNamespace(kernel=object(),
                                      display_formatter=types.SimpleNamespace(formatters={"text/html": formatter}))
        ipython = types.ModuleType("IPython"); ipython.get_ipython = lambda: shell
        display = types.ModuleType("IPython.display"); display.display = lambda *a, **k: None
        ipython.display = display
        sys.modules["IPython"] = ipython; sys.modules["IPython.display"] = display
        import mcp_sync.notebook
        print(sorted(registered))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['RemoteTask']\n"
    plain = subprocess.run([sys.executable, "-c", "import sys, mcp_sync.notebook; print('IPython' in sys.modules)"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert plain.stdout == "False\n"  # outside a kernel IPython is not even imported
