"""The Skills extension (``io.modelcontextprotocol/skills``, SEP-2640): skills served as MCP resources.

Server side: :class:`Skills` (``server.add_extension(Skills(...))``).
Host side: ``client.skills`` (:class:`SkillsClient`): list, get, load with
verification, read files, read directories, fetch to disk.
Reading SKILL.md frontmatter needs PyYAML (``pip install 'mcp-sync[skills]'``).
"""

from .client import LoadedSkill, SkillsClient
from .model import (DYNAMIC, EXTENSION_ID, SkillEntry, SkillError, SkillFile, SkillVerificationError, digest_of,
                    parse_frontmatter)
from .server import SkillLimitWarning, Skills

__all__ = [
    "DYNAMIC",
    "EXTENSION_ID",
    "LoadedSkill",
    "SkillEntry",
    "SkillError",
    "SkillFile",
    "SkillLimitWarning",
    "SkillVerificationError",
    "Skills",
    "SkillsClient",
    "digest_of",
    "parse_frontmatter",
]
