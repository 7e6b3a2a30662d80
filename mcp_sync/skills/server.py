"""The server side of the Skills extension (``io.modelcontextprotocol/skills``, SEP-2640).

::

    from mcp_sync import Server
    from mcp_sync.skills import Skills

    server = Server("docs")
    skills = server.add_extension(Skills(directory_read=True))
    skills.add_directory("skills/pdf-processing")          # a SKILL.md with frontmatter, plus any files
    skills.add_skill("---\\nname: hello\\ndescription: Say hello\\n---\\nSay hello.\\n",
                     files={"references/greetings.md": "Hi. Hello."})

Every file of a skill becomes a ``skill://<skill-path>/<file>`` resource
(SKILL.md as ``text/markdown`` with ``name``/``description`` from its
frontmatter); the extension answers ``skills/list`` (paginated, an entry is
never split), ``skills/get`` (-32602 for an unknown URI) and, with
``directory_read=True``, ``resources/directory/read``. Digests and sizes are
computed from the bytes served: the content is read once when the skill is
added and served from memory. ``add_dynamic`` serves generated skills
(``"resources": "dynamic"``). Names follow the Agent Skills rules
(:class:`~mcp_sync.skills.SkillError` otherwise); past 512 files or 16 MiB
a :class:`SkillLimitWarning` is issued. ``ttlMs``/``cacheScope`` go on
``skills/list`` and ``skills/get`` results of 2026-07-28 only.
"""

from __future__ import annotations

import mimetypes
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote, unquote

from ..errors import INVALID_PARAMS, McpError
from ..protocol.caching import PRIVATE, SCOPES, clamp_ttl
from ..protocol.versions import is_modern
from ..server.extensions import Extension, ExtensionSetup
from ..server.pagination import decode_cursor, encode_cursor
from ..protocol.skills import (DIRECTORY_MIME_TYPE, EXTENSION_ID, RESERVED_METADATA_PREFIX, SKILL_MD, FileContent, SkillEntry,
                    SkillError, SkillFile, check_limits, check_skill_name, content_bytes, digest_of, parse_frontmatter,
                    sorted_paths)

__all__ = ["SkillLimitWarning", "Skills"]

_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


class SkillLimitWarning(UserWarning):
    """A skill exceeds what servers SHOULD serve (512 files or 16 MiB) or uses reserved metadata keys."""


