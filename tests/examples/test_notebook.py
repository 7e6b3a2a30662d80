"""mcp_sync.notebook: the text fallback, the IPython display path (with a fake IPython), and the demo."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
import types
from concurrent.futures import Future
from pathlib import Path

import pytest

from mcp_sync import Client
from mcp_sync.notebook import ProgressDisplay, in_notebook, wait_with_progress

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart_server.py"


class KernelStream(io.StringIO):
    """A notebook output stream: no file descriptor, not a terminal."""

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


class Frontend:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def display(self, obj, *, display_id=False):
        self.events.append(("display", obj))
        frontend = self

        class Handle:
            def update(self, new):
                frontend.events.append(("update", new))

        return Handle() if display_id else None

    @property
    def html(self) -> list[str]:
        return [obj._repr_html_() for _, obj in self.events]


@pytest.fixture
def no_ipython(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)  # import IPython -> ImportError, installed or not
    monkeypatch.setitem(sys.modules, "IPython.display", None)


@pytest.fixture
def fake_ipython(monkeypatch):
    """Just ``IPython.display.display`` (and ``get_ipython`` with a kernel, as in Jupyter)."""
    frontend = Frontend()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())
    display = types.ModuleType("IPython.display")
    display.display = frontend.display
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return frontend


@pytest.fixture(scope="module")
def client():
    with Client.stdio([sys.executable, str(QUICKSTART)], stderr=None) as client:
        yield client


def test_text_fallback_without_ipython(no_ipython):
    stream = KernelStream()
    assert not in_notebook()
    display = ProgressDisplay("job", stream=stream)
    assert display.mode == "text"
    display(1, 2, "half")
    display(2, 2, "done")
    display.close()
    assert stream.getvalue() == "job: 1/2 (50%) half\njob: 2/2 (100%) done\n"


def test_ipython_installed_but_no_kernel_uses_text(monkeypatch):
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: None  # plain python with IPython installed
    display = types.ModuleType("IPython.display")
    display.display = lambda *a, **k: pytest.fail("must not display outside a kernel")
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    assert ProgressDisplay("x", stream=io.StringIO()).mode == "text"


def test_notebook_display_updates_in_place(fake_ipython):
    assert in_notebook()
    clock = [0.0]
    display = ProgressDisplay("build", clock=lambda: clock[0])
    assert display.mode == "notebook"
    for step in (1, 2, 3):
        clock[0] += 1
        display(step, 4, f"step <{step}>")
    display.close()
    kinds = [kind for kind, _ in fake_ipython.events]
    assert kinds == ["display", "update", "update", "update", "update"]
    html = fake_ipython.html
    assert '<progress style="width:16em"></progress>' in html[0]  # nothing yet: indeterminate
    assert '<progress value="2" max="4"' in html[2] and "50%" in html[2]
    assert "step &lt;2&gt;" in html[2]  # escaped
    assert ">done</span>" in html[-1]
    assert "build" in repr(fake_ipython.events[-1][1]) and "[done]" in repr(fake_ipython.events[-1][1])


def test_notebook_updates_are_rate_limited(fake_ipython):
    display = ProgressDisplay("fast", clock=lambda: 0.0)
    for step in range(1, 50):
        display(step, 100)
    display(100, 100)  # completion is always shown
    assert [kind for kind, _ in fake_ipython.events].count("update") == 1


def test_mode_notebook_requires_ipython(no_ipython):
    with pytest.raises(RuntimeError, match="needs IPython"):
        ProgressDisplay(mode="notebook")
    with pytest.raises(ValueError):
        ProgressDisplay(mode="html")


def test_context_manager_states(fake_ipython):
    with pytest.raises(KeyError):
        with ProgressDisplay("a") as display:
            raise KeyError("x")
    assert display.state == "error"
    assert ">error</span>" in fake_ipython.html[-1]


def test_a_call_with_progress_display(fake_ipython, client):
    with ProgressDisplay("countdown") as display:
        result = client.call_tool("countdown", {"start": 3, "delay": 0}, progress=display)
    assert result.content[0].text == "Liftoff!"
    assert display.updates == 3
    assert '<progress value="3" max="3"' in fake_ipython.html[-1]


def test_wait_with_progress_a_callable(fake_ipython, client):
    result = wait_with_progress(
        lambda progress: client.nowait.call_tool("countdown", {"start": 2, "delay": 0}, progress=progress), "cd")
    assert result.content[0].text == "Liftoff!"
    assert ">done</span>" in fake_ipython.html[-1] and "<b>cd</b>" in fake_ipython.html[-1]


def test_wait_with_progress_a_future_and_its_display(fake_ipython, client):
    display = ProgressDisplay("shared")
    future = client.nowait.call_tool("countdown", {"start": 2, "delay": 0.01}, progress=display)
    assert wait_with_progress(future, display=display).content[0].text == "Liftoff!"
    assert [kind for kind, _ in fake_ipython.events].count("display") == 1  # one bar for both


def test_wait_with_progress_a_bare_future(no_ipython):
    future: Future = Future()
    stream = KernelStream()
    future.set_result(42)
    assert wait_with_progress(future, "plain", stream=stream) == 42


def test_wait_with_progress_a_blocking_callable(no_ipython, client):
    stream = KernelStream()
    result = wait_with_progress(lambda progress: client.call_tool("greet", {"name": "X"}, progress=progress),
                                stream=stream)
    assert result.content[0].text == "Hello, X."


def test_wait_with_progress_reports_tool_errors(fake_ipython, client):
    result = wait_with_progress(lambda progress: client.nowait.call_tool("countdown", {"start": -1},
                                                                         progress=progress))
    assert result.is_error
    assert ">error</span>" in fake_ipython.html[-1]


def test_wait_with_progress_timeout_cancels_the_call(fake_ipython, client):
    started = time.monotonic()
    futures = []

    def start(progress):
        futures.append(client.nowait.call_tool("countdown", {"start": 100, "delay": 0.1}, progress=progress))
        return futures[0]

    with pytest.raises(TimeoutError, match="cancelled"):
        wait_with_progress(start, "slow", timeout=0.3, interval=0.05)
    assert time.monotonic() - started < 5
    assert futures[0].cancelled()
    assert ">cancelled</span>" in fake_ipython.html[-1]
    # the elapsed time ticked while nothing else happened
    assert len(fake_ipython.events) >= 2
    assert client.call_tool("add", {"a": 1, "b": 2}).structured_content == {"result": 3}


def test_wait_with_progress_propagates_call_errors(no_ipython):
    future: Future = Future()
    future.set_exception(RuntimeError("boom"))
    stream = KernelStream()
    with pytest.raises(RuntimeError, match="boom"):
        wait_with_progress(future, stream=stream)
    with pytest.raises(TypeError):
        wait_with_progress(42, stream=stream)


def test_inside_a_running_event_loop(fake_ipython, client):
    """A notebook cell runs on the thread of the kernel's running asyncio loop: blocking calls still work."""

    async def cell():
        assert asyncio.get_running_loop().is_running()
        return wait_with_progress(
            lambda progress: client.nowait.call_tool("countdown", {"start": 2, "delay": 0}, progress=progress))

    assert asyncio.run(cell()).content[0].text == "Liftoff!"


def test_notebook_demo_runs():
    done = subprocess.run([sys.executable, "examples/notebook_demo.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.rstrip().endswith("notebook demo: ok")
    for line in ("in a notebook: True", "add: {'result': 42}", "countdown: Liftoff! (4 progress updates)",
                 "future: Liftoff!", "callable: Liftoff!", "timeout: no result after 0.5 s; the call was cancelled",
                 "add again: {'result': 2}", "display 4: ", "final state cancelled"):
        assert line in out
    assert "display 1: " in out and out.count("final state done") == 3
    assert "quickstart server starting" in done.stderr  # the server's stderr went through the kernel stream
