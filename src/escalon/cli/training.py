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
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from escalon.core.policy import Policy, PolicyInvalid, parse_policy
from escalon.core.training.building import BuildTally, ScenarioBuilder, SourceKind
from escalon.core.training.scenario import DIFFICULTIES, SKILLS, Scenario

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
    skills: Annotated[
        list[str] | None,
        typer.Option(
            "--skill", help="Write only scenarios exercising this skill (repeat for more)."
        ),
    ] = None,
) -> None:
    """Write one scenario file per escalated case of a history, and summarise them."""
    from escalon.training import building as service

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if source_format not in ("auto", "events", "twcs"):
        _refuse(err, f"--format {source_format!r}: use auto, events or twcs")
    for skill in skills or ():
        if skill not in SKILLS:
            _refuse(err, f"--skill {skill!r}: known skills are {', '.join(SKILLS)}")
    wanted = set(skills or SKILLS)
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
        chosen_ones = (
            scenario
            for scenario in builder.finish(None if skills else limit)
            if wanted & set(scenario.skills)
        )
        if skills and limit is not None:
            chosen_ones = (found for found, _ in zip(chosen_ones, range(limit), strict=False))
        grid: Counter[tuple[str, int]] = Counter()

        def counted(scenarios: Iterable[Scenario]) -> Iterator[Scenario]:
            for scenario in scenarios:
                grid[scenario.skill, scenario.difficulty] += 1
                yield scenario

        written = sum(1 for _ in service.write_scenarios(counted(chosen_ones), out, force=force))
    except service.BuildRefused as error:
        _refuse(err, str(error))
    seconds = time.perf_counter() - started
    _summary(builder.tally, grid, written, out, seconds, salt is None)


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


def _summary(
    tally: BuildTally,
    grid: Counter[tuple[str, int]],
    written: int,
    out: Path,
    seconds: float,
    random_salt: bool,
) -> None:
    console = Console(highlight=False, soft_wrap=True)
    rate = written / seconds if seconds > 0 else 0.0
    console.print(
        f"[bold]Read[/] {tally.cases:,} cases ({tally.events:,} events, {tally.skipped:,} "
        f"skipped); [bold]{tally.escalated:,}[/] escalated; [bold]{written:,}[/] scenarios "
        f"written to {out} in {seconds:.2f} s ({rate:,.0f} scenarios/s)"
    )
    if written:
        table = Table(title="Scenarios written, by skill and difficulty", title_justify="left")
        table.add_column("skill")
        for name in DIFFICULTIES.values():
            table.add_column(name, justify="right")
        table.add_column("all", justify="right")
        for skill in SKILLS:
            cells = [grid[skill, level] for level in DIFFICULTIES]
            if not any(cells):
                continue
            shown = [f"{cell:,}" for cell in cells]
            table.add_row(skill.replace("_", " "), *shown, f"{sum(cells):,}")
        console.print(table)
    if random_salt:
        console.print(
            "The references were keyed with a random salt: give --salt to keep the same file "
            "names on the next build."
        )


SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
MAX_SCENARIO_BYTES = 200_000


def _scenario_files(paths: list[Path], err: Console) -> list[Path]:
    """The scenario files named, a folder standing for the files in it."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            found.append(path)
        else:
            _refuse(err, f"{path}: no such file or folder")
    return found


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files, or folders of them.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace scenarios of the same id (a new version).")
    ] = False,
) -> None:
    """Check scenario files and add them to the library; a file with any problem adds nothing."""
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.core.training.scenario import ScenarioInvalid, read_scenario
    from escalon.errors import Conflict
    from escalon.training import library

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    files = _scenario_files(paths, err)
    checked = []
    problems = 0
    for path in files:
        try:
            if path.stat().st_size > MAX_SCENARIO_BYTES:
                problems += 1
                err.print(f"{path}: larger than {MAX_SCENARIO_BYTES:,} bytes", markup=False)
                continue
            checked.append((path, read_scenario(path.read_text(encoding="utf-8"), str(path))))
        except ScenarioInvalid as invalid:
            problems += 1
            for problem in invalid.problems:
                err.print(str(problem), markup=False)
        except (OSError, UnicodeDecodeError) as error:
            problems += 1
            err.print(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})")
    database = database_ready(get_settings())
    added = replaced = kept = 0
    now = SystemClock().now_us()
    try:
        for path, scenario in checked:
            with database.write() as session:
                try:
                    _row, new = library.add(session, scenario, by="cli", now=now, replace=replace)
                except Conflict:
                    kept += 1
                    err.print(f"{path}: {scenario.id!r} is in the library already (--replace)")
                    continue
            added += new
            replaced += not new
    finally:
        database.dispose()
    Console(highlight=False, soft_wrap=True).print(
        f"{added} added, {replaced} replaced, {kept} already there, {problems} refused "
        f"(of {len(files)} files)"
    )
    if problems:
        raise typer.Exit(2)


@app.command("list")
def list_scenarios(
    skill: Annotated[str | None, typer.Option("--skill", help="Only this skill.")] = None,
    hidden: Annotated[bool, typer.Option("--hidden", help="Hidden ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The scenario library."""
    import json

    from escalon.cli.service import database_ready
    from escalon.config import get_settings
    from escalon.training import library

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if skill is not None and skill not in SKILLS:
        _refuse(err, f"unknown skill {skill!r} (known: {', '.join(SKILLS)})")
    database = database_ready(get_settings())
    try:
        with database.read() as session:
            rows: list[dict[str, Any]] = [
                {
                    "id": row.slug,
                    "title": row.title,
                    "skills": row.skills,
                    "difficulty": row.difficulty,
                    "status": row.status,
                    "featured": row.featured,
                    "version": row.version,
                }
                for row in library.listing(session, skill=skill, hidden=hidden)
            ]
    finally:
        database.dispose()
    console = Console(highlight=False, soft_wrap=True)
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} scenarios", title_justify="left")
    for column in ("id", "title", "skills", "difficulty", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["title"]),
            ", ".join(row["skills"]),
            DIFFICULTIES[int(row["difficulty"])],
            ("recommended, " if row["featured"] else "") + str(row["status"]),
        )
    console.print(table)