def _mime_type(path: str, data: bytes) -> str:
    if path.endswith(".md"):
        return "text/markdown"
    guessed, _ = mimetypes.guess_type(path)
    if guessed:
        return guessed
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def _served(data: bytes) -> FileContent:
    """Text when the bytes are UTF-8 (so the client's digest of the text's UTF-8 matches), else a blob."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _quote_path(path: str) -> str:
    return "/".join(quote(segment, safe="-._~!$&'()*+,;=:@") for segment in path.split("/"))


class _Skill:
    __slots__ = ("entry", "path", "files", "mime_types", "read_dynamic")

    def __init__(self, entry: SkillEntry, path: str, files: dict[str, bytes],
                 read_dynamic: Callable[[str], FileContent] | None = None) -> None:
        self.entry = entry
        self.path = path  # the skill path: [prefix/]name
        self.files = files  # relative path -> bytes (SKILL.md included; only SKILL.md for a dynamic skill)
        self.read_dynamic = read_dynamic
        self.mime_types = {rel: _mime_type(rel, data) for rel, data in files.items()}

    def directories(self) -> dict[str, list[tuple[str, str | None]]]:
        """Relative dir ('' = root) -> its direct children: (relative path, file mime type or None for a dir)."""
        tree: dict[str, dict[str, str | None]] = {"": {}}
        for rel in self.files:
            parts = rel.split("/")
            for depth in range(len(parts)):
                parent = "/".join(parts[:depth])
                child = "/".join(parts[:depth + 1])
                tree.setdefault(parent, {})
                is_file = depth == len(parts) - 1
                tree[parent][child] = (self.mime_types.get(rel, "text/markdown") if is_file else None)
                if not is_file:
                    tree.setdefault(child, {})
        return {d: sorted(children.items(), key=lambda kv: (kv[1] is not None, kv[0])) for d, children in tree.items()}


class Skills(Extension):
    """The Skills extension; add it with ``server.add_extension(Skills(...))`` (see the module docstring).

    ``directory_read``: serve ``resources/directory/read`` and declare
    ``directoryRead: true``. ``page_size``: entries per ``skills/list`` page
    (default: the server's ``page_size``). ``scheme``: the URI scheme
    (``skill``). ``ttl_ms``/``cache_scope``: the 2026-07-28 cache hints.
    """

    id = EXTENSION_ID

    def __init__(self, *, directory_read: bool = False, page_size: int | None = None, scheme: str = "skill",
                 ttl_ms: int = 0, cache_scope: str = PRIVATE) -> None:
        if page_size is not None and page_size < 1:
            raise ValueError("page_size must be a positive integer or None")
        if cache_scope not in SCOPES:
            raise ValueError(f"cache_scope must be 'public' or 'private', not {cache_scope!r}")
        if not re.match(r"^[a-z][a-z0-9+.-]*$", scheme):
            raise ValueError(f"invalid URI scheme {scheme!r}")
        self.directory_read = directory_read
        self.page_size = page_size
        self.scheme = scheme
        self.ttl_ms = clamp_ttl(ttl_ms)
        self.cache_scope = cache_scope
        self._lock = threading.Lock()
        self._skills: dict[str, _Skill] = {}  # SKILL.md URI -> skill, in the order added
        self._server: Any = None

    # -- the extension ------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        return {"directoryRead": True} if self.directory_read else {}

    def core_capabilities(self) -> dict[str, Any]:
        return {"resources": {}}  # declaring the extension requires it

    def install(self, setup: ExtensionSetup) -> None:
        self._server = setup.server
        setup.method("skills/list", self._list)
        setup.method("skills/get", self._get)
        if self.directory_read:
            setup.method("resources/directory/read", self._directory_read)
        for skill in self._all():
            self._publish(skill)

    # -- adding skills ------------------------------------------------------------

    def add_directory(self, path: str | os.PathLike[str], *, prefix: str | None = None) -> SkillEntry:
        """Serve the skill in directory ``path`` (its ``SKILL.md`` and every file below; dotfiles skipped)."""
        root = Path(path)
        if not (root / SKILL_MD).is_file():
            raise SkillError(f"{root} has no {SKILL_MD}")
        real_root = root.resolve()
        files: dict[str, bytes] = {}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                if filename.startswith("."):
                    continue
                full = Path(dirpath) / filename
                if real_root not in full.resolve().parents:  # a symlink out of the skill
                    raise SkillError(f"{full} points outside the skill directory {root}")
                files[full.relative_to(root).as_posix()] = full.read_bytes()
        return self.add_skill(files.pop(SKILL_MD), files, prefix=prefix)

    def add_root(self, path: str | os.PathLike[str], *, prefix: str | None = None) -> list[SkillEntry]:
        """Serve every skill below ``path``: each directory holding a SKILL.md (the directories between
        ``path`` and it become prefix segments; a skill's own subdirectories are part of it)."""
        root = Path(path)
        if not root.is_dir():
            raise SkillError(f"{root} is not a directory")
        added: list[SkillEntry] = []

        def visit(directory: Path, segments: list[str]) -> None:
            if (directory / SKILL_MD).is_file():
                parent = "/".join(([prefix] if prefix else []) + segments[:-1]) or None
                added.append(self.add_directory(directory, prefix=parent))
                return
            for child in sorted(directory.iterdir()):
                if child.is_dir() and not child.name.startswith("."):
                    visit(child, segments + [child.name])

        visit(root, [])
        return added

    def add_skill(self, skill_md: str | bytes, files: Mapping[str, FileContent] | None = None, *,
                  prefix: str | None = None) -> SkillEntry:
        """Serve a skill from code: the SKILL.md text and ``files`` (relative path -> text or bytes)."""
        data = {SKILL_MD: content_bytes(skill_md)}
        for rel, content in (files or {}).items():
            rel = self._relative(rel)
            if rel == SKILL_MD:
                raise SkillError("pass SKILL.md as skill_md, not in files")
            if not isinstance(content, (str, bytes, bytearray)):
                raise TypeError(f"file {rel!r}: content must be str or bytes, not {type(content).__name__}")
            data[rel] = content_bytes(content)
        frontmatter = self._frontmatter(data[SKILL_MD])
        skill_path = self._skill_path(prefix, frontmatter["name"])
        base = f"{self.scheme}://{_quote_path(skill_path)}"
        manifest = tuple(SkillFile(f"{base}/{_quote_path(rel)}", digest_of(content), len(content))
                         for rel, content in ((rel, data[rel]) for rel in sorted_paths(list(data))))
        problems = check_limits(len(manifest), sum(item.size for item in manifest))
        if problems:
            warnings.warn(f"skill {skill_path} has {' and '.join(problems)}: servers SHOULD NOT exceed 512 files "
                          "or 16 MiB per skill", SkillLimitWarning, stacklevel=2)
        entry = SkillEntry(f"{base}/{SKILL_MD}", frontmatter, manifest)
        return self._add(_Skill(entry, skill_path, data))

    def add_dynamic(self, skill_md: str, read: Callable[[str], FileContent] | None = None, *,
                    prefix: str | None = None) -> SkillEntry:
        """Serve a generated skill (``"resources": "dynamic"``): SKILL.md is ``skill_md``; any other
        file ``<skill>/<path>`` is ``read(path)`` (str or bytes; raise
        :class:`~mcp_sync.server.ResourceNotFound` for none)."""
        frontmatter = self._frontmatter(content_bytes(skill_md))
        skill_path = self._skill_path(prefix, frontmatter["name"])
        base = f"{self.scheme}://{_quote_path(skill_path)}"
        entry = SkillEntry(f"{base}/{SKILL_MD}", frontmatter, None)
        return self._add(_Skill(entry, skill_path, {SKILL_MD: content_bytes(skill_md)}, read_dynamic=read))

    def remove(self, uri: str) -> None:
        """Stop serving the skill whose SKILL.md is ``uri`` (KeyError if there is none)."""
        with self._lock:
            skill = self._skills.pop(uri)
        server = self._server
        if server is not None:
            for item in skill.entry.resources or (SkillFile(skill.entry.uri, "", 0),):
                server.remove_resource(item.uri)
            if skill.read_dynamic is not None:
                server.remove_resource(skill.entry.root + "/{+path}")

    def entries(self) -> list[SkillEntry]:
        """Every skill served, in the order added."""
        return [skill.entry for skill in self._all()]

    # -- internals ------------------------------------------------------------------

    def _all(self) -> list[_Skill]:
        with self._lock:
            return list(self._skills.values())

    @staticmethod
    def _relative(rel: str) -> str:
        parts = [p for p in str(rel).replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise SkillError(f"invalid file path {rel!r} (relative, inside the skill)")
        return "/".join(parts)

    @staticmethod
    def _frontmatter(data: bytes) -> dict[str, Any]:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SkillError("SKILL.md must be UTF-8 text") from None
        frontmatter = parse_frontmatter(text)
        check_skill_name(frontmatter["name"])
        metadata = frontmatter.get("metadata")
        if isinstance(metadata, dict):
            reserved = [key for key in metadata if str(key).startswith(RESERVED_METADATA_PREFIX)]
            if reserved:
                warnings.warn(f"skill {frontmatter['name']}: metadata keys {reserved} use the reserved prefix "
                              f"{RESERVED_METADATA_PREFIX!r}", SkillLimitWarning, stacklevel=3)
        return frontmatter

    @staticmethod
    def _skill_path(prefix: str | None, name: str) -> str:
        segments = [s for s in (prefix or "").strip("/").split("/") if s]
        for segment in segments:
            if not _SEGMENT.match(segment):
                raise SkillError(f"invalid skill path segment {segment!r} (letters, digits, '-', '.', '_', '~')")
        return "/".join(segments + [name])

    def _add(self, skill: _Skill) -> SkillEntry:
        uri = skill.entry.uri
        with self._lock:
            if uri in self._skills:
                raise SkillError(f"a skill is already served at {uri}")
            self._skills[uri] = skill
        if self._server is not None:
            try:
                self._publish(skill)
            except BaseException:
                with self._lock:
                    self._skills.pop(uri, None)
                raise
        return skill.entry

    def _publish(self, skill: _Skill) -> None:
        """Register the skill's files as resources of the server."""
        server = self._server
        entry = skill.entry
        fm = entry.frontmatter
        server.add_resource(entry.uri, _served(skill.files[SKILL_MD]), name=fm["name"], description=fm["description"],
                            mime_type="text/markdown", size=len(skill.files[SKILL_MD]) if entry.resources else None)
        if entry.resources is not None:
            for item in entry.resources[1:]:
                rel = entry.relative(item.uri)
                rel_path = unquote(rel)
                server.add_resource(item.uri, _served(skill.files[rel_path]), name=f"{skill.path}/{rel_path}",
                                    mime_type=skill.mime_types[rel_path], size=item.size)
        elif skill.read_dynamic is not None:
            read = skill.read_dynamic

            def read_file(path: str) -> FileContent:
                return read(unquote(path))

            server.add_resource(entry.root + "/{+path}", read_file, name=f"{skill.path} files",
                                description=f"Files of the generated skill {fm['name']}")

    def _cache_hints(self, connection: Any, result: dict[str, Any]) -> dict[str, Any]:
        version = getattr(connection, "protocol_version", None)
        if version is not None and is_modern(version):
            result["ttlMs"] = self.ttl_ms
            result["cacheScope"] = self.cache_scope
        return result

    def _page_size(self) -> int | None:
        if self.page_size is not None:
            return self.page_size
        return getattr(self._server, "page_size", None)

    def _list(self, connection: Any, request: Any) -> dict[str, Any]:
        params = request.params if isinstance(request.params, dict) else {}
        skills = self._all()
        cursor = params.get("cursor")
        start = 0 if cursor is None else decode_cursor("skills", cursor)
        size = self._page_size()
        end = len(skills) if size is None else start + size
        result: dict[str, Any] = {"skills": [s.entry.to_wire() for s in skills[start:end]]}
        if end < len(skills):
            result["nextCursor"] = encode_cursor("skills", end)
        return self._cache_hints(connection, result)

    def _get(self, connection: Any, request: Any) -> dict[str, Any]:
        params = request.params if isinstance(request.params, dict) else {}
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise McpError(INVALID_PARAMS, "Invalid params: skills/get needs a string 'uri' (the SKILL.md URI)")
        with self._lock:
            skill = self._skills.get(uri)
        if skill is None:
            raise McpError(INVALID_PARAMS, f"Invalid params: no skill is served at {uri}", {"uri": uri})
        return self._cache_hints(connection, {"skill": skill.entry.to_wire()})

    def _directory_read(self, connection: Any, request: Any) -> dict[str, Any]:
        params = request.params if isinstance(request.params, dict) else {}
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise McpError(INVALID_PARAMS, "Invalid params: resources/directory/read needs a string 'uri'")
        found = None
        for skill in self._all():
            root = skill.entry.root
            if uri == root or uri.startswith(root + "/"):
                rel = "" if uri == root else unquote(uri[len(root) + 1:])
                tree = skill.directories()
                if rel in tree:
                    found = (skill, tree[rel])
                    break
        if found is None:
            raise McpError(INVALID_PARAMS, f"Invalid params: {uri} is not a directory this server serves",
                           {"uri": uri})
        skill, children = found
        root = skill.entry.root
        sizes = {item.uri: item.size for item in skill.entry.resources or ()}
        resources = []
        for rel, mime_type in children:
            child_uri = f"{root}/{_quote_path(rel)}"
            item: dict[str, Any] = {"uri": child_uri, "name": rel.rsplit("/", 1)[-1],
                                    "mimeType": mime_type or DIRECTORY_MIME_TYPE}
            if child_uri in sizes:
                item["size"] = sizes[child_uri]
            resources.append(item)
        cursor = params.get("cursor")
        start = 0 if cursor is None else decode_cursor("directory", cursor)
        size = self._page_size()
        end = len(resources) if size is None else start + size
        result: dict[str, Any] = {"resources": resources[start:end]}
        if end < len(resources):
            result["nextCursor"] = encode_cursor("directory", end)
        return result
