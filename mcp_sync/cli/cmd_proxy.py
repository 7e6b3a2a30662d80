"""``mcp-sync proxy TARGET [--http PORT]``: bridge stdio and Streamable HTTP, either way.

The proxy is a :class:`~mcp_sync.proxy.ProxyServer` for TARGET, served over
stdio (default) or Streamable HTTP (``--http``). So a stdio-only desktop client
reaches a remote HTTP server with ``mcp-sync proxy https://host/mcp``, and a
stdio server is published over HTTP with ``mcp-sync proxy --http 8000 --
python server.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from .cmd_inspect import add_target_options
from .common import EXIT_CONNECTION, EXIT_OK, UsageError, parse_env, parse_headers, resolve_target, say

HELP = "bridge stdio and Streamable HTTP: serve TARGET over stdio (default) or --http"

#: The environment variable holding the token ``--require-token`` asks for (safer than the command line).
TOKEN_ENV = "MCP_SYNC_PROXY_TOKEN"

DESCRIPTION = f"""\
Serve the MCP server TARGET as a local server: over stdio (the default: for a
desktop client that only speaks stdio) or over Streamable HTTP with --http
PORT (to publish a stdio server). Everything is forwarded both ways in either
protocol era: tools, resources, prompts, completions, progress and log
messages, and what the server asks back (elicitation, sampling, roots).

TARGET is a URL (http:// or https://), a Python FILE[:OBJECT] (started with
`mcp-sync run`), or a command after `--`.

Authentication of the upstream HTTP server: --header 'Authorization: Bearer
TOKEN' (repeatable), or OAuth: --oauth-client-id/--oauth-client-secret (the
client-credentials grant, machine to machine), or --oauth (authorization code:
opens a browser once; --oauth-token-file keeps the tokens between runs).

Authentication of the served HTTP endpoint: --require-token asks every
request for `Authorization: Bearer <token>`, the token being read from
${TOKEN_ENV}.

examples:
  mcp-sync proxy http://127.0.0.1:8000/mcp -H 'Authorization: Bearer abc'
  mcp-sync proxy --http 8000 -- python examples/quickstart_server.py
  {TOKEN_ENV}=secret mcp-sync proxy --http 8000 --require-token examples/quickstart_server.py
"""


def add_parser(subparsers: Any, epilog: str) -> None:
    parser = subparsers.add_parser(
        "proxy", help=HELP, description=DESCRIPTION, epilog=epilog, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] (URL | FILE[:OBJECT] | -- COMMAND [ARG ...])")
    parser.add_argument("target", nargs="?", metavar="URL | FILE[:OBJECT]", help="the upstream server")
    parser.add_argument("--http", metavar="PORT", type=int, default=None,
                        help="serve Streamable HTTP on PORT (0: any free port) instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on with --http (default: 127.0.0.1)")
    parser.add_argument("--path", default="/mcp", help="the MCP endpoint path with --http (default: /mcp)")
    parser.add_argument("--name", default=None, help="the proxy's server name (default: the upstream's)")
    parser.add_argument("--protocol", default=None, metavar="ERA",
                        help="the era spoken to the upstream: auto (default), legacy, modern, or a version")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="for connecting and for each forwarded request (default: 60)")
    parser.add_argument("--max-clients", type=int, default=None, metavar="N",
                        help="upstream connections used at most at once (default: 4 for a URL; 1 for a command, "
                             "whose every connection is a separate process)")
    parser.add_argument("--oauth", action="store_true",
                        help="authorize with OAuth (authorization code in a browser) against a URL target")
    parser.add_argument("--oauth-client-id", default=None, metavar="ID", help="a pre-registered OAuth client id")
    parser.add_argument("--oauth-client-secret", default=None, metavar="SECRET",
                        help="with --oauth-client-id: use the client-credentials grant (no browser)")
    parser.add_argument("--oauth-scope", default=None, metavar="SCOPES", help="scopes to ask for (space separated)")
    parser.add_argument("--oauth-token-file", default=None, metavar="PATH",
                        help="keep OAuth registrations and tokens in this JSON file")
    parser.add_argument("--require-token", action="store_true",
                        help=f"with --http: require 'Authorization: Bearer ${TOKEN_ENV}' on every request")
    add_target_options(parser)
    parser.set_defaults(handler=proxy_command)


def oauth_for(args: argparse.Namespace) -> tuple[Any, Any]:
    """The ``requests`` auth for the upstream (an OAuthClientAuth) and its redirect handler, or Nones.

    Close both when done (the handler holds the loopback port).
    """
    wanted = args.oauth or args.oauth_client_id or args.oauth_client_secret
    if not wanted:
        if args.oauth_scope or args.oauth_token_file:
            raise UsageError("--oauth-scope and --oauth-token-file need --oauth or --oauth-client-id")
        return None, None
    if args.oauth_client_secret and not args.oauth_client_id:
        raise UsageError("--oauth-client-secret needs --oauth-client-id")
    from ..client.auth import (ClientCredentialsGrant, JsonFileTokenStorage, LoopbackRedirectHandler,
                               OAuthClientAuth)

    options: dict[str, Any] = {"client_id": args.oauth_client_id, "client_name": "mcp-sync proxy",
                               "timeout": args.timeout}
    if args.oauth_scope:
        options["scopes"] = args.oauth_scope
    if args.oauth_token_file:
        options["storage"] = JsonFileTokenStorage(args.oauth_token_file)
    if args.oauth_client_secret:
        return OAuthClientAuth(grant=ClientCredentialsGrant(), client_secret=args.oauth_client_secret, **options), None

    def show(url: str) -> None:  # stdout may be the protocol stream: the URL goes to stderr
        say(f"mcp-sync proxy: authorize in your browser: {url}", file=sys.stderr)
        import webbrowser

        webbrowser.open(url)

    browser = LoopbackRedirectHandler(open_browser=show)
    try:
        return OAuthClientAuth(redirect_handler=browser, **options), browser
    except BaseException:
        browser.close()
        raise


class _RequireToken:
    """The proxy's WSGI app behind a bearer token check (keeps the ``path``/``close`` of the app)."""

    def __init__(self, app: Any, token: str) -> None:
        from ..server.auth import BearerAuthMiddleware, StaticTokenVerifier

        self.app = app
        self.path = app.path
        self._guarded = BearerAuthMiddleware(app, StaticTokenVerifier({token: []}))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._guarded(environ, start_response)

    def close(self) -> None:
        self.app.close()


