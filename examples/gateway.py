#!/usr/bin/env python3
"""A gateway: one MCP endpoint in front of several servers (mount + proxy).

    python examples/gateway.py               # serve over stdio (a desktop client starts it)
    python examples/gateway.py --http 8000   # or over Streamable HTTP
    python examples/gateway.py --demo        # start it on HTTP, call through it, print what happens

It serves, under one name:

* ``desk_*``: a local Server (room booking that asks the user to confirm, with
  elicitation), mounted with ``gateway.mount(desk, "desk")``;
* ``quick_*``: ``examples/quickstart_server.py``, a separate process, through a
  ``ProxyServer`` mounted with ``gateway.mount(quick, "quick")``. Its progress
  reaches the gateway's client across both hops.
"""

from __future__ import annotations

import os
import sys

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Client, Context, Server
from mcp_sync.proxy import ProxyServer

HERE = os.path.dirname(os.path.abspath(__file__))


def build_desk() -> Server:
    desk = Server("desk")
    booked: list[str] = []

    @desk.tool()
    def book_room(ctx: Context, room: str) -> str:
        """Book a meeting room, after the user confirms."""
        answer = ctx.elicit(f"Book room {room}?", {"type": "object", "properties": {"confirm": {"type": "boolean"}},
                                                  "required": ["confirm"]})
        if answer.action != "accept" or not answer.content["confirm"]:
            return f"{room} not booked"
        booked.append(room)
        return f"{room} booked"

    @desk.resource("desk://rooms", mime_type="text/plain")
    def rooms() -> str:
        """The rooms that can be booked."""
        return "Ada, Grace, Linus"

    @desk.prompt()
    def agenda(topic: str) -> str:
        """Draft a meeting agenda."""
        return f"Draft an agenda for a meeting about {topic}."

    return desk


def build_gateway() -> tuple[Server, ProxyServer]:
    """The gateway, and the proxy it mounts (close it when done: it owns the quickstart process)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(HERE), env.get("PYTHONPATH")) if p)
    quick = ProxyServer([sys.executable, os.path.join(HERE, "quickstart_server.py")], env=env)
    gateway = Server("gateway", version="1.0", instructions="Rooms (desk_*) and arithmetic (quick_*).")
    gateway.mount(build_desk(), "desk")
    gateway.mount(quick, "quick")
    return gateway, quick


def demo() -> None:
    gateway, quick = build_gateway()
    handle = gateway.start_http()
    try:
        confirm = lambda params: {"action": "accept", "content": {"confirm": True}}  # noqa: E731
        with Client.http(handle.url, elicitation=confirm) as client:
            print("tools:", ", ".join(tool.name for tool in client.list_tools()))
            print("quick_add(2, 3) =", client.call_tool("quick_add", {"a": 2, "b": 3}).structured_content["result"])
            steps: list[str] = []
            result = client.call_tool("quick_countdown", {"start": 2, "delay": 0},
                                      progress=lambda done, total, message: steps.append(message))
            print("quick_countdown:", result.content[0].text, steps)
            print("desk_book_room:", client.call_tool("desk_book_room", {"room": "Ada"}).content[0].text)
            print("resources:", [resource.uri for resource in client.list_resources()])
            print("about:", client.read_resource("quickstart://quick/about").contents[0].text)
            print("prompt:", client.get_prompt("desk_agenda", {"topic": "MCP"}).messages[0].content.text)
    finally:
        handle.stop()
        quick.close()


def main(argv: list[str]) -> None:
    if "--demo" in argv:
        demo()
        return
    gateway, quick = build_gateway()
    try:
        if "--http" in argv:
            gateway.run("http", port=int(argv[argv.index("--http") + 1]))
        else:
            gateway.run()  # stdio
    finally:
        quick.close()


if __name__ == "__main__":
    main(sys.argv[1:])
