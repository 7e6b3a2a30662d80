"""``/`` and ``/note/`` are ordinary pages, ``/login/`` Django's login, ``/mcp`` the MCP endpoint."""

from django.contrib.auth import views as auth_views
from django.urls import path

from mcp_sync.integrations.django import mcp_view

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("note/", views.note, name="note"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    # The server comes from settings.MCP_SYNC_SERVER; the view is CSRF-exempt, nothing else is.
    path("mcp", mcp_view(), name="mcp"),
]
