"""`escalon teams` and `escalon agents`: the roster in the database, by hand or from a file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar, get_args

import typer
from pydantic import BaseModel, ValidationError
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from escalon.cli.service import audit
from escalon.config import get_settings
from escalon.errors import Detail, EscalonError
from escalon.people.schemas import AgentStatus, Strategy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from escalon.people.models import Agent, Team

teams_app = typer.Typer(
    help="Teams: list and show them, add or change one, import a roster file.",
    no_args_is_help=True,
)
agents_app = typer.Typer(
    help="Agents: list and show them, add or change one, import a roster file.",
    no_args_is_help=True,
)

Model = TypeVar("Model", bound=BaseModel)

# `teams set --assignment none` takes the team back to its queue only.
AssignmentChoice = Literal["none", "round_robin", "least_loaded", "skills", "on_call"]
assert get_args(AssignmentChoice) == ("none", *get_args(Strategy))
# Where a field of an agent is given on the command line, to name the option in a problem.
OPTIONS = {
    "handle": "HANDLE",
    "name": "--name",
    "email": "--email",
    "chat": "--chat",
    "level": "--level",
    "teams": "--team",
    "skills": "--skill",
    "languages": "--language",
    "capacity": "--capacity",
    "status": "--status",
    "timezone": "--timezone",
    "working_hours": "--working-hours",
    "authority": "--authority",
    "active": "--active",
    "description": "--description",
    "assignment": "--assignment",
}


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _problem_line(detail: Detail) -> str:
    """`file:line: field: problem`, leaving out what is unknown."""
    where = ""
    if detail.source is not None:
        where = f"{detail.source}:{detail.line}: " if detail.line else f"{detail.source}: "
    elif detail.line is not None:
        where = f"line {detail.line}: "
    field = (detail.field or "").removeprefix("body.").removeprefix("body")
    return f"{where}{field}: {detail.problem}" if field else f"{where}{detail.problem}"


def _fail(lines: list[str], *, code: int = 1) -> NoReturn:
    """Each problem on its own line on stderr; exit 1 (2: the command was used wrongly)."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in lines:
        err.print(f"[red]error[/red] {escape(line)}")
    raise typer.Exit(code)


def _refused(error: EscalonError, *, options: bool = False) -> NoReturn:
    """Every problem of a refusal on its own line, or its message when it has no details;
    `options`: the fields came from options, so name those."""
    from escalon.core.roster.checking import split_path

    if not error.details:
        _fail([error.message])
    lines = []
    for detail in error.details:
        if options and detail.field:
            path = split_path(detail.field.removeprefix("body."))
            detail = replace(detail, field=_option(path))
        lines.append(_problem_line(detail))
    _fail(lines)


def _option(path: tuple[str | int, ...]) -> str:
    """The option that gave a field: `('working_hours', 'mon', 0)` -> `--working-hours (mon[0])`."""
    from escalon.core.policy.source import format_path

    if not path:
        return ""
    option = OPTIONS.get(str(path[0]), str(path[0]))
    if len(path) > 1 and not isinstance(path[1], int):
        return f"{option} ({format_path(path[1:])})"
    return option


def _from_options(model: type[Model], data: Mapping[str, Any]) -> Model:
    """The options as given, checked into `model`; a problem ends the command naming its option."""
    from escalon.core.roster.checking import explain_validation

    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = []
        for path, problem in explain_validation(error, data, model.model_fields):
            where = _option(path)
            lines.append(f"{where}: {problem}" if where else problem)
        _fail(lines)


@contextmanager
def _session(*, write: bool, options: bool = False) -> Iterator[Session]:
    """A transaction on the configured database; a refusal ends the command with its problems."""
    from escalon.cli.service import database_ready

    database = database_ready(get_settings())
    try:
        with database.write() if write else database.read() as session:
            yield session
    except EscalonError as error:
        _refused(error, options=options)
    finally:
        database.dispose()


def _now() -> int:
    from escalon.clock import SystemClock

    return SystemClock().now_us()


# Columns of lists and prose wrap between words; names and codes stay on one line.
_WRAPPING = frozenset({"name", "members", "description", "teams", "skills", "languages"})


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=column not in _WRAPPING)
    return table


def _working_now(agent: Agent, now: int) -> bool:
    from escalon.people import service

    calendar = service.working_hours(agent.timezone, agent.working_hours)
    return agent.status == "available" and (calendar is None or calendar.is_open_us(now))


def _local(moment_us: int, zone: Any) -> str:
    from escalon.core.state import from_us

    return from_us(moment_us).astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


