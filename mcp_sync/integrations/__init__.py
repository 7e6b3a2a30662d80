"""Integrations with the frameworks sync codebases already run; each module needs its own extra.

* :mod:`mcp_sync.integrations.celery`: tools whose task work is a Celery task
  (``pip install 'mcp-sync[celery]'``).
"""
