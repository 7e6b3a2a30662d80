"""Optional integrations with frameworks that sync codebases already use.

Each module imports its framework lazily and only when it is itself imported:

* :mod:`mcp_sync.integrations.django`: the MCP endpoint as a Django view, with
  ``request.user`` as the MCP identity tasks are bound to (``pip install 'mcp-sync[django]'``).

The pytest plugin lives in :mod:`mcp_sync.pytest_plugin`.
"""
