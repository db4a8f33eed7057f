"""What the API reads and writes about customer organisations (Pydantic models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from escalon.cases.schemas import TimeZoneName
from escalon.core.fields import Name, Trimmed
from escalon.core.organisations import MAX_DOMAINS, NAME_MAX, domain_problem
from escalon.core.organisations import calendar_problems as _calendar_problems

# A year of public holidays is a few dozen; ten years' worth is still far below this.
MAX_HOLIDAYS = 500
# What an organisation keeps when it is given no hours: a European office week.
OFFICE_HOURS: dict[str, list[str]] = {
    day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")
}


def _hours(value: Any) -> Any:
    problems = _calendar_problems({"timezone": "UTC", "hours": value})
    if problems:
        raise ValueError("; ".join(f"{field}: {problem}" for field, problem in problems))
    return value


def _domain(value: str) -> str:
    problem = domain_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Interval = Annotated[str, StringConstraints(max_length=20)]
Hours = Annotated[dict[str, list[Interval]] | Literal["always"], AfterValidator(_hours)]
Domain = Annotated[str, StringConstraints(min_length=1, max_length=253), AfterValidator(_domain)]
# A name is part of the organisation's URL: no slash, no control characters.
OrganisationName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=NAME_MAX, pattern=r"^[^/\x00-\x1f\x7f]+$"),
    Trimmed,
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationIn(_Strict):
    """A new organisation."""

    name: OrganisationName
    tier: Name | None = Field(None, description="the tier its customers' cases take by default")
    timezone: TimeZoneName = Field(description="its IANA time zone, e.g. Asia/Tokyo")
    hours: Hours = Field(
        default_factory=lambda: dict(OFFICE_HOURS),
        description='working hours per weekday ("mon": ["09:00-17:00"]) or "always"',
    )
    holidays: list[date] = Field(default_factory=list, max_length=MAX_HOLIDAYS)
    domains: list[Domain] = Field(
        default_factory=list,
        max_length=MAX_DOMAINS,
        description="e-mail domains whose customers belong to it (one organisation per domain)",
    )


class OrganisationPatch(_Strict):
    """Fields of an organisation to change (domains and holidays are replaced as a whole)."""

    name: OrganisationName | None = None
    tier: Name | None = None
    timezone: TimeZoneName | None = None
    hours: Hours | None = None
    holidays: list[date] | None = Field(None, max_length=MAX_HOLIDAYS)
    domains: list[Domain] | None = Field(None, max_length=MAX_DOMAINS)


class OrganisationOut(BaseModel):
    """An organisation."""

    id: int
    name: str
    tier: str | None
    timezone: str
    hours: dict[str, list[str]] | str
    holidays: list[str]
    domains: list[str]
    customers: int = Field(description="customers placed in it by hand")
    created_at: datetime
    updated_at: datetime


class Membership(_Strict):
    """The organisation a customer is placed in (null: by their e-mail domain, if any)."""

    organisation: OrganisationName | None
