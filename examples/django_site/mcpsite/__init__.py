"""A small Django site with an MCP endpoint (``/mcp``) beside ordinary pages.

From ``examples/django_site/``::

    python manage.py migrate && python manage.py createsuperuser
    gunicorn -k gthread --threads 8 -w 1 -b 127.0.0.1:8000 mcpsite.wsgi
"""
