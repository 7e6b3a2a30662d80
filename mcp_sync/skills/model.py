"""Re-export shim: the Skills entry model (digests, frontmatter, naming rules) moved to
:mod:`mcp_sync.protocol.skills`: it does no I/O, and the host side (in the client) and the
server side both use it.
"""

from ..protocol.skills import (DIRECTORY_MIME_TYPE, DYNAMIC, EXTENSION_ID, MAX_RESOURCES, MAX_TOTAL_BYTES, SKILL_MD, SkillEntry, SkillError, SkillFile, SkillVerificationError, check_skill_name, digest_of, parse_frontmatter, split_frontmatter)

__all__ = ["DIRECTORY_MIME_TYPE", "DYNAMIC", "EXTENSION_ID", "MAX_RESOURCES", "MAX_TOTAL_BYTES", "SKILL_MD", "SkillEntry", "SkillError", "SkillFile", "SkillVerificationError", "check_skill_name", "digest_of", "parse_frontmatter", "split_frontmatter"]
