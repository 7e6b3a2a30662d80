"""Our own server in one of three era modes, for the "client not told the era" tests.

``python -m tests.modern_client.era_server MODE`` serves it over stdio;
:func:`build` returns it for HTTP (``server.start_http(port=0)``). MODE:

* ``dual``: the server as shipped (both eras on one endpoint / one process);
* ``legacy``: 2025-11-25 and older only (modern requests get -32022 listing the legacy versions);
* ``modern``: 2026-07-28 only.

The modes are made with the public ``Server(eras=...)`` option.
"""

from __future__ import annotations

import sys

from mcp_sync import Context, Server

NAME_FORM = {"type": "object", "properties": {"name": {"type": "string", "default": "Ada"}}}
MODES = ("dual", "legacy", "modern")
ERAS = {"dual": ("legacy", "modern"), "legacy": ("legacy",), "modern": ("modern",)}


def build(mode: str = "dual") -> Server:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    server = Server("era-test", version="4.0", eras=ERAS[mode])

    @server.tool()
    def plain(text: str = "hi") -> str:
        """Echoes its argument."""
        return f"plain: {text}"

    @server.tool()
    def interview(ctx: Context) -> str:
        """Elicit, sample and list roots: server requests (legacy) or three MRTR rounds (2026-07-28)."""
        name = ctx.elicit("Your name?", NAME_FORM)
        reply = ctx.sample(f"Greet {name.content['name']}", max_tokens=20)
        roots = ctx.list_roots()
        return f"{name.content['name']} / {reply.text} / {[r['uri'] for r in roots]}"

    @server.tool()
    def toggle_tool() -> str:
        """Adds or removes the tool ``extra`` (a tools list change)."""
        try:
            server.remove_tool("extra")
            return "removed"
        except KeyError:
            server.add_tool(lambda: "extra", name="extra", description="Comes and goes.")
            return "added"

    @server.tool()
    def touch(uri: str) -> int:
        """Announces that ``uri`` changed."""
        return server.notify_resource_updated(uri)

    @server.prompt()
    def briefing(topic: str, ctx: Context) -> str:
        """Asks for a name first."""
        who = ctx.elicit("Who is asking?", NAME_FORM)
        return f"Brief {who.content['name']} on {topic}."

    @server.resource("test://doc/{id}", mime_type="text/plain")
    def doc(id: str, ctx: Context) -> str:
        """Needs the reader's name."""
        reader = ctx.elicit("Who is reading?", NAME_FORM)
        return f"doc {id} for {reader.content['name']}"

    @server.resource("test://watched", mime_type="text/plain")
    def watched() -> str:
        """A resource one can subscribe to."""
        return "watched"

    return server


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else "dual").run("stdio")