@app.command("score")
def score_session(
    session_key: Annotated[str, typer.Argument(metavar="SESSION", help="The session's key.")],
    as_json: Annotated[bool, typer.Option("--json", help="The feedback as JSON.")] = False,
) -> None:
    """A practice session's feedback: the score and its reasons (as of now while it runs)."""
    import json

    from escalon.cli.service import database_ready
    from escalon.composition import build_services
    from escalon.config import get_settings
    from escalon.errors import NotFound
    from escalon.training import feedback, practice
    from escalon.web.practice import Sandboxes, bring_up_to_date

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    settings = get_settings()
    database = database_ready(settings)
    services = build_services(settings, database=database)
    sandboxes = Sandboxes(services)
    try:
        with database.read() as session:
            try:
                row = practice.by_key(session, session_key)
            except NotFound:
                _refuse(err, f"no practice session {session_key!r} (escalon training sessions)")
        data = row.feedback
        if data is None:
            try:
                opened = sandboxes.of(row)
            except NotFound as gone:
                _refuse(err, str(gone))
            bring_up_to_date(opened, row)
            data = feedback.provisional(opened.services, row)
    finally:
        sandboxes.close_all()
        database.dispose()
    report = {"session": row.key, "trainee": row.trainee, "status": row.status, **data}
    console = Console(highlight=False, soft_wrap=True)
    if as_json:
        console.print_json(json.dumps(report))
        return
    state = "final" if row.status == "finished" else "provisional: the session is still running"
    console.print(f"[bold]{data['total']}[/] out of {data['out_of']} ({state})")
    console.print(data["summary"])
    for item in data["criteria"]:
        console.print(
            f"\n[bold]{item['label']}[/]: {item['points']} of {item['out_of']} ({item['verdict']})"
        )
        for reason in item["reasons"]:
            console.print(f"  - {reason}", markup=False)


@app.command("sessions")
def sessions(
    person: Annotated[
        str | None, typer.Option("--person", help="Only this person's (their username).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
) -> None:
    """Practice sessions, newest first, with their keys and scores."""
    from sqlalchemy import select

    from escalon.auth.models import User
    from escalon.cli.service import database_ready
    from escalon.config import get_settings
    from escalon.core.state import from_us
    from escalon.training.models import PracticeSession

    database = database_ready(get_settings())
    try:
        with database.read() as session:
            query = select(PracticeSession).order_by(PracticeSession.started_at.desc())
            if person is not None:
                query = query.join(User, User.id == PracticeSession.trainee_user_id).where(
                    User.username == person
                )
            rows = list(session.scalars(query.limit(limit)))
    finally:
        database.dispose()
    table = Table(title=f"{len(rows)} practice sessions", title_justify="left")
    for column in ("session", "started (UTC)", "trainee", "skill", "mode", "state", "score"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.key,
            f"{from_us(row.started_at):%Y-%m-%d %H:%M}",
            row.trainee,
            row.skill,
            row.mode.replace("_", "-"),
            row.status,
            "—" if row.score is None else str(row.score),
        )
    Console(highlight=False, soft_wrap=True).print(table)


@app.command("prune")
def prune(
    days: Annotated[
        int, typer.Option("--days", min=0, max=3650, help="Sessions finished this long ago.")
    ] = 30,
) -> None:
    """Delete the sandboxes of practice sessions finished --days ago or more (scores stay)."""
    from escalon.cli.service import database_ready
    from escalon.clock import SystemClock
    from escalon.config import get_settings
    from escalon.training import practice

    settings = get_settings()
    database = database_ready(settings)
    before = SystemClock().now_us() - days * 86_400 * 1_000_000
    try:
        with database.read() as session:
            gone = practice.prune(session, settings=settings, before=before)
    finally:
        database.dispose()
    Console(highlight=False).print(f"{gone} sandboxes deleted")


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
