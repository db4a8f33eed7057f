"""The small typed shapes policy fields are made of (names, durations, languages...).

Shared by the policy model and the rule modules, so a rule can declare its parameters without
importing the whole policy model.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from escalon.core.durations import parse_duration, parse_fraction

Metric = Literal["first_response", "next_response", "periodic_update", "resolution"]
METRICS: tuple[str, ...] = get_args(Metric)
UNLIMITED = float("inf")


def _as_names(value: object) -> object:
    """Let a single name stand for a one-element list."""
    if isinstance(value, str):
        return [value]
    return value


def _non_empty(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("must list at least one name")
    if any(not item.strip() for item in value):
        raise ValueError("names must not be empty")
    return value


def _keyword(value: str) -> str:
    if not value.strip():
        raise ValueError("a keyword must not be blank")
    return value


def _duration(value: object) -> int:
    return parse_duration(value)


def _fraction(value: object) -> float:
    return parse_fraction(value)


def _version(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a version number or name, got {value!r}")
    return str(value)


def _amount(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return UNLIMITED
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected an amount (a number) or 'unlimited', got {value!r}")
    if value < 0:
        raise ValueError(f"{value!r}: an authority cannot be negative")
    return float(value)


Names = Annotated[tuple[str, ...], BeforeValidator(_as_names), AfterValidator(_non_empty)]
LANGUAGE_CODE = r"^[a-z]{2}$"
# ISO 639-1 codes, lower case: `en`, `de`...
Languages = Annotated[
    tuple[Annotated[str, Field(pattern=LANGUAGE_CODE)], ...],
    BeforeValidator(_as_names),
    AfterValidator(_non_empty),
]
DurationUs = Annotated[int, BeforeValidator(_duration)]
Fraction = Annotated[float, BeforeValidator(_fraction)]
Amount = Annotated[float, BeforeValidator(_amount)]
Name = Annotated[str, Field(min_length=1)]
CategoryName = Annotated[str, Field(min_length=1, max_length=100)]  # a case's category column
# A root cause's code: what reports count by, so it stays readable in a URL and a CSV.
ROOT_CAUSE_CODE = r"^[a-z0-9][a-z0-9_-]{0,99}$"
OTHER_CAUSE = "other"  # always offered, with the person's own words


def _listed_code(code: str) -> str:
    if not re.fullmatch(ROOT_CAUSE_CODE, code):
        raise ValueError(
            f"root cause code {code!r} must be lower-case letters, digits, '_' and '-' "
            "(at most 100, e.g. product_bug)"
        )
    if code == OTHER_CAUSE:
        raise ValueError(
            f"'{OTHER_CAUSE}' is always offered (with the person's own words): leave it out"
        )
    return code


def _label(text: str) -> str:
    if not text.strip():
        raise ValueError("a label cannot be blank")
    return text.strip()


RootCauseCode = Annotated[str, AfterValidator(_listed_code)]
RootCauseLabel = Annotated[str, Field(max_length=200), AfterValidator(_label)]
Keyword = Annotated[str, Field(max_length=200), AfterValidator(_keyword)]
# Bounded, so a policy cannot make every case's opening scan an endless alternation.
Keywords = Annotated[tuple[Keyword, ...], BeforeValidator(_as_names), Field(max_length=1000)]
Version = Annotated[str, BeforeValidator(_version), Field(min_length=1)]


class Strict(BaseModel):
    """Every policy section: unknown keys are errors and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
