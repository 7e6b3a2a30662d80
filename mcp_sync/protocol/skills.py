"""Skills (SEP-2640) without I/O: entries, digests, frontmatter, naming rules and limits.

Both sides use it: the server to build entries, the host to check what it reads.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence, Union


__all__ = [
    "DIRECTORY_MIME_TYPE",
    "DYNAMIC",
    "EXTENSION_ID",
    "MAX_RESOURCES",
    "MAX_TOTAL_BYTES",
    "SKILL_MD",
    "SkillEntry",
    "SkillError",
    "SkillFile",
    "SkillVerificationError",
    "check_skill_name",
    "digest_of",
    "parse_frontmatter",
    "split_frontmatter",
]

#: The extension's identifier under ``capabilities.extensions``.
EXTENSION_ID = "io.modelcontextprotocol/skills"
SKILL_MD = "SKILL.md"
#: ``resources`` of a skill whose files are generated: no manifest.
DYNAMIC = "dynamic"
DIRECTORY_MIME_TYPE = "inode/directory"
#: Past these a server SHOULD NOT go (a warning here); hosts MUST support them.
MAX_RESOURCES = 512
MAX_TOTAL_BYTES = 16 * 1024 * 1024
#: Reserved frontmatter ``metadata`` key prefix.
RESERVED_METADATA_PREFIX = "io.modelcontextprotocol/"

_NAME = re.compile(r"^(?!.*--)[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_FRONTMATTER = re.compile(r"^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)")


class SkillError(ValueError):
    """A skill that breaks the extension's rules (a bad name, no frontmatter, a malformed entry...)."""


class SkillVerificationError(SkillError):
    """Content read for a skill does not match its entry (digest, size, frontmatter, unlisted file).

    The content was not used. ``uri`` names what failed; ``reason`` says how.
    """

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"skill verification failed for {uri}: {reason}")
        self.uri = uri
        self.reason = reason


def digest_of(data: bytes) -> str:
    """``"sha256:" + 64 lowercase hex`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_skill_name(name: Any) -> str:
    """``name`` if it follows the Agent Skills naming rules; :class:`SkillError` otherwise."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise SkillError(f"invalid skill name {name!r}: 1-64 characters of lowercase letters, digits and hyphens, "
                         "no leading, trailing or consecutive hyphens")
    return name


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("reading SKILL.md frontmatter needs PyYAML: pip install 'mcp-sync[skills]'") from None
    return yaml