def _on_call(team: Team, now: int) -> str:
    from escalon.people import service

    if team.rotation is None:
        return "-"
    found = service.compile_rotation(team.rotation).who(now)
    return "nobody" if found is None else f"{found[0]} ({found[1]})"


# -- teams --------------------------------------------------------------------------------------


@teams_app.command("list")
def teams_list() -> None:
    """Every team: how it assigns cases, its members and who is on call now."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from escalon.people.models import Team

    now = _now()
    table = _table("team", "assignment", "members", "on call now", "description")
    with _session(write=False) as session:
        teams = session.scalars(
            select(Team).options(selectinload(Team.members)).order_by(Team.name)
        )
        for team in teams:
            table.add_row(
                team.name,
                team.assignment or "-",
                ", ".join(member.handle for member in team.members) or "-",
                _on_call(team, now),
                team.description,
            )
    _out().print(table)


@teams_app.command("show")
def teams_show(
    name: Annotated[str, typer.Argument(help="The team's name.")],
    shifts: Annotated[
        int, typer.Option(min=0, max=200, help="How many on-call shifts to list.")
    ] = 6,
    timezone: Annotated[
        str | None,
        typer.Option(help="Show shift times in this zone (default: the rotation's first layer's)."),
    ] = None,
) -> None:
    """A team: its members, how it assigns cases, who is on call now and the next shifts."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from escalon.people import service

    now = _now()
    out = _out()
    with _session(write=False) as session:
        team = service.team_by_name(session, name)
        out.print(
            f"[bold]{escape(team.name)}[/bold]"
            + (f"  {escape(team.description)}" if team.description else "")
        )
        out.print(f"assignment: {team.assignment or 'none (cases wait in the team queue)'}")
        members = _table("handle", "name", "level", "status", "open/cap", "working now")
        for agent in team.members:
            members.add_row(
                agent.handle,
                agent.name,
                agent.level or "-",
                agent.status if agent.active else f"{agent.status} (inactive)",
                f"{agent.open_cases}/{agent.capacity}",
                "yes" if agent.active and _working_now(agent, now) else "no",
            )
        if team.members:
            out.print(members)
        else:
            out.print("members: none")
        if team.rotation is None:
            out.print("on call: no rotation")
            return
        rotation = service.compile_rotation(team.rotation)
    try:
        zone = ZoneInfo(timezone) if timezone else rotation.layers[0].timezone
    except (ZoneInfoNotFoundError, ValueError):
        _fail([f"--timezone: {timezone!r} is not an IANA time zone name"])
    found = rotation.who(now)
    out.print(f"on call now: {'nobody' if found is None else f'{found[0]} ({found[1]})'}")
    upcoming = rotation.next_shifts(now, shifts) if shifts else []
    if upcoming:
        table = _table("person", "source", f"from ({zone.key})", "until")
        for shift in upcoming:
            table.add_row(
                shift.person, shift.source, _local(shift.start, zone), _local(shift.end, zone)
            )
        out.print(table)


@teams_app.command("add")
def teams_add(
    name: Annotated[str, typer.Argument(help="The team's name.")],
    description: Annotated[str, typer.Option(help="What the team does.")] = "",
    assignment: Annotated[
        Strategy | None, typer.Option(help="How its new cases get a person.")
    ] = None,
) -> None:
    """Add a team."""
    from escalon.people import service
    from escalon.people.schemas import TeamIn

    data = {"name": name, "description": description, "assignment": assignment}
    team_in = _from_options(TeamIn, data)
    with _session(write=True) as session:
        team = service.create_team(session, data=team_in, now=_now())
        audit(session, "team.created", f"team:{team.name}", team_in.model_dump(mode="json"))
        _out().print(f"team {escape(team.name)} added")


@teams_app.command("set")
def teams_set(
    name: Annotated[str, typer.Argument(help="The team's name.")],
    description: Annotated[str | None, typer.Option(help="What the team does.")] = None,
    assignment: Annotated[
        AssignmentChoice | None,
        typer.Option(help="How its new cases get a person; none: they wait in the team queue."),
    ] = None,
) -> None:
    """Change a team's description or how it assigns cases."""
    from escalon.people import service
    from escalon.people.schemas import TeamPatch

    data: dict[str, Any] = {}
    if description is not None:
        data["description"] = description
    if assignment is not None:
        data["assignment"] = None if assignment == "none" else assignment
    if not data:
        _fail(["nothing to change: give --description or --assignment"], code=2)
    patch = _from_options(TeamPatch, data)
    with _session(write=True) as session:
        team = service.update_team(session, name=name, data=patch)
        audit(session, "team.updated", f"team:{name}", service.changed_fields(patch))
        _out().print(f"team {escape(team.name)} changed: {', '.join(sorted(data))}")


