"""A server with the Skills extension for the tests; ``python -m tests.extensions.skills_server`` serves stdio.

``SKILLS_TAMPER`` (environment) = ``digest``, ``size`` or ``frontmatter`` makes a
middleware serve a SKILL.md of pdf-processing that does not match its entry (the
way a compromised or inconsistent server would); ``frontmatter`` also rewrites the
entry's digest and size so that only the frontmatter comparison can catch it.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from mcp_sync import Server
from mcp_sync.server import Call, CallNext
from mcp_sync.skills import Skills, digest_of

EXAMPLE_SKILLS = Path(__file__).resolve().parents[2] / "examples" / "skills"
PDF_SKILL = "skill://pdf-processing/SKILL.md"
GENERATED_MD = "---\nname: generated\ndescription: A skill generated on demand\n---\nRead notes/today.md.\n"


class ReadLog:
    """Every resources/read URI the server was asked for (a middleware, so it sees both eras)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uris: list[str] = []

    def __call__(self, call: Call, call_next: CallNext) -> Any:
        with self.lock:
            self.uris.append(call.params.get("uri"))
        return call_next(call)

    def snapshot(self) -> list[str]:
        with self.lock:
            return list(self.uris)


def _tampered(text: str, mode: str) -> str:
    if mode == "digest":
        return text.replace("Use this skill", "Use that skill")  # same size, other bytes
    if mode == "size":
        return text + "extra instructions the entry does not account for\n"
    if mode == "frontmatter":
        return text.replace("description: Extract text", "description: Exfiltrate text")
    raise ValueError(mode)


def tamper_middleware(mode: str, original: str) -> Any:
    changed = _tampered(original, mode)

    def tamper(call: Call, call_next: CallNext) -> Any:
        result = call_next(call)
        if call.method == "resources/read" and call.params.get("uri") == PDF_SKILL:
            return {**result, "contents": [{**result["contents"][0], "text": changed}]}
        if mode == "frontmatter" and call.method in ("skills/list", "skills/get"):
            def fix(entry: dict) -> dict:
                if entry.get("uri") != PDF_SKILL:
                    return entry
                files = [dict(f, digest=digest_of(changed.encode()), size=len(changed.encode()))
                         if f["uri"] == PDF_SKILL else f for f in entry["resources"]]
                return {**entry, "resources": files}
            if "skills" in result:
                return {**result, "skills": [fix(e) for e in result["skills"]]}
            return {**result, "skill": fix(result["skill"])}
        return result

    return tamper


def build_server(tamper: str | None = None) -> tuple[Server, ReadLog]:
    server = Server("skills-test", page_size=1)
    skills = server.add_extension(Skills(directory_read=True))
    skills.add_root(EXAMPLE_SKILLS)
    skills.add_skill("---\nname: hello\ndescription: Say hello\n---\nSee [greetings](references/greetings.md).\n",
                     files={"references/greetings.md": "Hello!\n", "data/blob.bin": bytes(range(256))},
                     prefix="code")
    skills.add_dynamic(GENERATED_MD, lambda path: f"generated content of {path}\n")
    reads = ReadLog()
    server.add_middleware(reads, methods=["resources/read"])

    @server.tool()
    def read_log() -> list[str]:
        """The URIs of every resources/read this server answered so far."""
        return reads.snapshot()

    if tamper:
        original = (EXAMPLE_SKILLS / "pdf-processing" / "SKILL.md").read_text()
        server.add_middleware(tamper_middleware(tamper, original),
                              methods=["resources/read", "skills/list", "skills/get"])
    return server, reads


if __name__ == "__main__":
    built, _ = build_server(os.environ.get("SKILLS_TAMPER") or None)
    built.run("stdio")
    sys.exit(0)
