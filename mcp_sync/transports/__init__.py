"""Transports move framed JSON-RPC messages; they know nothing about methods."""

from .base import Transport
from .memory import MemoryTransport

__all__ = ["Transport", "MemoryTransport"]
