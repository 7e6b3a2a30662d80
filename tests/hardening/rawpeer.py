"""Talk bytes to ``tests.hardening.peer`` over real pipes, with bounded waits."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER = [sys.executable, "-m", "tests.hardening.peer"]
WAIT = 20.0  # seconds for any one reply; only reached when something is broken
#: stderr lines that mean the engine misbehaved (the peer prefixes its own checks with "peer-bug:")
BUG_MARKERS = ("peer-bug:", "Traceback", "reader thread failed", "dropping a message that cannot be serialized")


class RawPeer:
    """A peer process; ``send`` writes bytes, ``reply`` returns the next decoded output line."""

    def __init__(self, **env: str) -> None:
        self.proc = subprocess.Popen(PEER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=ROOT, env={**os.environ, **env})
        self._replies: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump_stdout, name="rawpeer-stdout", daemon=True),
            threading.Thread(target=self._pump_stderr, name="rawpeer-stderr", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._serial = 0

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self._replies.put(line)
        self._replies.put(None)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in iter(self.proc.stderr.readline, b""):
            self._stderr.append(line.decode("utf-8", "replace"))

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def reply(self, timeout: float = WAIT) -> Any:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no reply within {timeout}s; peer stderr:\n{self.stderr()}") from None
        if line is None:
            raise AssertionError(f"the peer closed its stdout; stderr:\n{self.stderr()}")
        assert line.endswith(b"\n")
        line.decode("utf-8")  # strictly UTF-8 on the wire
        return json.loads(line)

    def exchange(self, payload: bytes, min_replies: int) -> list[Any]:
        """Send ``payload``, then prove the session still works and collect what it answered.

        A correct echo request follows the payload; we wait for its answer and
        for ``min_replies`` other replies. Then a ping (answered by the reader
        thread itself, so after everything it answered for the payload) must be
        the very next line: anything before it is an unexpected extra reply.
        """
        self._serial += 1
        tag = str(self._serial)
        sentinel = {"jsonrpc": "2.0", "id": "sentinel-" + tag, "method": "echo", "params": {"tag": tag}}
        self.send(payload + b"\n" + json.dumps(sentinel).encode() + b"\n")
        replies, answered = [], False
        while not answered or len(replies) < min_replies:
            reply = self.reply()
            if isinstance(reply, dict) and reply.get("id") == "sentinel-" + tag:
                assert reply == {"jsonrpc": "2.0", "id": "sentinel-" + tag, "result": {"tag": tag}}, reply
                answered = True
            else:
                replies.append(reply)
        self.send(json.dumps({"jsonrpc": "2.0", "id": "drain-" + tag, "method": "ping"}).encode() + b"\n")
        reply = self.reply()
        assert reply == {"jsonrpc": "2.0", "id": "drain-" + tag, "result": {}}, f"unexpected extra reply {reply!r}"
        return replies

    def stderr(self) -> str:
        return "".join(self._stderr)

    def bugs(self) -> list[str]:
        return [line for line in self._stderr if any(marker in line for marker in BUG_MARKERS)]

    def close(self) -> int:
        """End the peer (EOF on its stdin), join our threads; return its exit code."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            code = self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        for thread in self._threads:
            thread.join(WAIT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return code
