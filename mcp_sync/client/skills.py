"""The host side of the Skills extension: ``client.skills`` (:class:`SkillsClient`).

::

    with Client.stdio(["python", "server.py"]) as client:
        for entry in client.skills.list():            # skills/list: no file is read
            print(entry.uri, entry.description)
        skill = client.skills.load(entry)             # SKILL.md read and verified
        print(skill.body)
        forms = skill.read_text("references/FORMS.md")  # a listed file, verified

Nothing is read ahead of need: listing and getting entries never read a
file. :meth:`SkillsClient.load` reads SKILL.md and refuses it
(:class:`~mcp_sync.skills.SkillVerificationError`, the content unused) when
its size, digest or parsed frontmatter differ from the entry. A loaded
skill's :meth:`LoadedSkill.read` verifies every file against the entry and
refuses files the entry does not list. :meth:`SkillsClient.refresh`
re-fetches a stale entry with ``skills/get``; :meth:`SkillsClient.read_directory`
needs the server's ``directoryRead``; :meth:`SkillsClient.fetch` writes a
verified skill to a local directory.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping
from urllib.parse import unquote

from ..errors import CapabilityError
from ..protocol.skills import (EXTENSION_ID, SKILL_MD, SkillEntry, SkillError, SkillVerificationError, frontmatter_differences,
                    parse_frontmatter, split_frontmatter)

__all__ = ["LoadedSkill", "SkillsClient", "SkillsPage"]

log = logging.getLogger("mcp_sync.skills")

#: At most this many skills/list pages (a server that never stops paginating is cut off).
MAX_PAGES = 1000


@dataclass(frozen=True)
class SkillsPage:
    """One ``skills/list`` page: valid entries, the next cursor, and the cache hints (2026-07-28)."""

    skills: list[SkillEntry]
    next_cursor: str | None
    ttl_ms: int | None = None
    cache_scope: str | None = None


class LoadedSkill:
    """A skill whose SKILL.md was read and verified (from :meth:`SkillsClient.load`).

    ``entry`` (what it was verified against), ``text`` (SKILL.md),
    ``frontmatter`` and ``body`` (the Markdown after the frontmatter).
    """

    def __init__(self, skills: "SkillsClient", entry: SkillEntry, text: str, frontmatter: dict[str, Any]) -> None:
        self._skills = skills
        self.entry = entry
        self.text = text
        self.frontmatter = frontmatter
        parts = split_frontmatter(text)
        self.body = parts[1] if parts is not None else text

    def __repr__(self) -> str:
        return f"<LoadedSkill {self.entry.uri}>"

    @property
    def name(self) -> str:
        return self.entry.name

    def read(self, path: str) -> bytes:
        """The bytes of a file of this skill: ``path`` relative to the skill's root, or its URI.

        Verified against the entry (size, then digest); a file the entry does
        not list is refused (:class:`~mcp_sync.skills.SkillVerificationError`).
        For a ``"dynamic"`` skill nothing can be verified: only files inside the skill are read.
        """
        entry = self.entry
        try:
            uri = entry.resolve(path)
        except SkillError as exc:
            raise SkillVerificationError(str(path), str(exc)) from None
        if entry.dynamic:
            if not uri.startswith(entry.root + "/"):
                raise SkillVerificationError(uri, f"outside the skill {entry.root}")
            return self._skills._read_bytes(uri)
        listed = entry.file(uri)
        if listed is None:
            raise SkillVerificationError(uri, f"the entry of {entry.uri} does not list this file")
        data = self._skills._read_bytes(uri)
        listed.verify(data)
        return data

    def read_text(self, path: str) -> str:
        """:meth:`read` decoded as UTF-8."""
        return self.read(path).decode("utf-8")


class SkillsClient:
    """Skills on one :class:`~mcp_sync.Client` (``client.skills``); see the module docstring."""

    def __init__(self, client: Any) -> None:
        self.client = client

    # -- what the server offers -----------------------------------------------------

    @property
    def settings(self) -> dict[str, Any] | None:
        """The server's declaration (``{}``, ``{"directoryRead": true}``...), None when it has no skills."""
        settings: dict[str, Any] | None = self.client.server_extension(EXTENSION_ID)
        return settings

    @property
    def available(self) -> bool:
        return self.settings is not None

    @property
    def directory_read(self) -> bool:
        settings = self.settings
        return bool(settings and settings.get("directoryRead") is True)

    def _require(self) -> None:
        if self.settings is None:
            raise CapabilityError(f"the server did not declare the {EXTENSION_ID!r} extension")

    # -- entries ----------------------------------------------------------------------

    def list_page(self, cursor: str | None = None) -> SkillsPage:
        """One ``skills/list`` page (entries the extension calls invalid are dropped and logged)."""
        self._require()
        raw = self.client.request("skills/list", {"cursor": cursor} if cursor is not None else {})
        if not isinstance(raw, Mapping) or not isinstance(raw.get("skills"), list):
            raise SkillError("skills/list answered without a 'skills' array")
        entries = []
        for item in raw["skills"]:
            try:
                entries.append(SkillEntry.from_wire(item))
            except SkillError as exc:
                log.warning("ignoring an invalid skill entry: %s", exc)
        next_cursor = raw.get("nextCursor")
        return SkillsPage(entries, next_cursor if isinstance(next_cursor, str) and next_cursor else None,
                          raw.get("ttlMs") if isinstance(raw.get("ttlMs"), int) else None,
                          raw.get("cacheScope") if isinstance(raw.get("cacheScope"), str) else None)

    def list(self) -> list[SkillEntry]:
        """Every entry, following ``nextCursor`` (a repeated cursor ends the walk). Reads no file.

        An empty or short listing does not mean the server has no other skills:
        :meth:`get` answers for unlisted ones too.
        """
        entries: list[SkillEntry] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = self.list_page(cursor)
            entries.extend(page.skills)
            cursor = page.next_cursor
            if cursor is None or cursor in seen:
                break
            seen.add(cursor)
        return entries

    def get(self, uri: str) -> SkillEntry:
        """The entry of the skill whose SKILL.md is ``uri`` (``skills/get``). Reads no file."""
        self._require()
        raw = self.client.request("skills/get", {"uri": uri})
        skill = raw.get("skill") if isinstance(raw, Mapping) else None
        entry = SkillEntry.from_wire(skill)
        if entry.uri != uri:
            raise SkillError(f"skills/get for {uri} answered the entry of {entry.uri}")
        return entry

    def refresh(self, entry: SkillEntry | str) -> SkillEntry:
        """A fresh entry for a stale one (``skills/get``); a loaded skill must be loaded again with it."""
        return self.get(entry if isinstance(entry, str) else entry.uri)

    # -- loading --------------------------------------------------------------------------

    def load(self, skill: SkillEntry | str) -> LoadedSkill:
        """Read SKILL.md and verify it against the entry (``skills/get`` first when given a URI).

        Refused (:class:`~mcp_sync.skills.SkillVerificationError`) when the
        entry lists no SKILL.md, or its size, digest or frontmatter differ.
        """
        entry = self.get(skill) if isinstance(skill, str) else skill
        uri = entry.uri
        data = self._read_bytes(uri)
        if not entry.dynamic:
            listed = entry.file(uri)
            if listed is None:
                raise SkillVerificationError(uri, "the entry's resources do not list its SKILL.md")
            listed.verify(data)
        try:
            text = data.decode("utf-8")
            frontmatter = parse_frontmatter(text)
        except (UnicodeDecodeError, SkillError) as exc:
            raise SkillVerificationError(uri, f"unreadable SKILL.md: {exc}") from None
        different = frontmatter_differences(frontmatter, entry.frontmatter)
        if different:
            raise SkillVerificationError(uri, f"the frontmatter differs from the entry in {', '.join(different)}")
        return LoadedSkill(self, entry, text, frontmatter)

    def read_directory(self, uri: str) -> List[Dict[str, Any]]:
        """The direct children of a skill directory (``resources/directory/read``, every page).

        Only when the server declared ``directoryRead`` (CapabilityError otherwise).
        """
        if not self.directory_read:
            raise CapabilityError(f"the server did not declare {EXTENSION_ID}.directoryRead, so "
                                  "resources/directory/read cannot be sent to it")
        children: List[Dict[str, Any]] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"uri": uri}
            if cursor is not None:
                params["cursor"] = cursor
            raw = self.client.request("resources/directory/read", params)
            items = raw.get("resources") if isinstance(raw, Mapping) else None
            if not isinstance(items, list):
                raise SkillError("resources/directory/read answered without a 'resources' array")
            children.extend(dict(item) for item in items if isinstance(item, Mapping))
            cursor = raw.get("nextCursor")
            if not isinstance(cursor, str) or not cursor or cursor in seen:
                break
            seen.add(cursor)
        return children

    def fetch(self, skill: SkillEntry | str | LoadedSkill, destination: str | Path) -> Path:
        """Write a verified skill to ``destination/<name>/`` and return that directory.

        Every listed file is read and verified before anything is written; a
        ``"dynamic"`` skill has no file list and cannot be fetched (SkillError).
        """
        loaded = skill if isinstance(skill, LoadedSkill) else self.load(skill)
        entry = loaded.entry
        if entry.dynamic:
            raise SkillError(f"{entry.uri} is a dynamic skill: it lists no files to fetch")
        contents: dict[str, bytes] = {SKILL_MD: loaded.text.encode("utf-8")}
        for item in entry.resources or ():
            if item.uri == entry.uri:
                continue
            try:
                relative = unquote(entry.relative(item.uri))
            except SkillError as exc:
                raise SkillVerificationError(item.uri, str(exc)) from None
            parts = relative.split("/")
            if any(p in ("", ".", "..") for p in parts):
                raise SkillVerificationError(item.uri, "not a plain path inside the skill")
            contents[relative] = loaded.read(item.uri)
        target = Path(destination) / entry.name
        for relative, data in contents.items():
            path = target.joinpath(*relative.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return target

    # -- reading ----------------------------------------------------------------------------

    def _read_bytes(self, uri: str) -> bytes:
        raw = self.client.request("resources/read", {"uri": uri})
        contents = raw.get("contents") if isinstance(raw, Mapping) else None
        if not isinstance(contents, list) or not contents:
            raise SkillVerificationError(uri, "resources/read returned no contents")
        chosen = next((c for c in contents if isinstance(c, Mapping) and c.get("uri") == uri), contents[0])
        if isinstance(chosen, Mapping) and isinstance(chosen.get("text"), str):
            text: str = chosen["text"]
            return text.encode("utf-8")
        if isinstance(chosen, Mapping) and isinstance(chosen.get("blob"), str):
            try:
                return base64.b64decode(chosen["blob"], validate=True)
            except (binascii.Error, ValueError):
                raise SkillVerificationError(uri, "the blob is not valid base64") from None
        raise SkillVerificationError(uri, "resources/read returned neither text nor blob")
