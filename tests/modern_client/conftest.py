"""Fixtures for the modern (2026-07-28) client tests: fake peers over stdio and HTTP."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from mcp_sync.client import Client
from mcp_sync.protocol.era import EraCache

ROOT = Path(__file__).resolve().parents[2]
FAKE_STDIO = [sys.executable, "-m", "tests.modern_client.fake_stdio_server"]
#: Threads the SDK's client side starts (the fakes' own threads are named otherwise or joined by them).
CLIENT_THREAD_PREFIXES = ("mcp-client", "mcp-http-client", "mcp-stdio")


def _client_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(CLIENT_THREAD_PREFIXES) and t.is_alive()}


@pytest.fixture(autouse=True)
def no_client_threads_left_behind():
    before = _client_threads()
    yield
    left = sorted(t.name for t in _client_threads() - before)
    assert left == [], f"client threads still running after the test: {left}"


class StdioFake:
    """Starts clients against ``fake_stdio_server MODE``; ``log()`` is what the fake received."""

    def __init__(self, tmp_path: Path) -> None:
        self.log_path = tmp_path / "fake-log.jsonl"
        self.clients: list[Client] = []

    def client(self, mode: str, *, open: bool = True, **kwargs: Any) -> Client:
        kwargs.setdefault("protocol", "auto")
        kwargs.setdefault("era_cache", None)
        kwargs.setdefault("stderr", None)
        kwargs.setdefault("timeout", 10.0)
        client = Client.stdio(FAKE_STDIO + [mode], cwd=ROOT, env={"FAKE_LOG": str(self.log_path)}, **kwargs)
        self.clients.append(client)
        return client.open() if open else client

    def log(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def methods(self) -> list[str]:
        return [m.get("method", "<response>") for m in self.log()]

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture
def stdio_fake(tmp_path):
    fake = StdioFake(tmp_path)
    yield fake
    fake.close()


@pytest.fixture
def http_fake():
    """``http_fake(**core_options)`` -> a running :class:`FakeModernHttp` (stopped after the test)."""
    from tests.modern_client.fake_http import FakeModernHttp

    fakes: list = []
    clients: list[Client] = []

    def make(**options: Any) -> Any:
        fake = FakeModernHttp(**options)
        fakes.append(fake)
        return fake

    def connect(url: str, **kwargs: Any) -> Client:
        kwargs.setdefault("protocol", "auto")
        kwargs.setdefault("era_cache", None)
        kwargs.setdefault("timeout", 10.0)
        client = Client.http(url, **kwargs)
        clients.append(client)
        return client.open()

    make.connect = connect  # type: ignore[attr-defined]
    yield make
    for client in clients:
        client.close()
    for fake in fakes:
        fake.stop()


class Recorder:
    """Collects hook calls; ``wait(n)`` blocks until ``n`` calls arrived (fails after 10 s)."""

    def __init__(self) -> None:
        self.calls: list = []
        self._cond = threading.Condition()

    def __call__(self, *args: Any) -> None:
        with self._cond:
            self.calls.append(args[0] if len(args) == 1 else args)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.calls) >= count, timeout), \
                f"expected {count} calls, got {self.calls}"
            return list(self.calls)


@pytest.fixture
def fresh_cache() -> EraCache:
    return EraCache()


Factory = Callable[..., Client]