def _loader() -> Any:
    yaml = _yaml()
    loader = getattr(_loader, "cached", None)
    if loader is None:
        base: Any = yaml.SafeLoader

        class JsonSafeLoader(base):  # type: ignore[misc]  # PyYAML is imported lazily, so its class is Any here
            """SafeLoader whose values are all JSON values: timestamps stay strings."""

        JsonSafeLoader.yaml_implicit_resolvers = {
            key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        loader = _loader.cached = JsonSafeLoader  # type: ignore[attr-defined]
    return loader


def split_frontmatter(text: str) -> tuple[str, str] | None:
    """``(yaml_text, body)`` of a SKILL.md that begins with ``---`` frontmatter, else None."""
    if text.startswith("\ufeff"):
        text = text[1:]
    match = _FRONTMATTER.match(text)
    if match is None:
        return None
    return match.group(1), text[match.end():]


def parse_frontmatter(text: str) -> dict[str, Any]:
    """The YAML frontmatter of a SKILL.md as a JSON object; :class:`SkillError` when missing or malformed.

    It must hold string ``name`` and ``description``.
    """
    parts = split_frontmatter(text)
    if parts is None:
        raise SkillError("SKILL.md must begin with YAML frontmatter between '---' lines")
    yaml = _yaml()
    try:
        data = yaml.load(parts[0], Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SkillError(f"SKILL.md frontmatter is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SkillError("SKILL.md frontmatter must be a YAML mapping")
    try:
        data = json.loads(json.dumps(data))  # JSON values only (and string keys)
    except (TypeError, ValueError) as exc:
        raise SkillError(f"SKILL.md frontmatter holds a value JSON cannot carry: {exc}") from None
    for key in ("name", "description"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise SkillError(f"SKILL.md frontmatter must have a non-empty string {key!r}")
    frontmatter: dict[str, Any] = data
    return frontmatter


def frontmatter_differences(file_frontmatter: Mapping[str, Any], entry_frontmatter: Mapping[str, Any]) -> list[str]:
    """Field-by-field differences between a SKILL.md's frontmatter and an entry's (empty when identical)."""
    out = []
    for key in sorted(set(file_frontmatter) | set(entry_frontmatter)):
        if file_frontmatter.get(key) != entry_frontmatter.get(key) or (key in file_frontmatter) != (key in entry_frontmatter):
            out.append(key)
    return out


@dataclass(frozen=True)
class SkillFile:
    """One ``{uri, digest, size}`` of an entry's ``resources``."""

    uri: str
    digest: str
    size: int

    def to_wire(self) -> dict[str, Any]:
        return {"uri": self.uri, "digest": self.digest, "size": self.size}

    def verify(self, data: bytes) -> None:
        """:class:`SkillVerificationError` unless ``data`` has this size and digest (size checked first)."""
        if len(data) != self.size:
            raise SkillVerificationError(self.uri, f"size {len(data)} bytes, the entry says {self.size}")
        actual = digest_of(data)
        if actual != self.digest:
            raise SkillVerificationError(self.uri, f"digest {actual}, the entry says {self.digest}")


@dataclass(frozen=True)
class SkillEntry:
    """A skill entry as ``skills/list`` and ``skills/get`` carry it.

    ``resources`` is the complete file list, or None for a ``"dynamic"`` skill.
    """

    uri: str
    frontmatter: dict[str, Any]
    resources: tuple[SkillFile, ...] | None
    meta: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return str(self.frontmatter.get("name", ""))

    @property
    def description(self) -> str:
        return str(self.frontmatter.get("description", ""))

    @property
    def dynamic(self) -> bool:
        return self.resources is None

    @property
    def root(self) -> str:
        """The skill directory's URI (the SKILL.md URI without ``/SKILL.md``)."""
        return self.uri[: -len("/" + SKILL_MD)] if self.uri.endswith("/" + SKILL_MD) else self.uri.rsplit("/", 1)[0]

    def file(self, uri: str) -> SkillFile | None:
        """The listed file ``uri`` (None when the entry does not list it, or is dynamic)."""
        for item in self.resources or ():
            if item.uri == uri:
                return item
        return None

    def resolve(self, path: str) -> str:
        """A URI inside this skill: ``path`` relative to the skill's root, or already a URI."""
        if "://" in path:
            return path
        parts: list[str] = []
        for segment in path.replace("\\", "/").split("/"):
            if segment in ("", "."):
                continue
            if segment == "..":
                if not parts:
                    raise SkillError(f"{path!r} leaves the skill directory")
                parts.pop()
            else:
                parts.append(segment)
        if not parts:
            raise SkillError(f"{path!r} names the skill directory, not a file")
        return self.root + "/" + "/".join(parts)

    def relative(self, uri: str) -> str:
        """``uri`` relative to the skill's root (SkillError when it lies outside)."""
        prefix = self.root + "/"
        if not uri.startswith(prefix):
            raise SkillError(f"{uri} is outside the skill {self.root}")
        return uri[len(prefix):]

    @property
    def fingerprint(self) -> frozenset[tuple[str, str]]:
        """The ``{(uri, digest)}`` set an approval binds to: a changed set means the skill changed."""
        return frozenset((item.uri, item.digest) for item in self.resources or ())

    @property
    def files(self) -> frozenset[str]:
        """URIs of the listed files ({} for a dynamic skill)."""
        return frozenset(item.uri for item in self.resources or ())

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri, "frontmatter": dict(self.frontmatter),
                               "resources": DYNAMIC if self.resources is None else
                               [item.to_wire() for item in self.resources]}
        if self.meta:
            out["_meta"] = dict(self.meta)
        return out

    @classmethod
    def from_wire(cls, raw: Any) -> "SkillEntry":
        """An entry from JSON; :class:`SkillError` for anything the extension calls invalid."""
        if not isinstance(raw, Mapping):
            raise SkillError(f"a skill entry is an object, not {type(raw).__name__}")
        uri = raw.get("uri")
        if not isinstance(uri, str) or not uri:
            raise SkillError("a skill entry needs a string 'uri'")
        frontmatter = raw.get("frontmatter")
        if not isinstance(frontmatter, Mapping):
            raise SkillError(f"skill {uri}: 'frontmatter' must be an object")
        resources = raw.get("resources")
        files: tuple[SkillFile, ...] | None
        if resources == DYNAMIC:
            files = None
        elif isinstance(resources, list):
            items = []
            for item in resources:
                if not isinstance(item, Mapping):
                    raise SkillError(f"skill {uri}: every resources entry is an object")
                file_uri, digest, size = item.get("uri"), item.get("digest"), item.get("size")
                if not isinstance(file_uri, str) or not isinstance(digest, str) or not _DIGEST.match(digest) \
                        or not isinstance(size, int) or isinstance(size, bool) or size < 0:
                    raise SkillError(f"skill {uri}: malformed resources entry {dict(item)!r}")
                items.append(SkillFile(file_uri, digest, size))
            files = tuple(items)
        else:
            raise SkillError(f"skill {uri}: 'resources' must be an array or \"dynamic\", not {resources!r}")
        meta = raw.get("_meta")
        return cls(uri, dict(frontmatter), files, dict(meta) if isinstance(meta, Mapping) else None)


FileContent = Union[str, bytes]


def content_bytes(content: FileContent) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def check_limits(count: int, total: int) -> list[str]:
    """Human-readable limit breaches (512 files, 16 MiB) of one skill."""
    problems = []
    if count > MAX_RESOURCES:
        problems.append(f"{count} files (more than {MAX_RESOURCES})")
    if total > MAX_TOTAL_BYTES:
        problems.append(f"{total} bytes (more than {MAX_TOTAL_BYTES}, 16 MiB)")
    return problems


def sorted_paths(paths: Sequence[str]) -> list[str]:
    """SKILL.md first, then the other relative paths in order."""
    return sorted(paths, key=lambda p: (p != SKILL_MD, p))
