"""Errors the services raise for people to read; the API turns each into its HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Detail:
    """One precise problem: where (a field path, a line) and what."""

    problem: str
    field: str | None = None
    line: int | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, leaving out what is unknown."""
        data: dict[str, Any] = {"problem": self.problem}
        if self.field is not None:
            data["field"] = self.field
        if self.line is not None:
            data["line"] = self.line
        if self.source is not None:
            data["source"] = self.source
        return data


class EscalonError(Exception):
    """A request Escalon refuses, with a message meant for the person who sent it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[Detail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class Invalid(EscalonError):
    """The request is well-formed but asks for something that cannot be (unknown level...)."""

    status = 422
    code = "invalid"


class NotFound(EscalonError):
    """What the request names does not exist."""

    status = 404
    code = "not_found"


class Conflict(EscalonError):
    """The request contradicts the current state (a closed case, a reused name...)."""

    status = 409
    code = "conflict"


class TooLarge(EscalonError):
    """Something the request carries is larger than Escalon takes (an attachment...)."""

    status = 413
    code = "too_large"


class StaleVersion(EscalonError):
    """The client's copy is out of date: someone changed the case since (If-Match)."""

    status = 412
    code = "stale_version"


class VersionRequired(EscalonError):
    """An update must say which version of the case it was based on (If-Match)."""

    status = 428
    code = "version_required"


class Unauthenticated(EscalonError):
    """No valid credentials."""

    status = 401
    code = "unauthenticated"


class Forbidden(EscalonError):
    """Valid credentials, but the role may not do this."""

    status = 403
    code = "forbidden"
