"""An MCP server mounted inside a Flask application, beside its ordinary routes.

Serve it with any threaded WSGI server, for instance gunicorn with threaded
workers (one process: MCP sessions live in that process's memory)::

    gunicorn -k gthread --threads 8 -w 1 -b 127.0.0.1:8000 examples.flask_app:app

Then ``http://127.0.0.1:8000/`` is a Flask page and ``http://127.0.0.1:8000/mcp``
the MCP endpoint (Streamable HTTP)::

    from mcp_sync import Client
    with Client.http("http://127.0.0.1:8000/mcp") as client:
        print(client.call_tool("add", {"a": 1, "b": 2}))

The MCP app accepts only loopback ``Host``/``Origin`` headers by default (DNS
rebinding protection). Behind a real domain, pass ``allowed_hosts=["example.com"]``
(and ``allowed_origins=[...]`` for browser clients) to ``wsgi_app()``.
"""

from __future__ import annotations

import atexit

from flask import Flask, jsonify
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from mcp_sync import Server

mcp = Server("flask-demo", version="1.0")


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@mcp.tool()
def greet(name: str) -> str:
    """Say hello."""
    return f"Hello, {name}!"


app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(service="flask-demo", mcp_endpoint="/mcp")


@app.get("/health")
def health():
    return jsonify(ok=True, mcp_sessions=len(mcp_app.sessions()))


# The MCP endpoint is the root of the mounted app: requests to /mcp reach it with
# SCRIPT_NAME="/mcp" and PATH_INFO="".
mcp_app = mcp.wsgi_app(path="/")
app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/mcp": mcp_app})  # type: ignore[method-assign]
# End the MCP sessions (and join their threads) when the worker process exits.
atexit.register(mcp_app.close)
