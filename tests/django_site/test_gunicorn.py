"""The example Django site under a real gunicorn (gthread), driven by mcp_sync's Client over HTTP, both eras.

Users log in through the site's real login form (with its CSRF token) and the
MCP client sends the session cookie, or authenticate with a bearer token that a
Django auth backend checks.
"""

from __future__ import annotations

import re
import threading

import pytest
import requests

from mcp_sync import Client, McpError
from tests.django_site.conftest import PASSWORD, SITE_DIR, site_env
from tests.gunicorn_process import Gunicorn


@pytest.fixture(scope="module")
def site(django_site, tmp_path_factory):
    """gunicorn serving mcpsite.wsgi on the database the in-process fixture migrated."""
    server = Gunicorn("mcpsite.wsgi:application", tmp_path_factory.mktemp("gunicorn") / "django.log",
                      extra_args=["--chdir", str(SITE_DIR)], env=site_env(django_site["db"]))
    yield server
    log = server.stop()
    assert "Traceback" not in log, log


def log_in(base: str, username: str) -> str:
    """Log in through the login form like a browser; the session cookie."""
    http = requests.Session()
    form = http.get(base + "/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = http.post(base + "/login/", data={"username": username, "password": PASSWORD,
                                               "csrfmiddlewaretoken": token},
                       headers={"Referer": base + "/login/"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return "sessionid=" + http.cookies["sessionid"]


def test_login_form_keeps_its_csrf_protection(site):
    http = requests.Session()
    http.get(site.base + "/login/", timeout=30)
    refused = http.post(site.base + "/login/", data={"username": "alice", "password": PASSWORD}, timeout=30)
    assert refused.status_code == 403  # no token: Django's CSRF middleware says no
    assert requests.get(site.base + "/", timeout=30).status_code == 200


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_tools_progress_and_tasks_per_user(site, era):
    url = site.base + "/mcp"
    alice_cookie, bob_cookie = log_in(site.base, "alice"), log_in(site.base, "bob")
    with Client.http(url, headers={"Cookie": alice_cookie}, protocol=era) as alice, \
            Client.http(url, headers={"Cookie": bob_cookie}, protocol=era) as bob:
        assert alice.era == era
        assert alice.call_tool("add", {"a": 2, "b": 3}).structured_content == {"result": 5}
        assert bob.call_tool("whoami").content[0].text == "bob"
        seen = []
        result = alice.call_tool("count", {"n": 4}, progress=lambda p, total, message: seen.append((p, total)))
        assert result.structured_content == {"result": 4}
        assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]

        # The SSE stream reaches the client while the call is still running (nothing buffers it).
        started = threading.Event()
        call = alice.nowait.call_tool("watch", {"seconds": 60}, progress=lambda *args: started.set())
        assert started.wait(30), "no progress arrived while the call was running"
        assert not call.done()
        call.cancel()  # notifications/cancelled: the tool stops waiting

        task = alice.call_tool_as_task("report", {"title": era})
        with pytest.raises(McpError) as refused:
            bob.get_task(task.task_id)
        assert "not found" in refused.value.message.lower()
        if era == "legacy":  # 2026-07-28 has no tasks/list
            assert task.task_id not in [t.task_id for t in bob.list_tasks()]
        assert task.result(timeout=30).content[0].text == f"report {era!r} is ready"

    # A new connection of alice's (the token route this time) still finds her task.
    with Client.http(url, headers={"Authorization": "Bearer alice-token"}, protocol=era) as again:
        if era == "legacy":
            assert task.task_id in [t.task_id for t in again.list_tasks()]
        assert again.get_task(task.task_id).status == "completed"
