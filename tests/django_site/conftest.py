"""The example Django site (examples/django_site) set up in this process: settings, a migrated database, two users.

Django's settings are process-wide, so the site is configured once, on first use,
with its database in a temporary directory and two bearer tokens for the
token backend.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.thread_check import no_threads_left_behind  # noqa: F401  (autouse)

SITE_DIR = Path(__file__).resolve().parents[2] / "examples" / "django_site"
TOKENS = {"alice-token": "alice", "bob-token": "bob"}
PASSWORD = "correct horse battery staple"


def site_env(db_path: Path) -> dict[str, str]:
    """The environment the example site reads (also given to its gunicorn)."""
    return {"DJANGO_SETTINGS_MODULE": "mcpsite.settings", "MCPSITE_DB": str(db_path),
            "MCPSITE_TOKENS": ",".join(f"{token}={user}" for token, user in TOKENS.items())}


@pytest.fixture(scope="session")
def django_site(tmp_path_factory):
    """Django set up with the example site's settings; the users ``alice`` and ``bob`` exist."""
    import django
    from django.core.management import call_command

    db_path = tmp_path_factory.mktemp("django") / "db.sqlite3"
    if str(SITE_DIR) not in sys.path:
        sys.path.insert(0, str(SITE_DIR))
    saved = dict(os.environ)
    os.environ.update(site_env(db_path))
    try:
        django.setup()  # the settings module reads the environment now, once
    finally:  # later tests (and the processes they start) do not inherit the site's environment
        os.environ.clear()
        os.environ.update(saved)
    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth import get_user_model

    users = {name: get_user_model().objects.create_user(name, password=PASSWORD) for name in ("alice", "bob")}
    return {"db": db_path, "users": users}


@pytest.fixture
def mcp_endpoint(django_site):
    """The site's MCP view; its sessions and the server's tasks end (threads joined) after the test."""
    from django.urls import resolve

    view = resolve("/mcp").func
    yield view
    view.close()
    view.server.close()
