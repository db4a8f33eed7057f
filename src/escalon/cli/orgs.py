"""`escalon orgs`: customer organisations, their tier, time zone, calendar and mail domains."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, ValidationError
from rich.markup import escape

from escalon.cli import people as shared
from escalon.cli.service import audit

app = typer.Typer(
    help="Customer organisations: list them, add or change one, place a customer in one.",
    no_args_is_help=True,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_HELP = (
    'Working hours, repeatable: "mon-fri 09:00-18:00", "sat 10:00-12:00,13:00-15:00" or '
    '"always" (default: mon-fri 09:00-17:00).'
)
Tier = Annotated[str | None, typer.Option(help="The tier its customers' cases take.")]
Zone = Annotated[str | None, typer.Option(help="Its IANA time zone, e.g. Asia/Tokyo.")]
HoursOption = Annotated[list[str] | None, typer.Option("--hours", help=_HOURS_HELP)]
Holidays = Annotated[
    list[str] | None, typer.Option("--holiday", help="A day off (YYYY-MM-DD), repeatable.")
]
Domains = Annotated[
    list[str] | None,
    typer.Option("--domain", help="A mail domain whose customers belong to it, repeatable."),
]


def _usage(problem: str) -> NoReturn:
    shared._fail([problem], code=2)


def parse_hours(given: list[str]) -> Any:
    """`--hours` values as a calendar's hours: "always", or intervals by weekday."""
    if given == ["always"]:
        return "always"
    week: dict[str, list[str]] = {}
    for value in given:
        days, _, intervals = value.strip().partition(" ")
        if not intervals.strip():
            _usage(f'--hours: {value!r} is not "DAYS HH:MM-HH:MM[,HH:MM-HH:MM]" or "always"')
        for day in _days(days, value):
            week.setdefault(day, []).extend(part.strip() for part in intervals.split(","))
    return week


def _days(text: str, value: str) -> list[str]:
    """`mon-fri` or `mon,wed` as weekday names."""
    found: list[str] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            _usage(f"--hours: {value!r} names no weekdays (mon..sun, e.g. mon-fri)")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        found.extend(
            WEEKDAYS[start : end + 1] if start <= end else [*WEEKDAYS[start:], *WEEKDAYS[: end + 1]]
        )
    return found


