"""``mcp-sync skills list|show|fetch``: the Skills extension (SEP-2640) from the command line.

* ``skills list TARGET``: the skills the server lists (``skills/list``; no file is read);
* ``skills show TARGET SKILL``: one entry (``skills/get``) and its SKILL.md, verified;
* ``skills fetch TARGET SKILL --dest DIR``: every file of the skill, verified, written to ``DIR/<name>/``.

SKILL is the SKILL.md URI (``skill://pdf-processing/SKILL.md``) or a listed skill's name.
A file that fails verification (digest, size, frontmatter) is refused: nothing is
printed or written from it, and the command exits 3.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .cmd_inspect import add_target_options
from .common import DEFAULT_TIMEOUT, EXIT_CONNECTION, EXIT_OK, UsageError, dumps, open_client, parse_env, \
    parse_headers, resolve_target, say

HELP = "list, show and fetch the skills a server offers (Skills extension)"

DESCRIPTION = """\
Use the Skills extension (io.modelcontextprotocol/skills, SEP-2640).

  skills list  TARGET                 the skills the server lists (reads no file)
  skills show  TARGET SKILL           one skill's entry and its verified SKILL.md
  skills fetch TARGET SKILL --dest DIR  write the verified skill to DIR/<name>/

SKILL is a SKILL.md URI (skill://.../SKILL.md) or the name of a listed skill.
Every file read is checked against the skill's entry (size, sha256 digest, and
SKILL.md's frontmatter); a mismatch is refused and exits with 3.

examples:
  mcp-sync skills list -- python examples/everything_server.py --stdio
  mcp-sync skills show http://127.0.0.1:8000/mcp pdf-processing
  mcp-sync skills fetch http://127.0.0.1:8000/mcp skill://pdf-processing/SKILL.md --dest ./skills
"""


def add_parser(subparsers: Any, epilog: str) -> None:
    parser = subparsers.add_parser(
        "skills", help=HELP, description=DESCRIPTION, epilog=epilog, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="skills_action", metavar="ACTION")
    actions.required = True
    for name, handler, text, usage in (
            ("list", list_command, "list the skills (no file is read)", "[TARGET]"),
            ("show", show_command, "show a skill's entry and its verified SKILL.md", "[TARGET] SKILL"),
            ("fetch", fetch_command, "write a verified skill to a local directory", "[TARGET] SKILL --dest DIR")):
        action = actions.add_parser(
            name, help=text, description=DESCRIPTION, epilog=epilog, allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            usage=f"%(prog)s [options] {usage}   (TARGET: URL | FILE[:OBJECT] | -- COMMAND [ARG ...])")
        action.add_argument("items", nargs="*", metavar="ARG", help=argparse.SUPPRESS)
        action.add_argument("--json", action="store_true", help="print JSON instead of text")
        action.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                            help=f"for connecting and for each request (default: {DEFAULT_TIMEOUT:g})")
        if name == "fetch":
            action.add_argument("--dest", required=True, metavar="DIR", help="where to write the skill")
        add_target_options(action)
        action.set_defaults(handler=handler, accepts_extra_positionals=True, skills_wants=0 if name == "list" else 1)


def _split(args: argparse.Namespace) -> tuple[str | None, str | None]:
    items = list(args.items)
    wants = args.skills_wants
    target_given = args.command is None
    expected = wants + (1 if target_given else 0)
    if len(items) != expected:
        need = ("TARGET " if target_given else "") + ("SKILL" if wants else "")
        raise UsageError(f"expected {need.strip() or 'nothing more'}, got {' '.join(items) or 'nothing'}")
    target = items[0] if target_given else None
    skill = items[-1] if wants else None
    return target, skill


def _client(args: argparse.Namespace, target_text: str | None) -> Any:
    target = resolve_target(target_text, args.command)
    return open_client(target, headers=parse_headers(args.header), env=parse_env(args.env), timeout=args.timeout,
                       server_stderr=sys.stderr if args.verbose else None)


def _require_skills(client: Any) -> None:
    if not client.skills.available:
        raise UsageError("the server does not offer skills (it did not declare io.modelcontextprotocol/skills)")


def _find(client: Any, skill: str) -> Any:
    if "://" in skill:
        return client.skills.get(skill)
    matches = [entry for entry in client.skills.list() if entry.name == skill]
    if not matches:
        raise UsageError(f"no listed skill is named {skill!r}; `mcp-sync skills list` shows them "
                         "(or pass the SKILL.md URI)")
    if len(matches) > 1:
        raise UsageError(f"several skills are named {skill!r}: " + ", ".join(m.uri for m in matches))
    return matches[0]


def _refused(exc: Exception) -> int:
    sys.stderr.write(f"mcp-sync: error: {exc}\n")
    return EXIT_CONNECTION


def list_command(args: argparse.Namespace) -> int:
    target, _ = _split(args)
    with _client(args, target) as client:
        _require_skills(client)
        entries = client.skills.list()
        settings = client.skills.settings
    if args.json:
        say(dumps({"extension": settings, "skills": [entry.to_wire() for entry in entries]}))
        return EXIT_OK
    if not entries:
        say("no skills listed (a server may still serve unlisted skills: `skills show TARGET URI`)")
    for entry in entries:
        files = "dynamic" if entry.dynamic else f"{len(entry.resources or ())} file(s)"
        say(f"{entry.name}  {entry.uri}  ({files})")
        say(f"    {entry.description}")
    return EXIT_OK


def show_command(args: argparse.Namespace) -> int:
    from ..skills import SkillError

    target, skill = _split(args)
    with _client(args, target) as client:
        _require_skills(client)
        entry = _find(client, skill or "")
        try:
            loaded = client.skills.load(entry)
        except SkillError as exc:
            return _refused(exc)
    if args.json:
        say(dumps({"skill": entry.to_wire(), "text": loaded.text}))
        return EXIT_OK
    say(f"{entry.name}: {entry.description}")
    say(f"uri: {entry.uri}")
    for item in entry.resources or ():
        say(f"  {item.uri}  {item.size} bytes  {item.digest}")
    if entry.dynamic:
        say("  (dynamic: files are generated on request)")
    say("")
    say(loaded.text.rstrip("\n"))
    return EXIT_OK


def fetch_command(args: argparse.Namespace) -> int:
    from ..skills import SkillError

    target, skill = _split(args)
    with _client(args, target) as client:
        _require_skills(client)
        entry = _find(client, skill or "")
        try:
            written = client.skills.fetch(entry, args.dest)
        except SkillError as exc:
            return _refused(exc)
    if args.json:
        say(dumps({"skill": entry.uri, "directory": str(written)}))
    else:
        say(f"fetched {entry.uri} ({len(entry.resources or ())} verified file(s)) into {written}")
    return EXIT_OK
