"""Field types every checked document shares (rosters here; the API's schemas may reuse them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _trimmed(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


# Lengths hold for the text as sent, as the schema says; the text is trimmed after checking.
Trimmed = AfterValidator(_trimmed)
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), Trimmed]


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError("not an e-mail address (expected name@example.org)")
    return value


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
