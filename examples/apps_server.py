#!/usr/bin/env python3
"""An MCP Apps example: a dice tool whose results a host can show in an interactive page.

    python examples/apps_server.py              # stdio
    python examples/apps_server.py --port 8000  # Streamable HTTP at http://127.0.0.1:8000/mcp

``roll_dice`` links ``ui://dice/app.html`` from its ``_meta.ui.resourceUri``; the
page (served as ``text/html;profile=mcp-app``) talks to the host over
``postMessage`` JSON-RPC: it renders the tool result the host sends it
(``ui/notifications/tool-result``) and can roll again through ``tools/call``.
Clients without Apps get the same result as text.
"""

from __future__ import annotations

import argparse
import os
import random
import sys

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Context, Server
from mcp_sync.apps import Apps, client_supports_apps

DICE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Dice</title></head>
<body>
  <p id="faces">Waiting for a roll...</p>
  <button id="again">Roll again</button>
  <script>
    let nextId = 1;
    const pending = new Map();
    function request(method, params) {
      const id = nextId++;
      window.parent.postMessage({jsonrpc: "2.0", id, method, params}, "*");
      return new Promise((resolve) => pending.set(id, resolve));
    }
    function show(result) {
      const faces = (result.structuredContent || {}).faces || [];
      document.getElementById("faces").textContent = faces.join("  ");
    }
    window.addEventListener("message", (event) => {
      const message = event.data || {};
      if (message.id !== undefined && pending.has(message.id)) {
        pending.get(message.id)(message.result); pending.delete(message.id);
      } else if (message.method === "ui/notifications/tool-result") {
        show(message.params);
      }
    });
    document.getElementById("again").onclick = async () =>
      show(await request("tools/call", {name: "roll_dice", arguments: {count: 2}}));
    request("ui/initialize", {appInfo: {name: "dice", version: "1.0.0"}, appCapabilities: {},
                              protocolVersion: "2026-01-26"})
      .then(() => window.parent.postMessage({jsonrpc: "2.0", method: "ui/notifications/initialized"}, "*"));
  </script>
</body></html>
"""

server = Server("dice", version="1.0.0")
apps = server.add_extension(Apps())
apps.add_html_resource("ui://dice/app.html", DICE_HTML, name="dice-app", description="Shows dice rolls",
                       prefers_border=True)


@apps.tool(resource_uri="ui://dice/app.html", visibility=["model", "app"])
def roll_dice(ctx: Context, count: int = 2) -> dict:
    """Roll some six-sided dice."""
    faces = [random.randint(1, 6) for _ in range(max(1, min(count, 10)))]
    if not client_supports_apps(ctx):
        ctx.info("this client shows no apps: the result is plain data")
    return {"faces": faces, "total": sum(faces)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None, help="serve Streamable HTTP on 127.0.0.1:PORT")
    args = parser.parse_args(argv)
    if args.port is None:
        server.run("stdio")
    else:
        server.run("http", host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
