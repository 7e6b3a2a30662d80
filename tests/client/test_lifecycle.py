"""Cancellation, timeouts, dead servers, closing, and notebook-like environments."""

from __future__ import annotations

import asyncio
import io
import signal
import sys
import threading
import time
from concurrent.futures import CancelledError, wait

import pytest

from mcp_sync.client import Client
from mcp_sync.errors import ConnectionClosed, RequestTimeout
from tests.client.conftest import Recorder, start_stdio
from tests.client.lowlevel_server import TOOLS, build_server


def cancellations(recorder: Recorder):
    """An on_notification hook recording the server's test/cancelled reports."""
    return lambda method, params: recorder(params) if method == "test/cancelled" else None


# -- cancellation --------------------------------------------------------------------------

def test_cancel_from_another_thread_reaches_the_server_handler(connect):
    seen = Recorder()
    client = connect(on_notification=cancellations(seen))
    started = threading.Event()
    future = client.nowait.call_tool("wait_cancel", progress=lambda *a: started.set())
    assert started.wait(10)  # the handler is running
    canceller = threading.Thread(target=future.cancel, args=("user pressed stop",), name="test-canceller")
    canceller.start()
    canceller.join(10)
    assert future.cancelled()
    with pytest.raises(CancelledError):
        future.result(timeout=1)
    assert seen.wait(1) == [{"reason": "user pressed stop", "id": future.request_id}]
    assert future.cancel() is False or future.cancelled()
    assert client.call_tool("add", {"a": 1, "b": 1}).structured_content == {"sum": 2}
    assert client.session.pending() == 0


def test_cancel_before_the_server_starts_is_still_delivered(connect):
    seen = Recorder()
    client = connect(on_notification=cancellations(seen))
    future = client.nowait.call_tool("wait_cancel")
    assert future.cancel()
    assert seen.wait(1)[0]["reason"] == "cancelled by the caller"


def test_a_finished_call_cannot_be_cancelled(connect):
    client = connect()
    future = client.nowait.call_tool("add", {"a": 1, "b": 2})
    assert future.result(timeout=10).structured_content == {"sum": 3}
    assert future.cancel() is False
    assert not future.cancelled()


def test_cancelling_a_listing_stops_it(connect):
    client = connect()
    future = client.nowait.list_tools()
    future.cancel()
    assert future.cancelled()
    assert len(client.list_tools()) == len(TOOLS)


