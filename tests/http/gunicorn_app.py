"""``gunicorn tests.http.gunicorn_app:app``: the HTTP test server as a bare WSGI app at /mcp."""

from tests.http.app_server import build_server

app = build_server().wsgi_app(path="/mcp", keepalive=1.0)