def proxy_command(args: argparse.Namespace) -> int:
    if args.http is None and (args.host != "127.0.0.1" or args.path != "/mcp" or args.require_token):
        raise UsageError("--host, --path and --require-token only apply with --http PORT")
    if args.http is not None and not 0 <= args.http <= 65535:
        raise UsageError(f"--http: {args.http} is not a port number (0-65535)")
    token = os.environ.get(TOKEN_ENV) if args.require_token else None
    if args.require_token and not token:
        raise UsageError(f"--require-token reads the token from ${TOKEN_ENV}, which is not set")
    target = resolve_target(args.target, args.command)
    headers = parse_headers(args.header)
    env = parse_env(args.env)
    if target.url is None and (headers or args.oauth or args.oauth_client_id):
        raise UsageError("--header and --oauth options apply to a URL target")
    if target.url is not None and env:
        raise UsageError("--env applies to a command target")
    auth, browser = oauth_for(args) if target.url is not None else (None, None)
    from ..proxy import ProxyServer

    if target.url is not None:
        upstream: Any = target.url
        options: dict[str, Any] = {"headers": headers, "auth": auth}
    else:
        upstream = target.command
        options = {"env": {**os.environ, **target.env, **env}}
    stdio = args.http is None
    # Over stdio, stdout is the protocol stream: nothing else may be printed on it.
    proxy = None
    try:
        with contextlib.redirect_stdout(sys.stderr) if stdio else contextlib.nullcontext():
            proxy = ProxyServer(upstream, name=args.name, protocol=args.protocol, timeout=args.timeout,
                                max_clients=args.max_clients, **options)
        if stdio:
            proxy.run()
            return EXIT_OK
        return _serve_http(proxy, args, token)
    finally:
        if proxy is not None:
            proxy.close()
        if auth is not None:
            auth.close()
        if browser is not None:
            browser.close()


def _serve_http(proxy: Any, args: argparse.Namespace, token: str | None) -> int:
    from ..http import McpWsgiApp
    from ..http.builtin_server import HttpServerHandle

    import signal

    loopback = args.host in ("127.0.0.1", "localhost", "::1", "[::1]")
    # Like `mcp-sync run --http`: off loopback, Host is not checked (Origin still is).
    app: Any = McpWsgiApp(proxy, path=args.path, allowed_hosts=None if loopback else ["*"])
    if token is not None:
        app = _RequireToken(app, token)
    try:
        handle = HttpServerHandle(app, args.host, args.http)
    except OSError as exc:
        app.close()
        say(f"mcp-sync: error: cannot serve on {args.host}:{args.http}: {exc}", file=sys.stderr)
        return EXIT_CONNECTION
    say(f"MCP proxy {proxy.name!r} listening on {handle.url}", file=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a supervisor's stop: shut down like Ctrl-C
    try:
        handle.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
