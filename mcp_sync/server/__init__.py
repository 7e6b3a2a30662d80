"""The server role.

:class:`Server` registers tools, resources, prompts and completions and
serves them; handlers that declare a :class:`Context` parameter can report
progress, log, and ask the client (elicitation, sampling, roots).
:mod:`mcp_sync.server.content` builds content blocks.
"""

from . import content
from .connection import ServerConnection
from .context import Context, current_context
from .elicitation import ElicitationResult
from .fields import Field
from .middleware import Call, CallNext, Middleware
from .resources import ResourceNotFound
from .sampling import SamplingResult
from .server import Server

__all__ = [
    "Call",
    "CallNext",
    "Context",
    "ElicitationResult",
    "Field",
    "Middleware",
    "ResourceNotFound",
    "SamplingResult",
    "Server",
    "ServerConnection",
    "content",
    "current_context",
]