def test_keyboard_interrupt_in_a_blocking_call_cancels_the_request(connect):
    seen = Recorder()
    client = connect(on_notification=cancellations(seen))
    main = threading.main_thread()
    assert threading.current_thread() is main

    sent = threading.Event()

    def interrupt(*_):
        # Heartbeats keep coming: interrupt once the main thread is blocked waiting for the result.
        if not sent.is_set() and waiting_in_wait_for(main):
            sent.set()
            signal.pthread_kill(main.ident, signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        client.call_tool("heartbeat", progress=interrupt)
    assert seen.wait(1)[0]["reason"] == "the caller stopped waiting"
    assert client.ping() is None


def waiting_in_wait_for(thread: threading.Thread) -> bool:
    """True if ``thread`` is blocked inside the client's ``wait_for``."""
    frame = sys._current_frames().get(thread.ident)
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return "wait_for" in names and names[0] == "wait"


# -- timeouts ------------------------------------------------------------------------------

def test_per_call_timeout_fails_the_call_and_tells_the_server(connect):
    seen = Recorder()
    client = connect(on_notification=cancellations(seen))
    with pytest.raises(RequestTimeout):
        client.call_tool("wait_cancel", timeout=0.2)
    assert seen.wait(1)[0]["reason"] == "request timed out"
    assert client.call_tool("add", {"a": 2, "b": 2}, timeout=10).structured_content == {"sum": 4}


def test_client_default_timeout_and_per_call_override(connect):
    seen = Recorder()
    client = connect(on_notification=cancellations(seen))
    client.timeout = 0.2  # after the handshake: a subprocess may take longer than that to start
    with pytest.raises(RequestTimeout):
        client.call_tool("wait_cancel")
    assert seen.wait(1)
    unlimited = client.nowait.call_tool("wait_cancel", timeout=None)
    done, _ = wait([unlimited], timeout=0.6)  # well past the default: still running
    assert not done
    unlimited.cancel()
    assert seen.wait(2)[1]["reason"] == "cancelled by the caller"


def test_timeouts_work_for_nowait_calls_too(connect):
    client = connect()
    future = client.nowait.call_tool("wait_cancel", timeout=0.2)
    with pytest.raises(RequestTimeout):
        future.result(timeout=10)


# -- a server that dies ----------------------------------------------------------------------

def test_killed_server_fails_pending_and_later_calls_within_a_second():
    with start_stdio() as client:
        pending = client.nowait.call_tool("wait_cancel")
        listing = client.nowait.list_tools()
        listing.result(timeout=10)
        started = time.monotonic()
        client.nowait.call_tool("crash")
        with pytest.raises(ConnectionClosed) as info:
            pending.result(timeout=5)
        assert time.monotonic() - started < 1.0
        assert info.value.exit_code == 3
        assert "crashing on purpose" in info.value.stderr_tail
        assert "crashing on purpose" in str(info.value)
        for later in (lambda: client.call_tool("add", {"a": 1, "b": 1}), client.list_tools, client.ping,
                      lambda: client.nowait.list_prompts().result(timeout=1)):
            started = time.monotonic()
            with pytest.raises(ConnectionClosed) as info:
                later()
            assert time.monotonic() - started < 1.0
            assert info.value.exit_code == 3
        assert client.closed


def test_server_killed_from_outside_is_reported_with_its_signal():
    client = start_stdio().open()
    try:
        pending = client.nowait.call_tool("wait_cancel")
        client.ping()
        client.transport.process.kill()
        with pytest.raises(ConnectionClosed) as info:
            pending.result(timeout=5)
        assert info.value.exit_code == -signal.SIGKILL
    finally:
        client.close()


def test_in_memory_server_going_away_fails_pending_calls():
    client = Client.connect(build_server()).open()
    try:
        pending = client.nowait.call_tool("wait_cancel")
        client.ping()
        client._owned[0].close()
        with pytest.raises(ConnectionClosed):
            pending.result(timeout=5)
        with pytest.raises(ConnectionClosed):
            client.ping()
    finally:
        client.close()


def test_a_server_that_exits_during_initialize_is_a_clear_error():
    client = Client.stdio([sys.executable, "-c", "import sys; sys.stderr.write('no config\\n'); sys.exit(2)"],
                          stderr=None)
    with pytest.raises(ConnectionClosed) as info:
        client.open()
    assert info.value.exit_code == 2 and "no config" in info.value.stderr_tail
    assert client.transport.process.poll() is not None


def test_a_command_that_does_not_exist_is_a_clear_error():
    with pytest.raises(ConnectionClosed, match="cannot start"):
        Client.stdio(["/nonexistent/server-binary"])


# -- closing -----------------------------------------------------------------------------------

def test_close_fails_pending_calls_and_later_calls(connect):
    client = connect()
    pending = client.nowait.call_tool("wait_cancel")
    client.ping()
    client.close()
    with pytest.raises(ConnectionClosed):
        pending.result(timeout=1)
    with pytest.raises(ConnectionClosed):
        client.call_tool("add", {"a": 1, "b": 1})
    client.close()  # idempotent
    assert client.closed


def test_close_from_another_thread_wakes_a_blocked_call(connect):
    client = connect()
    started = threading.Event()
    closer = threading.Thread(target=lambda: (started.wait(10), client.close()), name="test-closer")
    closer.start()
    with pytest.raises(ConnectionClosed):
        client.call_tool("wait_cancel", progress=lambda *a: started.set())
    closer.join(10)


def test_close_from_inside_a_hook(connect):
    holder = {}
    client = connect(on_tools_changed=lambda: holder["client"].close())
    holder["client"] = client
    try:
        client.call_tool("notify_changes")
    except ConnectionClosed:
        pass
    assert client.session.closed.wait(5)


def test_context_manager_closes_everything(connect):
    client = connect(open=False)
    with client as same:
        assert same is client
        assert client.ping() is None
    assert client.closed
    if connect.kind == "stdio":
        assert client.transport.process.poll() is not None


# -- notebook-like environments ------------------------------------------------------------------

class NoFilenoStream(io.TextIOBase):
    """Like a notebook's sys.stderr: it can be written to, but has no file descriptor."""

    def __init__(self) -> None:
        self.text: list[str] = []

    def write(self, text: str) -> int:
        self.text.append(text)
        return len(text)

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


def test_stdio_works_when_sys_stderr_has_no_fileno(monkeypatch):
    fake = NoFilenoStream()
    monkeypatch.setattr(sys, "stderr", fake)
    from tests.client.conftest import ROOT, SERVER_COMMAND

    with Client.stdio(SERVER_COMMAND, cwd=ROOT) as client:
        assert client.call_tool("add", {"a": 1, "b": 2}).structured_content == {"sum": 3}
        pending = client.nowait.call_tool("crash")
        with pytest.raises(ConnectionClosed) as info:
            pending.result(timeout=5)
    assert "lowlevel-test: crashing on purpose\n" in fake.text  # the server's stderr reached sys.stderr
    assert "crashing on purpose" in info.value.stderr_tail


def test_works_inside_a_running_asyncio_event_loop(connect):
    async def main():
        loop = asyncio.get_running_loop()
        assert loop.is_running()
        client = connect(open=False)
        with client:  # opened and used from a coroutine
            first = client.call_tool("add", {"a": 1, "b": 2}).structured_content
            answer = loop.create_future()

            def callback():  # and from a plain loop callback
                try:
                    answer.set_result(len(client.list_tools()))
                except Exception as exc:
                    answer.set_exception(exc)

            loop.call_soon(callback)
            return first, await answer

    assert asyncio.run(main()) == ({"sum": 3}, len(TOOLS))
