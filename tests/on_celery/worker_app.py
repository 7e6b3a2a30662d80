"""The Celery side of the Celery tests: an app and "existing" tasks that know nothing of MCP.

Workers run ``celery -A tests.on_celery.worker_app worker``; the web side imports the same module
to send to these tasks. Broker and result backend: ``MCP_SYNC_CELERY_REDIS``. The tasks wait on
Redis lists (``BLPOP``) the test pushes to, so every step is driven by the test, never by a sleep.
"""

from __future__ import annotations

import os
import socket

import redis
from celery import Celery
from celery.signals import worker_ready

from mcp_sync.integrations.celery import report_progress

REDIS = os.environ.get("MCP_SYNC_CELERY_REDIS", "redis://127.0.0.1:6379/15")

app = Celery("mcp_sync_celery_tests", broker=REDIS, backend=REDIS)
app.conf.update(
    task_acks_late=True,                 # a task whose worker dies goes back to the queue ...
    task_reject_on_worker_lost=True,     # ... also when only its prefork child dies
    task_track_started=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    # An unacknowledged message of a dead worker is visible again after 12 s, and the surviving
    # worker looks for such messages every second. (The Redis broker redelivers *any* message
    # unacknowledged for that long, so it must exceed how long a task of these tests waits, running
    # or queued: e.g. ~5 s while a prefork child terminated by a SIGTERM revoke is replaced.)
    broker_transport_options={"visibility_timeout": 12, "unacked_restore_interval": 1,
                              "unacked_restore_throttle": 1},
    result_expires=600,
    worker_hijack_root_logger=False,
)

_gates = redis.Redis.from_url(REDIS, socket_timeout=None)  # BLPOPs wait longer than redis-py's 5 s default


def _wait(key: str, timeout: float = 60) -> None:
    if _gates.blpop([key], timeout=timeout) is None:
        raise TimeoutError(f"nobody pushed {key!r}")


@worker_ready.connect
def _announce(sender=None, **_kwargs) -> None:
    """Tell the test this worker consumes now (it BLPOPs the list named after the worker)."""
    _gates.rpush(f"ready:{sender.hostname}", os.getpid())


@app.task(bind=True)
def crunch(self, numbers: list[int], gate: str = "", steps: int = 3) -> dict:
    """Add up ``numbers`` in ``steps`` reported steps; between steps wait for ``<gate>:go`` when a gate is given."""
    for step in range(1, steps + 1):
        if gate:
            _gates.rpush(f"{gate}:at", step)
            _wait(f"{gate}:go")
        report_progress(self, step, steps, f"step {step} of {steps}")
    return {"total": sum(numbers), "worker": self.request.hostname, "pid": os.getpid(),
            "host": socket.gethostname()}


@app.task(bind=True)
def hold(self, gate: str) -> str:
    """Announce ``<gate>:at`` with this worker's name, then block until ``<gate>:go`` (or a revoke kills it)."""
    self.update_state(state="PROGRESS", meta={"message": f"held on {self.request.hostname}"})
    _gates.rpush(f"{gate}:at", self.request.hostname)
    _wait(f"{gate}:go", timeout=60)
    return f"released on {self.request.hostname}"


@app.task
def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"exploded: {reason}")
