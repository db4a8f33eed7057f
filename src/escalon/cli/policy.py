"""`escalon policy`: check a policy file, summarise it on one screen, upload and activate it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from escalon.core.durations import format_duration
from escalon.core.policy import CheckResult, check_text
from escalon.core.policy.compiled import root_cause_labels
from escalon.core.policy.model import METRICS
from escalon.core.rules.english import rule_sentence
from escalon.files import read_policy

app = typer.Typer(
    help="Policies: check a file, see what it says, upload and activate it.", no_args_is_help=True
)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The policy file (YAML or JSON).")],
) -> None:
    """Report every error at once (exit 1), or summarise the policy (exit 0)."""
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    result = check_text(_read(file, err), str(file))
    if not result.ok:
        for problem in result.errors:
            err.print(f"[red]error[/red] {escape(str(problem))}", markup=True, soft_wrap=True)
        for problem in result.warnings:
            err.print(f"[yellow]warning[/yellow] {escape(str(problem))}", soft_wrap=True)
        err.print(f"{file}: {len(result.errors)} error(s); nothing of this policy can be applied")
        raise typer.Exit(1)
    print_summary(out, result)


@app.command("upload")
def upload(
    file: Annotated[Path, typer.Argument(help="The policy file (YAML or JSON).")],
    activate_now: Annotated[
        bool, typer.Option("--activate", help="Open new cases under it from now on.")
    ] = False,
) -> None:
    """Store a policy version in the database (ESCALON_DATABASE_URL); nothing if it has errors."""
    from escalon.cli.service import audit, database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.errors import EscalonError
    from escalon.policies import service

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    text = _read(file, err)
    database = database_ready(get_settings())
    try:
        with database.write() as session:
            version, created = service.store(
                session,
                text=text,
                filename=str(file),
                activate_now=activate_now,
                user_id=None,
                now=SystemClock().now_us(),
                audit=audit,
            )
            stored = "stored" if created else "was already stored (same text)"
            state = "; active: new cases open under it" if version.active else ""
            line = f"policy {version.name} version {version.version} {stored} as #{version.id}"
            warnings = list(version.warnings or [])
            label = version.version
    except EscalonError as error:
        _refuse(err, error)
    out = Console(highlight=False, soft_wrap=True)
    out.print(line + state, markup=False)
    for warning in warnings:
        out.print(f"[yellow]warning[/yellow] {escape(_detail_line(warning))}")
    if not activate_now:
        out.print(f"activate it with: escalon policy activate {label}", markup=False)


@app.command("activate")
def activate(
    version: Annotated[str, typer.Argument(help="The `version:` the policy file gives itself.")],
    name: Annotated[
        str | None, typer.Option(help="The policy's `name:`, when versions are shared.")
    ] = None,
) -> None:
    """Open new cases under a stored version from now on (open cases keep theirs)."""
    from escalon.cli.service import audit, database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.errors import EscalonError
    from escalon.policies import service

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    database = database_ready(get_settings())
    try:
        with database.write() as session:
            found = service.by_version(session, version=version, name=name)
            was_active = found.active
            found = service.switch_on(
                session, version=found, user_id=None, now=SystemClock().now_us(), audit=audit
            )
            line = f"policy {found.name} version {found.version} (#{found.id})"
    except EscalonError as error:
        _refuse(err, error)
    word = "was already active" if was_active else "is active: new cases open under it"
    Console(highlight=False, soft_wrap=True).print(f"{line} {word}", markup=False)


def _read(file: Path, err: Console) -> str:
    """The policy file's text, or exit 1 saying why it cannot be read."""
    try:
        return read_policy(file)
    except OSError as error:
        err.print(f"{file}: cannot read the policy: {error.strerror or error}", markup=False)
    except UnicodeDecodeError:
        err.print(f"{file}: cannot read the policy: it is not UTF-8 text", markup=False)
    raise typer.Exit(1)


def _detail_line(detail: dict[str, Any]) -> str:
    """A stored problem as `file:line: field: problem`, like `policy check` prints it."""
    where = detail.get("source") or ""
    if detail.get("line") is not None:
        where = f"{where}:{detail['line']}"
    field = f"{detail['field']}: " if detail.get("field") else ""
    return f"{where}: {field}{detail['problem']}" if where else f"{field}{detail['problem']}"


def _refuse(err: Console, error: Exception) -> NoReturn:
    """Print a refused change (every problem, one a line) and exit 1."""
    from escalon.errors import EscalonError

    assert isinstance(error, EscalonError)
    for detail in error.details:
        err.print(f"[red]error[/red] {escape(_detail_line(detail.as_dict()))}")
    err.print(f"[red]error[/red] {escape(error.message)}")
    raise typer.Exit(1)


