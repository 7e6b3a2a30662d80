"""A Django authentication backend accepting bearer tokens, so MCP clients authenticate without a session."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend


class SettingsTokenBackend(BaseBackend):
    """``authenticate(request, bearer_token=...)``: the user ``settings.MCPSITE_TOKENS`` maps the token to."""

    def authenticate(self, request, bearer_token=None, **kwargs):
        username = settings.MCPSITE_TOKENS.get(bearer_token) if bearer_token else None
        if username is None:
            return None
        return get_user_model().objects.filter(username=username, is_active=True).first()

    def get_user(self, user_id):
        return get_user_model().objects.filter(pk=user_id).first()
