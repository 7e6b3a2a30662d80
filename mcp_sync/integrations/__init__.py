"""Optional integrations with frameworks that sync codebases already use; each module needs its own extra.

Each module imports its framework lazily and only when it is itself imported:

* :mod:`mcp_sync.integrations.django`: the MCP endpoint as a Django view, with
  ``request.user`` as the MCP identity tasks are bound to (``pip install 'mcp-sync[django]'``).
* :mod:`mcp_sync.integrations.celery`: tools whose task work is a Celery task
  (``pip install 'mcp-sync[celery]'``).

The pytest plugin lives in :mod:`mcp_sync.pytest_plugin`.
"""