# -- importing a roster -------------------------------------------------------------------------

_FILE = Annotated[Path, typer.Argument(help="The roster: .yaml, .yml, .json or .csv.")]
_DRY_RUN = Annotated[
    bool, typer.Option("--dry-run", help="Check the file and say what would change; write nothing.")
]


def _import(file: Path, dry_run: bool) -> None:
    from escalon.people.roster import import_roster, known_names, load_roster

    with _session(write=False) as session:
        names = known_names(session)
    try:
        # Levels and teams are checked with the file's other problems, so one run says all.
        roster = load_roster(file, names=names)
    except EscalonError as error:
        _refused(error)
    with _session(write=not dry_run) as session:
        report = import_roster(session, roster, now=_now(), dry_run=dry_run)
        if not dry_run:
            audit(session, "roster.imported", f"roster:{file.name}", report.model_dump(mode="json"))
    table = _table("kind", "name", "outcome", "changed")
    for kind, items in (("team", report.teams), ("agent", report.agents)):
        for item in items:
            table.add_row(kind, item.name, item.outcome, ", ".join(item.changed))
    out = _out()
    if report.teams or report.agents:
        out.print(table)
    out.print(report.summary())
    if dry_run:
        out.print("dry run: nothing was written")


@teams_app.command("import")
def teams_import(file: _FILE, dry_run: _DRY_RUN = False) -> None:
    """Create and update teams, agents and rotations from a roster file, all or nothing."""
    _import(file, dry_run)


@agents_app.command("import")
def agents_import(file: _FILE, dry_run: _DRY_RUN = False) -> None:
    """Create and update agents, teams and rotations from a roster file, all or nothing."""
    _import(file, dry_run)


# -- agents -------------------------------------------------------------------------------------


@agents_app.command("list")
def agents_list(
    team: Annotated[str | None, typer.Option(help="Only the members of this team.")] = None,
) -> None:
    """Every agent (or a team's): level, teams, status, capacity, skills and languages."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from escalon.people import service
    from escalon.people.models import Agent

    table = _table("handle", "name", "level", "teams", "status", "open/cap", "skills", "languages")
    with _session(write=False) as session:
        if team is not None:
            agents = list(service.team_by_name(session, team).members)
        else:
            query = select(Agent).options(selectinload(Agent.teams)).order_by(Agent.handle)
            agents = list(session.scalars(query))
        for agent in agents:
            table.add_row(
                agent.handle,
                agent.name,
                agent.level or "-",
                ", ".join(t.name for t in agent.teams) or "-",
                agent.status if agent.active else f"{agent.status} (inactive)",
                f"{agent.open_cases}/{agent.capacity}",
                ", ".join(agent.skills or []) or "-",
                ", ".join(agent.languages or []) or "-",
            )
    _out().print(table)


@agents_app.command("show")
def agents_show(handle: Annotated[str, typer.Argument(help="The agent's handle.")]) -> None:
    """An agent's whole profile."""
    from escalon.core.roster.reading import format_authority, format_working_hours
    from escalon.people import service

    now = _now()
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    with _session(write=False) as session:
        agent = service.agent_by_handle(session, handle)
        rows = {
            "handle": agent.handle,
            "name": agent.name,
            "email": agent.email or "-",
            "chat": agent.chat or "-",
            "level": agent.level or "-",
            "teams": ", ".join(team.name for team in agent.teams) or "-",
            "status": agent.status,
            "active": "yes" if agent.active else "no",
            "capacity": str(agent.capacity),
            "open cases": str(agent.open_cases),
            "skills": ", ".join(agent.skills or []) or "-",
            "languages": ", ".join(agent.languages or []) or "-",
            "timezone": agent.timezone,
            "working hours": format_working_hours(agent.working_hours) or "always (none set)",
            "authority": format_authority(agent.authority) or "that of their level",
            "working now": "yes" if agent.active and _working_now(agent, now) else "no",
        }
    for key, value in rows.items():
        table.add_row(key, escape(value))
    _out().print(table)


# The agent options a command takes: its parameter's name, the field it sets.
_AGENT_FIELDS = {
    "name": "name",
    "email": "email",
    "chat": "chat",
    "level": "level",
    "team": "teams",
    "skill": "skills",
    "language": "languages",
    "capacity": "capacity",
    "status": "status",
    "timezone": "timezone",
}


