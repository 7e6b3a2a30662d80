#!/usr/bin/env python3
"""Start examples/quickstart_server.py over stdio, list its tools and call each one.

    python examples/quickstart_client.py      # or: make example

Every call blocks until its result is in; ``countdown`` shows the progress
notifications the server sends while it runs.
"""

from __future__ import annotations

import os
import sys

try:
    import mcp_sync  # noqa: F401
except ImportError:  # run from a checkout without installing: use the package beside examples/
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcp_sync import Client

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quickstart_server.py")


def show_progress(progress: float, total: float | None, message: str | None) -> None:
    print(f"  progress {progress:g}/{total:g}: {message}", flush=True)


def main() -> None:
    # The same interpreter runs the server, so it finds mcp_sync exactly as we did.
    with Client.stdio([sys.executable, SERVER]) as client:
        info = client.server_info
        print(f"connected to {info.name} {info.version} (protocol {client.protocol_version})")
        print(f"instructions: {client.instructions}")

        print("tools:")
        for tool in client.list_tools():
            print(f"  {tool.name}: {tool.description}")

        result = client.call_tool("add", {"a": 2, "b": 3})
        print(f"add(2, 3) = {result.structured_content['result']}")

        result = client.call_tool("greet", {"name": "Ada", "excited": True})
        print(f"greet: {result.content[0].text}")

        print("countdown(start=3):")
        result = client.call_tool("countdown", {"start": 3}, progress=show_progress)
        print(f"  {result.content[0].text}")

        # A tool failure is a result with is_error set, not an exception.
        result = client.call_tool("countdown", {"start": -1})
        print(f"countdown(start=-1) failed as expected: {result.is_error}: {result.content[0].text}")

        # Calls can also run concurrently: nowait returns futures.
        futures = [client.nowait.call_tool("add", {"a": i, "b": i}) for i in range(5)]
        print("doubles:", [future.result().structured_content["result"] for future in futures])

        resource = client.read_resource("quickstart://about")
        print(f"resource: {resource.contents[0].text}")
        prompt = client.get_prompt("review", {"code": "print('hi')"})
        print(f"prompt: {prompt.messages[0].content.text.splitlines()[0]}")


if __name__ == "__main__":
    main()
