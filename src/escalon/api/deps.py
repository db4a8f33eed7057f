"""What every endpoint gets: the names below now live lower down, so a domain's views need not
import the API package (`escalon.auth.access`, `escalon.request_params`, `escalon.services`).
They stay importable from here for the modules the import-linter ratchet in pyproject.toml still
lists; import them from their homes in new code."""

from __future__ import annotations

from escalon.auth.access import (
    ADMINS,
    ALL_ROLES,
    CASE_WRITERS,
    STAFF,
    SUPERVISORS,
    Admin,
    Context,
    Reader,
    Staff,
    Supervisor,
    authenticated,
    require,
    services,
)
from escalon.request_params import DateTime, IfMatch, if_match
from escalon.services import Services

__all__ = [
    "ADMINS",
    "ALL_ROLES",
    "CASE_WRITERS",
    "STAFF",
    "SUPERVISORS",
    "Admin",
    "Context",
    "DateTime",
    "IfMatch",
    "Reader",
    "Services",
    "Staff",
    "Supervisor",
    "authenticated",
    "if_match",
    "require",
    "services",
]
