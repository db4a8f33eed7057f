"""Request parameters every API area reads the same way: date-times, the case version, ids.

Part of the shared kernel, so a domain's views can use them without importing the API package.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query
from pydantic import AfterValidator, BeforeValidator

from escalon.core.state import to_us
from escalon.errors import EscalonError, Invalid


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The case version this change is based on: the ETag, e.g. "3"',
            max_length=200,
        ),
    ] = None,
) -> int | None:
    """The case version the client based its change on (None: any)."""
    if value is None or value.strip() == "*":
        return None
    token = value.strip().split(",")[0].strip()
    token = token.removeprefix("W/").strip('"')
    if not token.isdigit() or len(token) > 12:
        raise EscalonError(f'If-Match must be the case\'s ETag, e.g. "3"; got {value!r}')
    return int(token)


IfMatch = Annotated[int | None, Depends(if_match)]
# A stored row's id in a URL path: the bound keeps it within the database's 64-bit integers.
PathId = Annotated[int, Path(ge=1, le=2**62)]
# Where a page of a listing by id starts: after this id (none: at the first).
AfterId = Annotated[int | None, Query(ge=0, le=2**62)]


def _iso_8601(value: object) -> object:
    # Pydantic would read "1700000000" or "0.5" as seconds since 1970; the API documents ISO 8601.
    if isinstance(value, datetime) or (
        isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value)
    ):
        return value
    raise ValueError("expected an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z")


# The instants the API reads: wider than any history or plan, and far enough inside the years
# Python represents (1 to 9999) that a shift, a window or a time zone added to one still fits.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _supported(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("needs a UTC offset (e.g. 2026-12-01T09:00:00+01:00 or ...Z)")
    if not EARLIEST <= value < LATEST:
        raise ValueError("must lie between 1900-01-01 and 2999-12-31 (UTC)")
    return value


DateTime = Annotated[datetime, BeforeValidator(_iso_8601), AfterValidator(_supported)]
"""A date-time query parameter: ISO 8601 with a UTC offset, between the years 1900 and 2999."""


def instant_us(moment: datetime, name: str) -> int:
    """A date-time parameter as µs since 1970: Invalid, naming the parameter, when it has no UTC
    offset or lies beyond what the engine counts."""
    if moment.utcoffset() is None:
        raise Invalid(f"{name} needs a UTC offset (e.g. 2026-12-01T09:00:00+01:00 or ...Z)")
    try:
        return to_us(moment)
    except OverflowError:
        raise Invalid(f"{name} is out of range") from None
