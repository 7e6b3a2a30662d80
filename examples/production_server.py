#!/usr/bin/env python3
"""A server set up for production: error masking, structured logs, rate limits, response limits,
response caching and, when OpenTelemetry is installed, tracing.

    python examples/production_server.py                    # serve one client over stdio
    mcp-sync run examples/production_server.py --http 8000  # or over Streamable HTTP

Its structured call log goes to stderr (one JSON object a line). Set
``OTEL_CONSOLE=1`` to print its spans on stderr too (needs
``opentelemetry-sdk``); a real deployment points the SDK at its collector
instead.
"""

from __future__ import annotations

import logging
import os
import sys

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Server
from mcp_sync.server.middlewares import (
    ErrorMasking,
    RateLimiting,
    ResponseCaching,
    ResponseSizeLimit,
    StructuredLogging,
)

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")

# lists and reads may be cached by clients (and by ResponseCaching) for 30 s, per user
server = Server("production-demo", version="1.0", cache_ttl_ms=30_000, cache_scope="private")

server.add_middleware(ErrorMasking())  # first: masks what every later step raises
if os.environ.get("OTEL_CONSOLE") == "1":
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    from mcp_sync.otel import ServerTracing

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    trace.set_tracer_provider(provider)
    server.add_middleware(ServerTracing())
server.add_middleware(StructuredLogging())
server.add_middleware(RateLimiting(rate=2, burst=5), methods=["tools/call"])  # per authenticated user
server.add_middleware(ResponseSizeLimit(64 * 1024))
server.add_middleware(ResponseCaching())

INVENTORY = {"apples": 12, "pears": 0}


@server.tool()
def stock(item: str) -> int:
    """How many of `item` are in stock."""
    return INVENTORY[item]  # an unknown item raises KeyError: the client sees a masked error


@server.tool()
def report(lines: int) -> str:
    """A report of `lines` lines (large reports are refused)."""
    return "\n".join(f"line {n}: all quiet" for n in range(lines))


@server.resource("inventory://summary", mime_type="text/plain")
def summary() -> str:
    """The whole inventory."""
    return ", ".join(f"{name}: {count}" for name, count in sorted(INVENTORY.items()))


if __name__ == "__main__":
    server.run()
