"""Re-export shim: the SSE encoder and parser moved to :mod:`mcp_sync.protocol.sse` (they do no I/O).

Both the server's HTTP code and the HTTP client transport use them, so they
belong below both.
"""

from ..protocol.sse import KEEPALIVE, SSE_HEADERS, SseEvent, SseParser, encode_event

__all__ = ["KEEPALIVE", "SSE_HEADERS", "SseEvent", "SseParser", "encode_event"]
