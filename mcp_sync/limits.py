"""Limits that protect a session from a misbehaving or hostile peer.

One :class:`Limits` value is passed to :class:`~mcp_sync.session.Session`
(``limits=``) and to the stream (stdio) transports (``limits=``); each
component enforces the fields that concern it. Every limit answers the
offending message with a JSON-RPC error and leaves the session usable.

================== ============= ===========================================================
Limit              Default       When exceeded
================== ============= ===========================================================
max_message_size   16 MiB        -32600 "Invalid request: message too large (the limit is N
                                 bytes)", id null; the line is skipped, never held whole
max_depth          64 levels     -32600 "Invalid request: JSON nested too deeply (the limit
                                 is N levels)" with the request's id (notifications and
                                 responses are not answered); -32700 "Parse error: ...",
                                 id null, when too deep to parse at all
max_in_flight      4096 requests -32000 "Server busy: N requests are already in flight on
                                 this session (the receiver's Limits.max_in_flight); retry
                                 after some complete", with the request's id
================== ============= ===========================================================

Streamable HTTP servers add their own limits, options of
:class:`mcp_sync.http.McpWsgiApp`: ``max_body_bytes`` (4 MiB, HTTP 413),
``max_sessions`` (1000, HTTP 503), ``max_streams_per_session`` (100 SSE
responses, HTTP 429), ``max_streams`` (1000 SSE responses, HTTP 503) and
``rate_limit`` (off; HTTP 429), each answered with a JSON-RPC error body; the
built-in HTTP server bounds how long a client may take to send a request
(``mcp_sync.http.wsgi_server``: ``HEADER_TIMEOUT``, ``BODY_TIMEOUT``) and how
many connections it holds (``MAX_CONNECTIONS``, the ``max_connections`` option).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MAX_STREAMS",
    "DEFAULT_MAX_STREAMS_PER_SESSION",
    "SERVER_BUSY",
    "Limits",
]

#: One message (one stdio line) at most 16 MiB: large enough for big resources
#: (a few MiB of base64 image) and small enough that one line cannot exhaust memory.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024

#: JSON nesting, counting the message object (and a batch array) as one level.
#: MCP's own structures need about 12 (a tools/list result with nested JSON
#: Schemas); 64 leaves room for deeply structured tool arguments and results
#: while staying well below the depth at which recursive consumers of a
#: message fail (jsonschema validation with a recursive ``$ref`` raises
#: RecursionError near 250 levels, ``copy.deepcopy`` near 330). Frames too
#: deep for the json parser itself (about 1000 levels up to Python 3.12) are
#: refused as parse errors whatever this value.
DEFAULT_MAX_DEPTH = 64

#: Incoming requests of one session being handled or queued for a worker.
#: Beyond it a request is refused at once instead of queueing without bound.
#: 4096 lets a client fan out thousands of calls at once (each queued request
#: costs about a kilobyte) while still bounding a flood.
DEFAULT_MAX_IN_FLIGHT = 4096

#: Streamable HTTP servers (:class:`mcp_sync.http.McpWsgiApp` options; None disables one).
#: Sessions open at once (initialize beyond it: HTTP 503). Each session costs a few
#: threads (its handler pool grows on demand), kept until DELETE or the idle timeout.
DEFAULT_MAX_SESSIONS = 1000
#: SSE responses open at once on one session (beyond: HTTP 429) and on the whole server
#: (beyond: HTTP 503). Each holds a connection and, in a threaded WSGI server, a thread.
DEFAULT_MAX_STREAMS_PER_SESSION = 100
DEFAULT_MAX_STREAMS = 1000

#: The error code for "too many requests in flight". JSON-RPC 2.0 reserves
#: -32000..-32099 for implementation-defined server errors, and MCP keeps
#: -32000..-32019 as the implementation-defined range (receivers give it no
#: meaning beyond "error"), so it is valid on every protocol revision and
#: distinct from -32603 (a handler failed).
SERVER_BUSY = -32000


@dataclass(frozen=True)
class Limits:
    """Per-session limits (all positive integers).

    * ``max_message_size``: bytes in one stdio line, enforced by
      :class:`~mcp_sync.transports.stream.StreamTransport` while reading (the
      line is skipped, never held in memory whole). HTTP servers have their own
      body limit (``max_body_bytes``).
    * ``max_depth``: JSON nesting of one message, enforced by
      :func:`mcp_sync.protocol.jsonrpc.parse`.
    * ``max_in_flight``: incoming requests of one session being handled or
      waiting for a worker thread, enforced by the session. ``ping`` and
      notifications are not counted.
    """

    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    max_depth: int = DEFAULT_MAX_DEPTH
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT

    def __post_init__(self) -> None:
        for name in ("max_message_size", "max_depth", "max_in_flight"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value!r}")


#: The limits used when none are given.
DEFAULT_LIMITS = Limits()
