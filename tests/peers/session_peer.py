"""A bare Session over stdio, for engine tests (no MCP roles involved).

Methods: ``echo`` returns its params; ``block`` waits until cancelled, then
sends ``peer/cancelled``; ``fanout`` sends ``n`` concurrent ``client/echo``
requests back and returns their results; ``stderr`` writes a line to stderr;
``crash`` exits the process at once with code 3.
Environment: PEER_WORKERS (pool size), PEER_MAX_LINE (bytes), PEER_VERSION.
"""

import os
import sys
import threading

from mcp_sync.errors import McpError
from mcp_sync.session import Session
from mcp_sync.transports.stdio import stdio_server_transport


def on_request(request):
    method, params = request.method, request.params
    if method == "echo":
        return params
    if method == "block":
        request.cancelled.wait()
        request.notify("peer/cancelled", {"id": request.id, "reason": request.cancel_reason})
        return {}
    if method == "fanout":
        futures = [request.send_request("client/echo", {"i": i}) for i in range(params["n"])]
        return {"results": [f.result(timeout=30)["i"] for f in futures]}
    if method == "stderr":
        sys.stderr.write(params["text"] + "\n")
        sys.stderr.flush()
        return {}
    if method == "crash":
        sys.stderr.write("peer: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    if method == "fail":
        raise McpError(-32099, "custom failure", {"detail": 1})
    if method == "explode":
        raise RuntimeError("secret internal detail")
    raise McpError(-32601, f"Method not found: {method}")


def main():
    transport = stdio_server_transport(max_line=int(os.environ.get("PEER_MAX_LINE", 16 * 1024 * 1024)))
    session = Session(transport, on_request=on_request, name="peer",
                      max_workers=int(os.environ.get("PEER_WORKERS", "16")))
    session.protocol_version = os.environ.get("PEER_VERSION") or None
    session.start()
    session.closed.wait()
    session.close()
    threading_left = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if threading_left:
        sys.stderr.write(f"peer: threads left: {threading_left}\n")


if __name__ == "__main__":
    main()
