"""Re-export shim: the Skills host API moved to :mod:`mcp_sync.client.skills` (``Client.skills``)."""

from ..client.skills import LoadedSkill, SkillsClient, SkillsPage

__all__ = ["LoadedSkill", "SkillsClient", "SkillsPage"]
