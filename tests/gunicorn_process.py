"""A real gunicorn (gthread workers) serving a WSGI target on a loopback socket bound before it starts.

The listening socket exists before gunicorn does (``-b fd://N``), so requests
simply queue until a worker accepts them: no readiness polling.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

import requests

ROOT = Path(__file__).resolve().parents[1]


class Gunicorn:
    """``gunicorn -k gthread -w WORKERS --threads THREADS TARGET``; ``stop()`` sends SIGTERM and returns its log."""

    def __init__(self, target: str, log_path: Path, *, workers: int = 1, threads: int = 8, backlog: int = 64,
                 graceful_timeout: int = 3, stop_timeout: float = 20, extra_args: Sequence[str] = (),
                 env: Mapping[str, str] | None = None) -> None:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(backlog)
        listener.set_inheritable(True)
        self.port = listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.stop_timeout = stop_timeout
        full_env = dict(os.environ, **(env or {}))
        full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads), "-w", str(workers),
                 *extra_args, "-b", f"fd://{listener.fileno()}", "--graceful-timeout", str(graceful_timeout),
                 "--log-level", "warning", target],
                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),))
        listener.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log()


class Pinned:
    """One keep-alive HTTP connection, and the pid of the gunicorn worker that accepted it.

    Every response is checked to come from that same worker (``X-Worker-Pid``).
    """

    def __init__(self, http: requests.Session, pid: int) -> None:
        self.http = http
        self.pid = pid

    def send(self, method: str, url: str, **kwargs) -> requests.Response:
        response = self.http.request(method, url, timeout=kwargs.pop("timeout", 30), **kwargs)
        assert int(response.headers["X-Worker-Pid"]) == self.pid, "the connection moved to another worker"
        return response

    def close(self) -> None:
        self.http.close()
