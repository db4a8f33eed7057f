"""Organisations: the companies customers belong to, with their tier and business calendar.

Pure rules shared by the database's organisations and the replay's organisations file: what a
sound organisation is, which one a customer belongs to (an explicit name, else the domain of the
customer's e-mail address) and what it adds to a case's opening (its tier when the case has
none, its calendar for SLAs that follow the customer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from escalon.core.calendar import Calendar
from escalon.core.events import CaseOpened
from escalon.core.policy.source import Problem, format_path, read_yaml

__all__ = [
    "Organisation",
    "Organisations",
    "OrganisationsInvalid",
    "UnknownOrganisation",
    "calendar_problems",
    "domain_of",
    "domain_problem",
    "read_organisations",
]

NAME_MAX = 200
TIER_MAX = 100
MAX_DOMAINS = 100
# A host name as mail addresses use it: labels of letters, digits and hyphens, a dot between.
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
_FIELDS = frozenset({"name", "tier", "timezone", "hours", "holidays", "domains"})


@dataclass(frozen=True, slots=True)
class Organisation:
    """A customer organisation: its tier, its calendar and the e-mail domains that are its own."""

    name: str
    tier: str | None
    # A policy calendar's mapping: timezone, hours and holidays.
    calendar: Mapping[str, Any]
    domains: tuple[str, ...] = ()

    @property
    def timezone(self) -> str:
        """The organisation's IANA time zone."""
        return str(self.calendar["timezone"])


class UnknownOrganisation(ValueError):
    """An event names an organisation the replay was not given."""


class OrganisationsInvalid(ValueError):
    """An organisations file with problems; none of it is used."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"the organisations have {len(problems)} problem(s):\n{lines}")


def domain_of(address: str | None) -> str | None:
    """The lower-cased domain of an e-mail address (None when it is no address)."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return domain or None


def domain_problem(domain: str) -> str | None:
    """What is wrong with an organisation's e-mail domain (None when it is sound)."""
    if domain != domain.strip().lower():
        return f"{domain!r} must be written in lower case without spaces"
    if "@" in domain:
        return f"{domain!r} is an address; give only its domain (after the @)"
    if not _DOMAIN.fullmatch(domain):
        return f"{domain!r} is not a domain name such as example.com"
    return None


def calendar_problems(calendar: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for an organisation's calendar: timezone, hours and holidays."""
    return Calendar.validate(dict(calendar))


class Organisations:
    """The organisations a replay knows, by name and by e-mail domain."""

    def __init__(self, organisations: Iterable[Organisation]) -> None:
        self.by_name = {organisation.name: organisation for organisation in organisations}
        self.by_domain = {
            domain: organisation
            for organisation in self.by_name.values()
            for domain in organisation.domains
        }

    def of(self, customer: str, named: str | None = None) -> Organisation | None:
        """The customer's organisation: the one named, else the one owning its mail domain."""
        if named is not None:
            found = self.by_name.get(named)
            if found is None:
                raise UnknownOrganisation(f"unknown organisation {named!r}")
            return found
        domain = domain_of(customer)
        return None if domain is None else self.by_domain.get(domain)

    def opening(self, event: CaseOpened) -> CaseOpened:
        """The opening with what the customer's organisation adds: its tier (when the event
        gives none) and its calendar (when the event gives none)."""
        organisation = self.of(event.customer, event.organisation)
        if organisation is None:
            return event
        update: dict[str, Any] = {"organisation": organisation.name}
        if event.tier is None:
            update["tier"] = organisation.tier
        if event.calendar is None:
            update["calendar"] = dict(organisation.calendar)
        return event.model_copy(update=update)


def read_organisations(text: str, source: str) -> Organisations:
    """An organisations file (YAML or JSON: `organisations:` a list); OrganisationsInvalid
    listing every problem with its line and field."""
    data, lines, problems = read_yaml(text, source)
    if problems:
        raise OrganisationsInvalid(problems)
    found: list[Organisation] = []

    def problem(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(source, lines.line_of(path), format_path(path), message))

    items = data.get("organisations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        problem(("organisations",), "expected a list of organisations under `organisations:`")
        raise OrganisationsInvalid(problems)
    names: set[str] = set()
    owners: dict[str, str] = {}
    for index, item in enumerate(items):
        path: tuple[str | int, ...] = ("organisations", index)
        if not isinstance(item, dict):
            problem(path, "expected a mapping (name, tier, timezone, hours, holidays, domains)")
            continue
        before = len(problems)
        for key in item:
            if key not in _FIELDS:
                problem((*path, str(key)), f"unknown field (known: {', '.join(sorted(_FIELDS))})")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
            problem((*path, "name"), f"give a name of 1 to {NAME_MAX} characters")
        elif name in names:
            problem((*path, "name"), f"{name!r} is listed twice")
        tier = item.get("tier")
        if tier is not None and (not isinstance(tier, str) or not tier or len(tier) > TIER_MAX):
            problem((*path, "tier"), f"give a tier of 1 to {TIER_MAX} characters")
        calendar = {
            key: _plain(item[key]) for key in ("timezone", "hours", "holidays") if key in item
        }
        for field, message in calendar_problems(calendar):
            problem((*path, *_split(field)), message)
        domains = item.get("domains", [])
        if not isinstance(domains, list) or len(domains) > MAX_DOMAINS:
            problem((*path, "domains"), f"expected a list of at most {MAX_DOMAINS} domains")
            domains = []
        for number, domain in enumerate(domains):
            wrong = domain_problem(domain) if isinstance(domain, str) else "expected a domain"
            owner = owners.get(domain) if isinstance(domain, str) else None
            if wrong is None and owner is not None:
                wrong = f"{domain!r} already belongs to {owner!r}"
            if wrong is not None:
                problem((*path, "domains", number), wrong)
            elif isinstance(name, str):
                owners[domain] = name
        if len(problems) == before and isinstance(name, str):
            names.add(name)
            found.append(Organisation(name, tier, calendar, tuple(domains)))
    if problems:
        raise OrganisationsInvalid(problems)
    return Organisations(found)


def _plain(value: Any) -> Any:
    """YAML reads unquoted dates as dates: keep them as the text a calendar reads."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _split(field: str) -> tuple[str | int, ...]:
    """A calendar problem's field (`hours.mon[0]`) as a path."""
    parts: list[str | int] = []
    for piece in field.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        if rest:
            parts.append(int(rest.rstrip("]")))
    return tuple(parts)
