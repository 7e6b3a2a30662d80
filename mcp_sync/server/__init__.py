"""The server role."""

from .connection import ServerConnection
from .server import Server

__all__ = ["Server", "ServerConnection"]
