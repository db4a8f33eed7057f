"""`escalon training`: the training ground's commands (`build` scenarios from real history,
a person's `certificate`).

Exit codes: 0 done; 1 the database cannot be used; 2 what was asked cannot be read or written
(a missing or malformed history, a broken policy, a folder that would be overwritten, a person
or date that does not exist).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from escalon.core.policy import Policy, PolicyInvalid, parse_policy
from escalon.core.training.building import BuildTally, ScenarioBuilder, SourceKind
from escalon.core.training.scenario import DIFFICULTIES, SKILLS

if TYPE_CHECKING:
    from escalon.core.signals import TextAnalyzer
    from escalon.training.building import StoredHistory

app = typer.Typer(
    help="The training ground: practise on real escalations, safely.", no_args_is_help=True
)


def _refuse(err: Console, message: str) -> NoReturn:
    err.print(f"[red]error[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(2)


@app.command("build")
def build(
    out: Annotated[
        Path, typer.Option("--out", help="The folder the scenarios are written to (made).")
    ],
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="The history: replay events (JSON Lines) or a TWCS CSV. Without it, the "
            "database's cases of the last --days days.",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="The policy to replay the history under (default: the active one for the "
            "database, the example policy for --events).",
        ),
    ] = None,
    source_format: Annotated[
        str,
        typer.Option("--format", help="auto (from the file's first line), events or twcs."),
    ] = "auto",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Write at most N scenarios.")
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option(
            "--salt",
            help="The key of the scenarios' references (the same salt gives the same file "
            "names on the next build; default: a random one per build).",
        ),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Without --events: this many days.")
    ] = 30,
    force: Annotated[
        bool, typer.Option("--force", help="Replace files in --out that are not scenarios.")
    ] = False,
) -> None:
    """Write one scenario file per escalated case of a history, and summarise them."""
    from escalon.training import building as service

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if source_format not in ("auto", "events", "twcs"):
        _refuse(err, f"--format {source_format!r}: use auto, events or twcs")
    started = time.perf_counter()

    def on_skip(number: int, reason: str) -> None:
        err.print(f"event {number}: {reason} (skipped)", markup=False)

    kind: SourceKind
    try:
        if events is not None:
            if not events.is_file():
                _refuse(err, f"{events}: no such file")
            chosen = service.sniff_format(events) if source_format == "auto" else source_format
            kind = "twcs" if chosen == "twcs" else "events"
            loaded = _policy(policy, err)
            history = service.read_history(events, kind, on_skip=on_skip)
        else:
            kind = "database"
            stored = _stored(days)
            active = _policy(policy, err) if policy is not None else stored.policy
            if active is None:
                _refuse(err, "no policy is active: give one with --policy")
            loaded = active
            history = service.history_lines(stored.lines, on_skip=on_skip)
        builder = ScenarioBuilder(
            loaded,
            analyzer=_analyzer(),
            source=kind,
            salt=(salt.encode() if salt is not None else secrets.token_bytes(16)),
            on_skip=on_skip,
        )
        builder.feed(history)
        written = sum(1 for _ in service.write_scenarios(builder.finish(limit), out, force=force))
    except service.BuildRefused as error:
        _refuse(err, str(error))
    seconds = time.perf_counter() - started
    _summary(builder.tally, written, out, seconds, salt is None)


def _policy(path: Path | None, err: Console) -> Policy:
    """The policy named, or the example policy `escalon demo` runs."""
    if path is None:
        from escalon.demo import POLICY_FILE, policy_text

        return parse_policy(policy_text(), f"examples/{POLICY_FILE}")
    try:
        return parse_policy(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as error:
        _refuse(err, f"{path}: cannot read the policy: {getattr(error, 'strerror', None) or error}")
    except PolicyInvalid as error:
        _refuse(err, f"{path}: {error}")


def _stored(days: int) -> StoredHistory:
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.training.building import stored_history

    database = database_ready(get_settings())
    try:
        with database.read() as session:
            return stored_history(session, now=SystemClock().now_us(), days=days)
    finally:
        database.dispose()


def _analyzer() -> TextAnalyzer:
    """The built-in detector, as `escalon replay` reads messages with."""
    from escalon.triage import load_analyzer

    analyzer: TextAnalyzer = load_analyzer(None)
    return analyzer


def _summary(tally: BuildTally, written: int, out: Path, seconds: float, random_salt: bool) -> None:
    console = Console(highlight=False, soft_wrap=True)
    rate = written / seconds if seconds > 0 else 0.0
    console.print(
        f"[bold]Read[/] {tally.cases:,} cases ({tally.events:,} events, {tally.skipped:,} "
        f"skipped); [bold]{tally.escalated:,}[/] escalated; [bold]{written:,}[/] scenarios "
        f"written to {out} in {seconds:.2f} s ({rate:,.0f} scenarios/s)"
    )
    if written:
        table = Table(title="Scenarios by skill and difficulty", title_justify="left")
        table.add_column("skill")
        for name in DIFFICULTIES.values():
            table.add_column(name, justify="right")
        table.add_column("all", justify="right")
        for skill in SKILLS:
            if not tally.by_skill[skill]:
                continue
            cells = [f"{tally.grid[skill, level]:,}" for level in DIFFICULTIES]
            table.add_row(skill.replace("_", " "), *cells, f"{tally.by_skill[skill]:,}")
        console.print(table)
    if random_salt:
        console.print(
            "The references were keyed with a random salt: give --salt to keep the same file "
            "names on the next build."
        )


def _day(text: str | None, err: Console, option: str) -> int | None:
    """A UTC day as µs since the epoch (the start of that day)."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        _refuse(err, f"{option} {text!r}: give a day as YYYY-MM-DD")
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1_000_000


@app.command("certificate")
def certificate(
    person: Annotated[str, typer.Argument(help="The username (or agent handle) of the trainee.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Count sessions finished from this day (UTC).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Count sessions finished before this day (UTC)."),
    ] = None,
) -> None:
    """A person's training certificate: finished sessions (scripted and role-play), skills
    practised with their best score and its date, the skills passed, the time practised."""
    from escalon.cli.service import database_ready
    from escalon.config import get_settings
    from escalon.errors import NotFound
    from escalon.training import progress

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    first, last = _day(since, err, "--since"), _day(until, err, "--until")
    database = database_ready(get_settings())
    try:
        with database.read() as session:
            try:
                whom = progress.person_of(session, person)
            except NotFound as missing:
                _refuse(err, str(missing))
            found = progress.certificate(session, whom, since=first, until=last)
    finally:
        database.dispose()
    console = Console(highlight=False, soft_wrap=True)
    if as_json:
        console.out(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]Training certificate[/]: {escape(found.person.label)}", markup=True)
    console.print(
        f"{found.period}; {found.sessions} sessions finished; "
        f"{progress.spent(found.practised_us)} practised; "
        f"{len(found.passed)} of {len(found.skills)} skills passed "
        f"({progress.PASSED} or more)",
        markup=False,
    )
    if found.skills:
        table = Table(title_justify="left")
        table.add_column("skill")
        table.add_column("best", justify="right")
        table.add_column("on")
        table.add_column("sessions", justify="right")
        table.add_column("")
        for one in found.skills:
            table.add_row(
                one.words,
                str(one.best),
                f"{datetime.fromtimestamp(one.at / 1_000_000, UTC):%Y-%m-%d}",
                str(one.sessions),
                "passed" if one.passed else "practised",
            )
        console.print(table)
