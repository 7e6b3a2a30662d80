"""A bare Session over stdio for the hardening tests (run as ``python -m tests.hardening.peer``).

Methods: ``echo`` returns its params; ``block`` waits until the notification
``peer/release`` arrives (then answers ``{"released": true}``) or until it is
cancelled; anything else is -32601. No method exits the process or blocks it
for good, so random frames are safe to send.
Environment: HARDENING_MAX_MESSAGE_SIZE, HARDENING_MAX_DEPTH,
HARDENING_MAX_IN_FLIGHT (the Limits), HARDENING_WORKERS (pool size).

Anything that should never happen is written to stderr on a line starting
with ``peer-bug:`` (an exception in a thread, the reader dying, threads left
at exit); the tests fail on such a line.
"""

import os
import sys
import threading

from mcp_sync.errors import McpError
from mcp_sync.limits import Limits
from mcp_sync.session import Session
from mcp_sync.signals import Signal
from mcp_sync.transports.stdio import stdio_server_transport

RELEASE = Signal()  # set for good by peer/release


def on_request(request):
    if request.method == "echo":
        return request.params
    if request.method == "block":
        wake = threading.Event()
        request.cancelled.add_callback(wake.set)
        RELEASE.add_callback(wake.set)
        wake.wait()
        return {"released": RELEASE.is_set()}
    raise McpError(-32601, f"Method not found: {request.method}")


def on_notification(method, params):
    if method == "peer/release":
        RELEASE.set()


def main():
    def excepthook(args):
        sys.stderr.write(f"peer-bug: exception in thread {args.thread.name}: {args.exc_type.__name__}\n")
        sys.stderr.flush()

    threading.excepthook = excepthook
    env = os.environ
    limits = Limits(**{field: int(env[var]) for field, var in (
        ("max_message_size", "HARDENING_MAX_MESSAGE_SIZE"), ("max_depth", "HARDENING_MAX_DEPTH"),
        ("max_in_flight", "HARDENING_MAX_IN_FLIGHT")) if env.get(var)})
    transport = stdio_server_transport(max_line=limits.max_message_size)
    session = Session(transport, on_request=on_request, on_notification=on_notification, name="peer", limits=limits,
                      max_workers=int(env.get("HARDENING_WORKERS", "16")))
    session.start()
    session.closed.wait()
    session.close()
    reason = session.close_error.reason if session.close_error else ""
    if reason.startswith("reader failed"):
        sys.stderr.write(f"peer-bug: {reason}\n")
    left = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if left:
        sys.stderr.write(f"peer-bug: threads left: {left}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    main()