def print_summary(console: Console, result: CheckResult) -> None:
    """One screen: calendars, priorities, levels, SLAs with their targets, rules, warnings."""
    document = result.document
    assert document is not None
    console.print(f"[bold]{document.name}[/bold] version {document.version}  ({result.source})")
    calendars = "; ".join(
        f"{name} ({_calendar_line(spec)})" for name, spec in document.calendars.items()
    )
    console.print(f"Calendars: {calendars}")
    priority = document.priority
    matrix = (
        f", impact x urgency matrix {len(priority.impact)}x{len(priority.urgency)}"
        if priority.matrix
        else ""
    )
    console.print(f"Priorities: {' > '.join(priority.order)}, default {priority.default}{matrix}")

    console.print("Levels (lowest first):")
    level_rows = []
    for index, level in enumerate(document.levels):
        authority = ", ".join(
            f"{kind} {'unlimited' if amount == float('inf') else f'{amount:g}'}"
            for kind, amount in level.authority.items()
        )
        level_rows.append(
            [f"{index}", level.name, f"team {level.team}", authority or "no authority"]
        )
    _columns(console, level_rows)
    level_teams = {level.team for level in document.levels}
    extra_teams = [team for team in document.teams if team not in level_teams]
    if extra_teams:
        console.print(f"Other teams: {', '.join(extra_teams)}")

    console.print("SLAs (first match wins):")
    sla_rows = []
    for sla in document.slas:
        when = "any case"
        if sla.when is not None and sla.when.model_fields_set:
            when = ", ".join(
                f"{key} {'/'.join(values)}"
                for key, values in sla.when.model_dump(exclude_none=True).items()
            )
        targets = [
            f"{label} {format_duration(target) if (target := sla.targets.get(metric)) else '-'}"
            for label, metric in zip(_METRIC_LABELS, METRICS, strict=True)
        ]
        sla_rows.append([sla.name, when, sla.calendar_label, f"warn {sla.warn_at:.0%}", *targets])
    _columns(console, sla_rows)

    if document.ola:
        # Each team's internal target, as `ola` in the file says it.
        olas = "; ".join(
            f"{team}: act within {format_duration(spec.act_within)} "
            f"(warn {spec.warning:.0%}, {spec.calendar or 'every hour'}, "
            f"paused while {' or '.join(spec.pause_on) or 'never'})"
            for team, spec in document.ola.items()
        )
        console.print(f"OLAs: {escape(olas)}")
    if document.categories:
        categories = "; ".join(
            f"{name} ({len(spec.keywords)} keyword{'' if len(spec.keywords) == 1 else 's'})"
            for name, spec in document.categories.items()
        )
        console.print(f"Categories (first keyword match wins): {escape(categories)}")
    if document.root_causes:
        causes = "; ".join(f"{code} ({label})" for code, label in root_cause_labels(document))
        console.print(f"Root causes (and other, in the person's words): {escape(causes)}")
    console.print(f"Rules ({len(document.rules)}, in file order):")
    for number, rule in enumerate(document.rules, start=1):
        # The same English as the policy page: both read it from the core's rule registry.
        console.print(f"  {number:>2}. {escape(rule.name)}: {escape(rule_sentence(rule))}")
    for problem in result.warnings:
        console.print(f"[yellow]warning[/yellow] {problem}")
    warnings = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    console.print(f"OK: no errors{warnings}.")


_METRIC_LABELS = ("first", "next", "update", "resolve")


def _columns(console: Console, rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        console.print("  " + "  ".join(cells).rstrip(), markup=False)


def _calendar_line(spec: dict[str, Any]) -> str:
    zone = spec.get("timezone", "?")
    hours = spec.get("hours")
    holidays = spec.get("holidays") or []
    extra = f", {len(holidays)} holiday(s)" if holidays else ""
    if hours == "always":
        return f"{zone}, always open{extra}"
    if not isinstance(hours, dict):
        return f"{zone}{extra}"
    groups: list[tuple[list[str], str]] = []
    for day in _DAYS:
        intervals = hours.get(day)
        if not intervals:
            continue
        text = " ".join(intervals) if isinstance(intervals, list) else str(intervals)
        if (
            groups
            and groups[-1][1] == text
            and _DAYS.index(groups[-1][0][-1]) == _DAYS.index(day) - 1
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    days = ", ".join(
        f"{names[0].title()}-{names[-1].title()} {text}"
        if len(names) > 1
        else f"{names[0].title()} {text}"
        for names, text in groups
    )
    return f"{zone}, {days or 'never open'}{extra}"
