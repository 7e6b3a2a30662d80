"""Runs the shared TaskStore contract (``contract.py``) against every store kind."""

from .contract import *  # noqa: F401,F403 - the contract's test functions
