"""Sans-IO protocol layer: JSON-RPC framing and errors, versions, capabilities.

Nothing in this package performs I/O or starts threads.
"""
