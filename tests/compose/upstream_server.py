"""The upstream server of the composition tests: every kind of definition, and asks back to its client.

``python upstream_server.py`` serves stdio; ``--http`` serves Streamable HTTP on a free port (its
URL on stderr); ``--eras legacy|modern`` serves one era only; ``--ttl MS`` sets the 2026-07-28 ``ttlMs`` hint.
"""

from __future__ import annotations

import sys

from mcp_sync import Context, McpError, Server


def build(eras: str = "legacy,modern", ttl_ms: int = 0) -> Server:
    server = Server("upstream", version="2.0", instructions="The upstream of the composition tests.",
                    eras=tuple(eras.split(",")), cache_ttl_ms=ttl_ms)

    @server.tool(title="Add")
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    def ask_name(ctx: Context, greeting: str = "Hello") -> str:
        """Ask the user's name (form elicitation), then greet them."""
        answer = ctx.elicit("What is your name?", {"type": "object", "properties": {"name": {"type": "string"}},
                                                   "required": ["name"]})
        if answer.action != "accept":
            return f"{greeting}, whoever you are ({answer.action})"
        return f"{greeting}, {answer.content['name']}!"

    @server.tool()
    def name_or_default(ctx: Context) -> str:
        """Ask the user's name; a client that cannot be asked gets a default."""
        try:
            answer = ctx.elicit("What is your name?", {"type": "object", "properties": {"name": {"type": "string"}}})
        except McpError as exc:
            return f"stranger (code {exc.code})"
        return answer.content["name"] if answer.action == "accept" else "stranger"

    @server.tool()
    def summarize(ctx: Context, text: str) -> str:
        """Ask the client's model to summarize ``text`` (sampling)."""
        result = ctx.sample(f"Summarize: {text}", max_tokens=50)
        return f"summary: {result.text}"

    @server.tool()
    def count_roots(ctx: Context) -> str:
        """List the client's roots."""
        return ",".join(root["uri"] for root in ctx.list_roots())

    @server.tool()
    def steps(ctx: Context, n: int) -> int:
        """Report progress n times and log each step."""
        for i in range(1, n + 1):
            ctx.report_progress(i, n, f"step {i}")
            ctx.info(f"did step {i}")
        return n

    @server.tool()
    def fail(message: str) -> str:
        """Always raises."""
        raise RuntimeError(message)

    @server.tool()
    def add_tool(name: str) -> str:
        """Register a new tool named ``name`` (announced with list_changed)."""
        server.add_tool(lambda: f"I am {name}", name=name, description=f"Made at run time: {name}")
        return name

    @server.resource("data://readme", mime_type="text/plain")
    def readme() -> str:
        """What this server is."""
        return "upstream readme"

    @server.resource("data://items/{item_id}")
    def item(item_id: str) -> dict:
        """One item."""
        return {"id": item_id}

    @server.prompt()
    def review(code: str, language: str = "python") -> str:
        """Review some code.

        :param code: the code to review
        :param language: its language
        """
        return f"Please review this {language}: {code}"

    @server.completion(prompt="review", argument="language")
    def languages(value: str) -> list[str]:
        return [name for name in ("python", "perl", "rust") if name.startswith(value)]

    return server


server = build()

if __name__ == "__main__":
    eras = sys.argv[sys.argv.index("--eras") + 1] if "--eras" in sys.argv else "legacy,modern"
    ttl = int(sys.argv[sys.argv.index("--ttl") + 1]) if "--ttl" in sys.argv else 0
    if "--http" in sys.argv:
        build(eras, ttl).run("http", port=0)
    else:
        build(eras, ttl).run()
