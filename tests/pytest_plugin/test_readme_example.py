"""README's "Testing with pytest" example, run as written (with pytester) against a server that fits it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.rst"

MYSERVER = '''
    from dataclasses import dataclass

    from mcp_sync import Context, Server

    server = Server("myserver")


    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b


    @server.tool()
    def countdown(start: int, ctx: Context) -> str:
        """Count down with progress."""
        for i in range(1, start + 1):
            ctx.report_progress(i, start, f"{start - i} to go")
        return "Liftoff!"


    @dataclass
    class Name:
        name: str


    @server.tool()
    def greet(ctx: Context) -> str:
        """Ask for a name."""
        answer = ctx.elicit("Your name?", Name)
        ctx.info(f"greeted {answer.content.name}")
        return f"Hello, {answer.content.name}!"


    @server.tool(task_support="optional")
    def poem(topic: str, ctx: Context) -> str:
        """Ask the model."""
        return ctx.sample(f"A poem about {topic}", max_tokens=100).text


    if __name__ == "__main__":
        server.run()
'''


def readme_example() -> dict[str, str]:
    """The files of the README example: {"pytest.ini": ..., "test_myserver.py": ...}."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Testing with pytest\n==="):]
    block = re.search(r"then write plain tests::\n\n((?:   .*\n|\n)+)", section).group(1)
    files: dict[str, list[str]] = {}
    current = None
    for line in textwrap.dedent(block).splitlines():
        if re.fullmatch(r"# [\w.]+\.(ini|py)", line):
            current = line[2:]
            files[current] = []
        elif current is not None:
            files[current].append(line)
    return {name: "\n".join(lines).strip() + "\n" for name, lines in files.items()}


def test_the_readme_example_passes(pytester):
    files = readme_example()
    assert set(files) == {"pytest.ini", "test_myserver.py"}
    (pytester.path / "pytest.ini").write_text(files["pytest.ini"])
    (pytester.path / "test_myserver.py").write_text(files["test_myserver.py"])
    pytester.makepyfile(myserver=textwrap.dedent(MYSERVER))
    result = pytester.runpytest_subprocess("-p", "mcp_sync.pytest_plugin", "-p", "no:cacheprovider", timeout=300)
    result.assert_outcomes(passed=4)
