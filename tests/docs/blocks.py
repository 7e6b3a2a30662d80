"""The Python code blocks of the documentation pages (docs/**/*.rst).

Every ``.. code-block:: python`` directive counts, at any indentation (inside a
list, a definition list or a note too), with its options (``:caption:``...)
skipped. Literal blocks (``::``) are not Python: the site renders them as plain
text (``highlight_language = "text"`` in docs/conf.py).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<language>\S+)[ \t]*$")


@dataclass(frozen=True)
class Block:
    page: str     # path relative to docs/, e.g. "servers.rst"
    line: int     # 1-based line of the directive
    code: str     # dedented source

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def is_pytest_module(self) -> bool:
        """A block that defines test functions is a test module: it runs under pytest."""
        return re.search(r"^def test_\w+\(", self.code, re.M) is not None


def pages() -> list[Path]:
    return sorted(path for path in DOCS.rglob("*.rst") if "_build" not in path.parts)


def blocks_of(path: Path) -> list[Block]:
    path = path.resolve()
    page = path.relative_to(DOCS).as_posix() if path.is_relative_to(DOCS) else path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        i += 1
        if match is None or match.group("language") != "python":
            continue
        start = i
        indent = len(match.group("indent").expandtabs())
        # options: lines right after the directive, indented deeper, starting with ":"
        while i < len(lines) and lines[i].strip().startswith(":") and _indent(lines[i]) > indent:
            i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
            body.append(lines[i])
            i += 1
        code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        found.append(Block(page, start, code))
    return found


def all_blocks() -> list[Block]:
    return [block for path in pages() for block in blocks_of(path)]


def _indent(line: str) -> int:
    return len(line.expandtabs()) - len(line.expandtabs().lstrip())
