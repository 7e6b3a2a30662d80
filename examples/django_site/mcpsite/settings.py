"""Settings of the example site (development values: set a real SECRET_KEY and ALLOWED_HOSTS to deploy)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("MCPSITE_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "mcpsite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # stays on: only the MCP view is exempt
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# Session login (browsers, scripts that log in) and bearer tokens (MCP clients) both give request.user.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "mcpsite.backends.SettingsTokenBackend",
]
# token -> username, for SettingsTokenBackend (a real site keeps hashed tokens in its database).
MCPSITE_TOKENS = dict(item.split("=", 1) for item in os.environ.get("MCPSITE_TOKENS", "").split(",") if "=" in item)

ROOT_URLCONF = "mcpsite.urls"
WSGI_APPLICATION = "mcpsite.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("MCPSITE_DB", str(BASE_DIR / "db.sqlite3"))}}

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# The MCP server the endpoint serves, and options for its WSGI app.
MCP_SYNC_SERVER = "mcpsite.mcp.server"
MCP_SYNC_OPTIONS = {"keepalive": 5.0}
