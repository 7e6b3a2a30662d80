"""The client role: :class:`Client` (blocking) and its ``nowait`` twin returning :class:`McpFuture`."""

from .client import DEFAULT_TIMEOUT, Client, McpProtocolError, NoWait, OutputValidationError
from .futures import McpFuture

__all__ = ["DEFAULT_TIMEOUT", "Client", "McpFuture", "McpProtocolError", "NoWait", "OutputValidationError"]