def _agent_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the command line gives (`given`: the command's parameters), the one-line ones
    (hours, authority) read. A repeatable option given no time is not given."""
    from escalon.core.roster.reading import parse_authority, parse_working_hours

    data: dict[str, Any] = {
        field: list(value) if isinstance(value, list | tuple) else value
        for option, field in _AGENT_FIELDS.items()
        if (value := given.get(option)) is not None and value != ()
    }
    working_hours, authority = given.get("working_hours"), given.get("authority")
    problems = []
    if working_hours is not None:
        try:
            data["working_hours"] = parse_working_hours(working_hours)
        except ValueError as error:
            problems.append(f"--working-hours: {error}")
    if authority is not None:
        try:
            data["authority"] = parse_authority(authority) or None
        except ValueError as error:
            problems.append(f"--authority: {error}")
    if problems:
        _fail(problems)
    return data


_NAME = Annotated[str | None, typer.Option(help="Their full name.")]
_EMAIL = Annotated[str | None, typer.Option(help="Their e-mail address.")]
_CHAT = Annotated[str | None, typer.Option(help="Their chat handle.")]
_LEVEL = Annotated[str | None, typer.Option(help="Their level on the policy's ladder.")]
_TEAMS = Annotated[list[str] | None, typer.Option("--team", help="A team they belong to (repeat).")]
_SKILLS = Annotated[list[str] | None, typer.Option("--skill", help="A skill (repeat).")]
_LANGUAGES = Annotated[list[str] | None, typer.Option("--language", help="A language (repeat).")]
_CAPACITY = Annotated[int | None, typer.Option(help="Most open cases at once.")]
_STATUS = Annotated[AgentStatus | None, typer.Option(help="Their status.")]
_TIMEZONE = Annotated[str | None, typer.Option(help="Their IANA time zone (Europe/Berlin).")]
_HOURS = Annotated[
    str | None,
    typer.Option(
        help="Working hours: 'mon-fri 09:00-17:00', 'mon 09:00-12:00,13:00-17:00;tue ...' or 'always'."
    ),
]
_AUTHORITY = Annotated[
    str | None,
    typer.Option(help="What they may grant beyond their level: 'refund=800;credit=unlimited'."),
]


@agents_app.command("add")
def agents_add(
    context: typer.Context,
    handle: Annotated[str, typer.Argument(help="The agent's handle (one word).")],
    name: Annotated[str, typer.Option(help="Their full name.")],
    email: _EMAIL = None,
    chat: _CHAT = None,
    level: _LEVEL = None,
    team: _TEAMS = None,
    skill: _SKILLS = None,
    language: _LANGUAGES = None,
    capacity: _CAPACITY = None,
    status: _STATUS = None,
    timezone: _TIMEZONE = None,
    working_hours: _HOURS = None,
    authority: _AUTHORITY = None,
) -> None:
    """Add an agent."""
    from escalon.people import service
    from escalon.people.schemas import AgentIn

    data = {
        "handle": handle,
        **_agent_options(context.params),  # the options as given
    }
    agent_in = _from_options(AgentIn, data)
    with _session(write=True, options=True) as session:
        agent = service.create_agent(session, data=agent_in, now=_now())
        audit(session, "agent.created", f"agent:{agent.handle}", agent_in.model_dump(mode="json"))
        _out().print(f"agent {escape(agent.handle)} added")


@agents_app.command("set")
def agents_set(
    context: typer.Context,
    handle: Annotated[str, typer.Argument(help="The agent's handle.")],
    name: _NAME = None,
    email: _EMAIL = None,
    chat: _CHAT = None,
    level: _LEVEL = None,
    team: Annotated[
        list[str] | None,
        typer.Option("--team", help="A team they belong to (repeat; replaces them all)."),
    ] = None,
    skill: Annotated[
        list[str] | None, typer.Option("--skill", help="A skill (repeat; replaces them all).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option("--language", help="A language (repeat; replaces them all).")
    ] = None,
    capacity: _CAPACITY = None,
    status: _STATUS = None,
    timezone: _TIMEZONE = None,
    working_hours: _HOURS = None,
    authority: _AUTHORITY = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Whether they take cases at all.")
    ] = None,
) -> None:
    """Change an agent's fields (only those given)."""
    from escalon.people import service
    from escalon.people.schemas import AgentPatch

    data = _agent_options(context.params)  # the options as given
    if active is not None:
        data["active"] = active
    if not data:
        _fail(["nothing to change: give at least one option (see --help)"], code=2)
    patch = _from_options(AgentPatch, data)
    with _session(write=True, options=True) as session:
        agent = service.update_agent(session, handle=handle, data=patch, now=_now())
        audit(session, "agent.updated", f"agent:{handle}", service.changed_fields(patch))
        _out().print(f"agent {escape(agent.handle)} changed: {', '.join(sorted(data))}")
