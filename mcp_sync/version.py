"""The version of mcp_sync (one place: the package, the client's clientInfo and the CLI read it here)."""

__version__ = "0.1.0"
