"""Django settings for benchmarking django-helpdesk's escalate_tickets (helpdesk venv only).

The database comes from HELPDESK_DATABASE_URL, one of:
    sqlite:////absolute/path/file.db     (three slashes + path; sqlite:///rel.db is relative)
    postgresql://[user[:password]@]host[:port]/dbname
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn a sqlite:// or postgresql:// URL into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # The path after "sqlite://" starts with one "/" that only separates it from the
        # (empty) host, like SQLAlchemy URLs: sqlite:////tmp/a.db is /tmp/a.db.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path[1:])}
    if parts.scheme in ("postgresql", "postgres"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError(f"no database name in {url!r}")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
        }
    raise ValueError(f"unsupported database URL {url!r} (use sqlite:// or postgresql://)")


SECRET_KEY = "benchmark-only-not-secret"
# DEBUG must stay off: with it on Django keeps every SQL statement in memory.
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # helpdesk builds the absolute ticket links in its mails from the current Site.
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1
# helpdesk reverses "helpdesk:..." URL names while rendering mails.
ROOT_URLCONF = "urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Teams mode would need the optional pinax-teams app; knowledge-base teams play no part here.
HELPDESK_TEAMS_MODE_ENABLED = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASES = {"default": parse_database_url(os.environ["HELPDESK_DATABASE_URL"])}

# Mails are rendered and built in full, then kept in django.core.mail.outbox, not sent.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