def _checked(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """The options checked into `model`; each problem names its option."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        options = {"holidays": "--holiday", "domains": "--domain", "name": "NAME"}
        lines = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            where = options.get(field, f"--{field}")
            rest = "".join(f"[{part}]" for part in item["loc"][1:2] if isinstance(part, int))
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"{where}{rest}: {message}")
        shared._fail(lines)


@app.command("list")
def orgs_list() -> None:
    """Every organisation: tier, zone, domains and customers placed in it by hand."""
    from escalon.organisations import service

    table = shared._table("organisation", "tier", "time zone", "domains", "holidays", "placed")
    with shared._session(write=False) as session:
        for found in service.listed(session):
            shown = service.out(session, found)
            table.add_row(
                shown.name,
                shown.tier or "-",
                shown.timezone,
                ", ".join(shown.domains) or "-",
                str(len(shown.holidays)),
                str(shown.customers),
            )
    shared._out().print(table)


@app.command("show")
def orgs_show(name: Annotated[str, typer.Argument(help="The organisation's name.")]) -> None:
    """One organisation with its working hours and holidays."""
    from escalon.organisations import service

    with shared._session(write=False) as session:
        shown = service.out(session, service.by_name(session, name))
    out = shared._out()
    out.print(f"[bold]{escape(shown.name)}[/bold]  tier {escape(shown.tier or '-')}")
    out.print(f"time zone: {shown.timezone}")
    if isinstance(shown.hours, str):
        out.print(f"hours: {shown.hours}")
    else:
        for day in WEEKDAYS:
            out.print(f"  {day}: {', '.join(shown.hours.get(day, [])) or 'closed'}")
    out.print(f"holidays: {', '.join(shown.holidays) or 'none'}")
    out.print(f"domains: {', '.join(shown.domains) or 'none'}")


@app.command("add")
def orgs_add(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    timezone: Annotated[str, typer.Option(help="Its IANA time zone, e.g. Asia/Tokyo.")],
    tier: Tier = None,
    hours: HoursOption = None,
    holiday: Holidays = None,
    domain: Domains = None,
) -> None:
    """Add an organisation."""
    from escalon.organisations import service
    from escalon.organisations.schemas import OrganisationIn

    data: dict[str, Any] = {"name": name, "timezone": timezone, "tier": tier}
    if hours:
        data["hours"] = parse_hours(hours)
    data["holidays"] = list(holiday or [])
    data["domains"] = list(domain or [])
    body = _checked(OrganisationIn, data)
    with shared._session(write=True) as session:
        created = service.create(session, data=body, now=shared._now())
        audit(
            session,
            "organisation.created",
            f"organisation:{created.name}",
            body.model_dump(mode="json"),
        )
        shared._out().print(f"organisation {escape(created.name)} added")


@app.command("set")
def orgs_set(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    rename: Annotated[str | None, typer.Option(help="A new name.")] = None,
    tier: Tier = None,
    timezone: Zone = None,
    hours: HoursOption = None,
    holiday: Holidays = None,
    domain: Domains = None,
    no_holidays: Annotated[
        bool, typer.Option("--no-holidays", help="Remove every holiday.")
    ] = False,
    no_domains: Annotated[bool, typer.Option("--no-domains", help="Remove every domain.")] = False,
) -> None:
    """Change an organisation; --holiday and --domain replace the lists (open cases keep the
    calendar they were opened with)."""
    from escalon.organisations import service
    from escalon.organisations.schemas import OrganisationPatch

    data: dict[str, Any] = {}
    for field, value in (("name", rename), ("tier", tier), ("timezone", timezone)):
        if value is not None:
            data[field] = value
    if hours:
        data["hours"] = parse_hours(hours)
    if holiday or no_holidays:
        data["holidays"] = list(holiday or [])
    if domain or no_domains:
        data["domains"] = list(domain or [])
    if not data:
        _usage("nothing to change: give --tier, --timezone, --hours, --holiday or --domain")
    patch = _checked(OrganisationPatch, data)
    with shared._session(write=True) as session:
        _changed, changes = service.change(session, name=name, data=patch, now=shared._now())
        if changes:
            audit(session, "organisation.updated", f"organisation:{name}", changes)
    shared._out().print(
        f"organisation {escape(name)} changed: {', '.join(sorted(changes)) or 'nothing'}"
    )


@app.command("remove")
def orgs_remove(name: Annotated[str, typer.Argument(help="The organisation's name.")]) -> None:
    """Remove an organisation; its customers belong to none."""
    from escalon.organisations import service

    with shared._session(write=True) as session:
        service.remove(session, name=name)
        audit(session, "organisation.deleted", f"organisation:{name}")
    shared._out().print(f"organisation {escape(name)} removed")


@app.command("place")
def orgs_place(
    customer: Annotated[str, typer.Argument(help="The customer's ref.")],
    organisation: Annotated[
        str | None,
        typer.Argument(help="The organisation; leave out to go back to their mail domain's."),
    ] = None,
) -> None:
    """Place a customer in an organisation, whatever their mail domain."""
    from sqlalchemy import select

    from escalon.cases.models import Customer
    from escalon.errors import NotFound
    from escalon.organisations import service

    with shared._session(write=True) as session:
        found = session.scalar(select(Customer).where(Customer.ref == customer))
        if found is None:
            raise NotFound(f"customer {customer!r} does not exist")
        before, after = service.place(
            session, customer=found, organisation=organisation, now=shared._now()
        )
        if before != after:
            audit(
                session,
                "customer.organisation",
                f"customer:{found.ref}",
                {"organisation": [before, after]},
            )
    shared._out().print(f"customer {escape(customer)}: {escape(after or 'no organisation')}")
