"""The server's middleware chain: one place around every request and notification it handles.

A middleware is a function ``(call, call_next) -> result``::

    def timing(call: Call, call_next: CallNext) -> Any:
        start = time.perf_counter()
        try:
            return call_next(call)
        finally:
            log.info("%s took %.1f ms", call.method, (time.perf_counter() - start) * 1000)

    server.add_middleware(timing)                          # every method
    server.add_middleware(audit, methods=["tools/call"])   # only these

It sees the method, the params, the era, the protocol version, the
client's identity and info, and may:

- pass the call on unchanged: ``return call_next(call)``;
- transform it: ``return call_next(call.replace(params=...))``, or change
  the result ``call_next`` returns;
- short-circuit: return a result without calling ``call_next``, or raise
  :class:`~mcp_sync.errors.McpError` (the client receives that error);
- observe errors: ``try: ... except McpError: ...``.

The chain runs in both eras and on every transport: for a legacy session
(after era routing, before ``initialize`` handling, so it sees
``initialize`` and ``ping`` too) and for each stateless 2026-07-28 request
(it sees ``server/discover`` too, and ``subscriptions/listen``, whose
``call_next`` returns once the subscription is open). Middlewares run in the order they were added,
the first added outermost. For a notification ``call.kind`` is
``"notification"`` and the result is ignored; raising drops the
notification. A 2026-07-28 ``tools/call`` that needs input from the client
runs once per ``input_required`` round, so the chain sees each round.
Ready-made middlewares are in :mod:`mcp_sync.server.middlewares`.

Middleware runs on the request's worker thread, never on a transport's
reader; it may block. With no middleware the chain costs one attribute
read per request.
"""

# The chain itself lives in mcp_sync.middleware, below both roles: the client runs the same chain
# around what it sends. This module keeps the server-side names (and this guide) where they were.
from ..middleware import (NOTIFICATION, REQUEST, Call, CallNext, Middleware, MiddlewareChain,  # noqa: F401
                          identity_of)

__all__ = ["Call", "CallNext", "Middleware", "MiddlewareChain", "REQUEST", "NOTIFICATION", "identity_of"]
