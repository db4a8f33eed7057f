"""Errors the services raise for people to read; the API turns each into its HTTP status.

Part of the shared kernel: every layer may import it, and it imports nothing of Escalon. The JSON
shape of an error answer (`ErrorBody`) lives here too, so a domain's views and schemas can name it
without importing the API package above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel


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

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    # Each kind of refusal names its HTTP status and the code its error body carries on its class
    # line: `class Conflict(EscalonError, status=409, code="conflict")`.
    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str, details: list[Detail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class Invalid(EscalonError, status=422, code="invalid"):
    """The request is well-formed but asks for something that cannot be (unknown level...)."""


class NotFound(EscalonError, status=404, code="not_found"):
    """What the request names does not exist."""


Found = TypeVar("Found")


def found(value: Found | None, missing: str) -> Found:
    """The value that was looked up; NotFound saying what is `missing` when there is none."""
    if value is None:
        raise NotFound(missing)
    return value


class Conflict(EscalonError, status=409, code="conflict"):
    """The request contradicts the current state (a closed case, a reused name...)."""


class TooLarge(EscalonError, status=413, code="too_large"):
    """Something the request carries is larger than Escalon takes (an attachment...)."""


class StaleVersion(EscalonError, status=412, code="stale_version"):
    """The client's copy is out of date: someone changed the case since (If-Match)."""


class VersionRequired(EscalonError, status=428, code="version_required"):
    """An update must say which version of the case it was based on (If-Match)."""


class Unauthenticated(EscalonError, status=401, code="unauthenticated"):
    """No valid credentials."""


class Forbidden(EscalonError, status=403, code="forbidden"):
    """Valid credentials, but the role may not do this."""


class ErrorDetail(BaseModel):
    """One precise problem."""

    problem: str
    field: str | None = None
    line: int | None = None
    source: str | None = None


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: str
    message: str
    details: list[ErrorDetail] = []


_STATUS_DESCRIPTIONS = {
    400: "Malformed request",
    401: "No valid API token",
    403: "The caller's role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    412: "The case changed since the version in If-Match",
    422: "Invalid request",
    428: "If-Match is required",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint may answer."""
    return {
        status: {"model": ErrorBody, "description": _STATUS_DESCRIPTIONS[status]}
        for status in statuses
    }


# What an endpoint that adds something declares besides its path: it answers 201, or refuses the
# request as malformed, unauthenticated, forbidden, conflicting (a name taken) or invalid.
CREATES: dict[str, Any] = {
    "status_code": 201,
    "responses": error_responses(400, 401, 403, 409, 422),
}
