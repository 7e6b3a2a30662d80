"""The benchmark server, written with mcp_sync: tools ``echo`` and ``sleep_echo``.

Run:
  python benchmarks/echo_server.py stdio [--tasks] [--profile OUT.pstats]
  python benchmarks/echo_server.py http PORT [--tasks] [--sse] [--max-seconds S]

``--tasks`` registers both tools with ``task_support="optional"``. HTTP listens
on 127.0.0.1 only, answers in JSON response mode unless ``--sse``, and stops on
SIGTERM or by itself after ``--max-seconds`` (default 900). ``--profile``
(stdio) writes a cProfile of every thread to OUT when the client disconnects.

Whether tasks are really served shows in the ``initialize`` result: the
benchmark looks for the ``tasks.requests.tools.call`` capability.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from mcp_sync import Server  # noqa: E402


def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


def sleep_echo(text: str, ms: int) -> str:
    """Sleep ``ms`` milliseconds, then return the text."""
    time.sleep(ms / 1000)
    return text


def build_server(tasks: bool) -> Server:
    server = Server("mcp-sync-echo", version="1.0")
    options: dict[str, Any] = {"task_support": "optional"} if tasks else {}
    server.tool(**options)(echo)
    server.tool(**options)(sleep_echo)
    return server


def _run_profiled(server: Server, out: str) -> None:
    """Serve stdio with a cProfile on every thread (the work happens off the main thread)."""
    import cProfile
    import pstats

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_thread(*_: Any) -> None:
        profile = cProfile.Profile()
        with lock:
            profiles.append(profile)
        profile.enable()  # replaces this hook for the rest of the thread

    threading.setprofile(start_in_thread)
    main = cProfile.Profile()
    profiles.append(main)
    main.enable()
    try:
        server.run()
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = None
        for profile in profiles:
            try:
                stats = pstats.Stats(profile) if stats is None else stats.add(profile)
            except (TypeError, ValueError):  # a thread that recorded nothing
                pass
        if stats is not None:
            stats.dump_stats(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("port", type=int, nargs="?", default=0)
    parser.add_argument("--tasks", action="store_true", help='tools with task_support="optional"')
    parser.add_argument("--sse", action="store_true", help="HTTP: SSE responses instead of JSON")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="HTTP: stop by itself after this")
    parser.add_argument("--profile", metavar="OUT", help="stdio: write a cProfile of all threads to OUT")
    args = parser.parse_args()
    server = build_server(args.tasks)
    if args.transport == "stdio":
        if args.profile:
            _run_profiled(server, args.profile)
        else:
            server.run()
        return
    # serve_http turns SIGTERM into a graceful stop; the watchdog uses the same path.
    watchdog = threading.Timer(args.max_seconds, os.kill, (os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    server.run("http", host="127.0.0.1", port=args.port, json_response=not args.sse)
    watchdog.cancel()


if __name__ == "__main__":
    main()
