#!/usr/bin/env python3
"""``examples/everything_server.py`` over Streamable HTTP with its SSE events in Redis (for ``soak.py``).

    python benchmarks/soak_server.py --port 0 --redis redis://127.0.0.1:6390/0

Prints the same ``listening on URL`` line on stderr as the example, and serves
until SIGTERM. The events go to a :class:`~mcp_sync.http.RedisEventStore`
under a prefix of its own; when that Redis stops answering, the server goes on
answering calls and says in its log that events are not being stored.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mcp_sync.http import serve_http  # noqa: E402
from mcp_sync.http.shared_sessions import RedisEventStore  # noqa: E402

EXAMPLE = ROOT / "examples" / "everything_server.py"
#: Connections the event store's Redis client keeps open at most.
REDIS_POOL = 4


def load_example_server():
    spec = importlib.util.spec_from_file_location("everything_server", EXAMPLE)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  (its dataclasses look themselves up there)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--redis", required=True, help="the Redis URL of the event store")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    import redis

    # Short socket timeouts: a Redis that stopped answering fails an operation in a second, not never.
    # A pool of REDIS_POOL connections at most (soak.py allows the server that many more descriptors).
    pool = redis.BlockingConnectionPool.from_url(args.redis, max_connections=REDIS_POOL, timeout=5.0,
                                                 socket_timeout=1.0, socket_connect_timeout=1.0)
    client = redis.Redis(connection_pool=pool)
    store = RedisEventStore(client, prefix="soak", ttl_s=600)
    try:
        serve_http(load_example_server(), host="127.0.0.1", port=args.port, event_store=store)
    finally:
        client.close()
        pool.disconnect()


if __name__ == "__main__":
    main()
