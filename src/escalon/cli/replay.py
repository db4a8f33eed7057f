"""`escalon replay`: run past case events through a policy on a virtual clock."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from escalon.cli.triage import DetectorModel
from escalon.core.forecast.breach import BreachModel
from escalon.core.organisations import Organisations, OrganisationsInvalid
from escalon.core.policy import Policy, PolicyInvalid
from escalon.core.replay.tally import busiest
from escalon.core.roster import RosterInvalid, StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.files import load_organisations, load_policy, load_staff_roster
from escalon.replay.jobs import (
    MAX_AUTO_JOBS,
    PARALLEL_FROM_BYTES,
    ReplayFailed,
    processes,
    run_sharded,
)
from escalon.replay.local import detector, needs_detector, parse_until, replay_here

Mode = Annotated[
    str | None,
    typer.Argument(
        help="`compare`: replay the history under two policies and compare them.",
        show_default=False,
    ),
]
Policies = Annotated[
    list[Path],
    typer.Option("--policy", help="The policy to try (YAML or JSON); with `compare`, two of them."),
]


def replay(
    mode: Mode = None,
    *,
    policy: Policies,
    events: Annotated[
        Path,
        typer.Option("--events", help="Case events, JSON Lines sorted by 'at' ('-' for stdin)."),
    ],
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Replay up to and including this instant (ISO 8601 with offset)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every decision here (JSON Lines).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the report here (JSON).")
    ] = None,
    model: DetectorModel = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            min=0,
            help="Processes to replay on, cases split between them (0: one per core, up to "
            f"{MAX_AUTO_JOBS}, for files over {PARALLEL_FROM_BYTES // 2**20} MB).",
        ),
    ] = 0,
    roster: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            help="Teams and people (YAML, JSON or CSV, as `escalon teams import` reads): cases "
            "are assigned, levels with nobody present skipped, and the report says who carried "
            "what. Replays in one process.",
        ),
    ] = None,
    breach_model: Annotated[
        Path | None,
        typer.Option(
            "--breach-model",
            help="A breach model from `escalon forecast breach --out` (fitted on an earlier "
            "history): the forecast of sla.at_risk and sla.promise_slipping reads it.",
        ),
    ] = None,
    organisations: Annotated[
        Path | None,
        typer.Option(
            "--organisations",
            help="Customer organisations (YAML or JSON, docs/replay.md): a case opened for one "
            "takes its tier when the event has none, and its calendar for SLAs that follow the "
            "customer.",
        ),
    ] = None,
) -> None:
    """Replay case events through a policy and report what it would have done.

    `escalon replay compare --policy A --policy B --events E` replays the same history under
    both and reports them side by side (--report R.html for a page, R.json for the figures).
    """
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    limit = _parse_until(until, err)
    if mode is not None:
        if organisations is not None:
            err.print("`escalon replay compare` takes no --organisations yet")
            raise typer.Exit(2)
        _compare_mode(mode, policy, events, limit, out, report, model, roster, err)
        return
    if len(policy) != 1:
        err.print("give one --policy to replay (two only with `escalon replay compare`)")
        raise typer.Exit(2)
    policy_path = policy[0]
    loaded = _load_policy(policy_path, err)
    staff = _load_roster(roster, err) if roster is not None else None
    forecasting = bool(
        loaded.rules_by_trigger["sla.at_risk"] or loaded.rules_by_trigger["sla.promise_slipping"]
    )
    fitted = _load_breach_model(breach_model, err) if breach_model is not None else None
    if fitted is not None and not forecasting:
        err.print("--breach-model is not used: the policy has no rule that reads the forecast")
    known = _load_organisations(organisations, err) if organisations is not None else None
    workers, notes = processes(
        jobs, events, with_roster=staff is not None, with_forecast=forecasting
    )
    if workers > 1:
        result = _replay_sharded(
            loaded, policy_path, events, limit, out, model, workers, err, organisations
        )
    else:
        result = _replay_here(
            loaded, events, limit, out, model, err, staff, breach_model=fitted, organisations=known
        )
    if report is not None:
        try:
            report.write_text(
                json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        except OSError as error:
            err.print(f"{report}: cannot write the report: {error.strerror or error}")
            raise typer.Exit(1) from None
    print_summary(Console(highlight=False, soft_wrap=True), result, out, report, notes=notes)


def _compare_mode(
    mode: str,
    policies: list[Path],
    events: Path,
    limit: int | None,
    out: Path | None,
    report: Path | None,
    model: Path | None,
    roster: Path | None,
    err: Console,
) -> None:
    """`escalon replay compare`: both policies over the history, side by side."""
    if mode != "compare":
        err.print(f"unknown {mode!r}: the only word `escalon replay` takes is `compare`")
        raise typer.Exit(2)
    if len(policies) != 2:
        err.print(
            "`escalon replay compare` takes two --policy: the current one, then the proposed one"
        )
        raise typer.Exit(2)
    if out is not None:
        err.print("`escalon replay compare` writes no decisions (no --out): see --report")
        raise typer.Exit(2)
    from escalon.replay.compare import compare_files

    loaded = [_load_policy(path, err) for path in policies]
    staff = [_load_roster(roster, err) for _ in loaded] if roster is not None else [None, None]
    needs = any(needs_detector(policy, model) for policy in loaded)
    analyzer = _analyzer(model, err) if needs else None

    def on_skip(number: int, reason: str) -> None:
        err.print(f"{events}:{number}: {reason}", soft_wrap=True, markup=False)

    with _open_events(events, err) as source:
        result = compare_files(
            loaded,
            _numbered(source, err, events),
            analyzer,
            limit,
            staff,
            on_skip,
            events=None if str(events) == "-" else events,
        )
    if report is not None:
        try:
            compare_report(result, report)
        except OSError as error:
            err.print(f"{report}: cannot write the report: {error.strerror or error}")
            raise typer.Exit(1) from None
    print_comparison(Console(highlight=False, soft_wrap=True), result, policies, report)


def _load_policy(policy: Path, err: Console) -> Policy:
    """The policy to replay; its problems stop the command."""
    try:
        return load_policy(policy)
    except PolicyInvalid as error:
        for problem in error.errors:
            err.print(f"error {problem}", soft_wrap=True)
        err.print(f"{policy}: the policy has errors; nothing was replayed")
        raise typer.Exit(1) from None
    except OSError as error:
        err.print(f"{policy}: cannot read the policy: {error.strerror or error}")
        raise typer.Exit(1) from None


def _load_organisations(path: Path, err: Console) -> Organisations:
    """Read an organisations file; every problem stops the replay."""
    try:
        return load_organisations(path)
    except OrganisationsInvalid as error:
        for problem in error.problems:
            err.print(str(problem), markup=False)
        err.print(f"{path}: the organisations cannot be used; nothing was replayed", markup=False)
        raise typer.Exit(1) from None


def _load_roster(path: Path, err: Console) -> StaffRoster:
    """Read a roster file and build the staffing it describes; every problem stops the replay."""
    try:
        return load_staff_roster(path)
    except RosterInvalid as error:
        for problem in error.problems:
            place = problem.source or str(path)
            _print_problem(err, place, problem.line, problem.field, problem.problem)
        if not error.problems:
            err.print(f"error {error.message}", markup=False)
        _roster_refused(err, path)


def _print_problem(
    err: Console, source: str, line: int | None, where: str | None, problem: str
) -> None:
    place = f"{source}:{line}" if line is not None else source
    err.print(
        f"error {place}: {where}: {problem}" if where else f"error {place}: {problem}",
        markup=False,
        soft_wrap=True,
    )


def _roster_refused(err: Console, path: Path) -> NoReturn:
    err.print(f"{path}: the roster cannot be used; nothing was replayed", markup=False)
    raise typer.Exit(1)


def _replay_here(
    loaded: Policy,
    events: Path,
    limit: int | None,
    out: Path | None,
    model: Path | None,
    err: Console,
    staff: StaffRoster | None = None,
    breach_model: BreachModel | None = None,
    organisations: Organisations | None = None,
) -> dict[str, Any]:
    """Replay in this process."""
    analyzer = _analyzer(model, err) if needs_detector(loaded, model) else None
    with ExitStack() as stack:
        decisions = stack.enter_context(_open_output(out, err)) if out is not None else None

        def on_skip(number: int, reason: str) -> None:
            err.print(f"{events}:{number}: {reason}", soft_wrap=True, markup=False)

        source = stack.enter_context(_open_events(events, err))
        return replay_here(
            loaded,
            _numbered(source, err, events),
            analyzer=analyzer,
            until=limit,
            decisions=decisions,
            on_skip=on_skip,
            roster=staff,
            breach_model=breach_model,
            organisations=organisations,
        )


def _load_breach_model(path: Path, err: Console) -> BreachModel:
    """Read a breach model file; a file that is not one stops the replay."""
    try:
        return BreachModel.from_data(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        err.print(f"{path}: not a breach model: {error}; nothing was replayed", markup=False)
        raise typer.Exit(1) from None


def _replay_sharded(
    loaded: Policy,
    policy: Path,
    events: Path,
    limit: int | None,
    out: Path | None,
    model: Path | None,
    workers: int,
    err: Console,
    organisations: Path | None = None,
) -> dict[str, Any]:
    """Replay on several processes, each owning a share of the cases."""
    if needs_detector(loaded, model):
        _analyzer(model, err)  # a bad model is reported here, before any worker starts
    try:
        size = events.stat().st_size
    except OSError as error:
        err.print(f"{events}: cannot read the events: {error.strerror or error}")
        raise typer.Exit(1) from None

    def on_skip(number: int, reason: str) -> None:
        err.print(f"{events}:{number}: {reason}", soft_wrap=True, markup=False)

    with ExitStack() as stack:
        decisions = stack.enter_context(_open_output(out, err)) if out is not None else None
        on_progress = None
        if err.is_terminal:
            progress = stack.enter_context(_progress_bar(err))
            task = progress.add_task("replay", total=size)

            def on_progress(done: int) -> None:
                progress.update(task, completed=done)

        try:
            builder = run_sharded(
                policy=policy,
                events=events,
                jobs=workers,
                until=limit,
                model=model,
                decisions=decisions,
                on_skip=on_skip,
                on_progress=on_progress,
                organisations=organisations,
            )
        except ReplayFailed as error:
            err.print(str(error), markup=False)
            raise typer.Exit(1) from None
    return builder.report(loaded)


def _parse_until(until: str | None, err: Console) -> int | None:
    if until is None:
        return None
    try:
        return parse_until(until)
    except ValueError as error:
        err.print(str(error))
        raise typer.Exit(2) from None


def _analyzer(model: Path | None, err: Console) -> TextAnalyzer:
    try:
        return detector(model)
    except (OSError, ValueError) as error:
        err.print(f"{model}: cannot load the detector model: {error}")
        raise typer.Exit(1) from None


def _open_events(path: Path, err: Console) -> AbstractContextManager[IO[bytes]]:
    # Standard input stays open for whoever runs us; a file we opened is closed.
    if str(path) == "-":
        return nullcontext(sys.stdin.buffer)
    try:
        return path.open("rb")
    except OSError as error:
        err.print(f"{path}: cannot read the events: {error.strerror or error}")
        raise typer.Exit(1) from None


def _open_output(path: Path, err: Console) -> IO[bytes]:
    try:
        return path.open("wb")
    except OSError as error:
        err.print(f"{path}: cannot write the decisions: {error.strerror or error}")
        raise typer.Exit(1) from None


def _numbered(source: IO[bytes], err: Console, path: Path) -> Iterator[tuple[int, bytes]]:
    """Lines with their numbers, behind a progress bar when a person is watching."""
    if not err.is_terminal or str(path) == "-":
        return enumerate(source, start=1)
    return _with_progress(source, err, path)


def _with_progress(source: IO[bytes], err: Console, path: Path) -> Iterator[tuple[int, bytes]]:
    total = path.stat().st_size
    with _progress_bar(err) as progress:
        task = progress.add_task("replay", total=total)
        done = 0
        for number, line in enumerate(source, start=1):
            done += len(line)
            if number % 2000 == 0:
                progress.update(task, completed=done)
            yield number, line
        progress.update(task, completed=total)


def _progress_bar(err: Console) -> Progress:
    """The bytes of the events replayed so far, for a person watching the terminal."""
    columns = (TextColumn("replaying"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    return Progress(*columns, console=err, transient=True)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def print_summary(
    console: Console,
    result: dict[str, Any],
    out: Path | None,
    report: Path | None,
    *,
    notes: list[str] | None = None,
) -> None:
    """The human-readable summary every replay prints."""
    policy = result["policy"]
    console.print(
        f"Replayed {result['events']} events ({result['skipped_events']} skipped) of "
        f"{result['cases']} cases through {policy['name']} version {policy['version']}."
    )
    console.print(
        f"Escalated cases: {result['escalated_cases']} ({_percent(result['escalation_rate'])}); "
        f"escalations by level: "
        + (", ".join(f"{k} {v}" for k, v in result["escalations_by_level"].items()) or "none")
    )
    if result["escalations_by_rule"]:
        console.print(
            "By rule: " + ", ".join(f"{k} {v}" for k, v in result["escalations_by_rule"].items()),
            soft_wrap=True,
        )
    table = Table(box=None, pad_edge=False)
    for column in ("SLA clock", "tracked", "met", "breached", "compliance"):
        table.add_column(column, justify="left" if column == "SLA clock" else "right")
    for metric, figures in result["sla"].items():
        if figures["tracked"] or figures["breached"]:
            table.add_row(
                metric,
                str(figures["tracked"]),
                str(figures["met"]),
                str(figures["breached"]),
                _percent(figures["compliance"]),
            )
    console.print(table)
    times = result["resolution_time"]
    csat = result["csat"]
    for group in ("escalated", "other"):
        figures = times[group]
        score = csat[group]["mean"]
        console.print(
            f"{group.title()} cases: {figures['cases']} resolved, median {_hours(figures['median_hours'])}, "
            f"p90 {_hours(figures['p90_hours'])} business time; CSAT "
            f"{'-' if score is None else f'{score:.2f}'} ({csat[group]['responses']} answers)"
        )
    flagged = {reason: n for reason, n in result.get("clock_flags", {}).items() if n}
    if flagged:
        console.print(
            "Clocks stopped suspiciously: "
            + ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in flagged.items())
        )
    if "roster" in result:
        _roster_summary(console, result["roster"])
    for note in notes or []:
        console.print(note)
    written = [str(path) for path in (out, report) if path is not None]
    if written:
        console.print(f"Written: {', '.join(written)}")


def _roster_summary(console: Console, roster: dict[str, Any]) -> None:
    """The busiest people and shifts of a replay with a roster."""
    skipped = ", ".join(f"{level} {count}" for level, count in roster["skipped_levels"].items())
    console.print(
        f"Roster: levels skipped: {skipped or 'none'}; "
        f"cases that waited in a queue: {roster['queued']['cases']}"
    )
    people = [{"person": handle, **figures} for handle, figures in roster["people"].items()]
    people = [person for person in people if any(person[k] for k in ("paged", "escalations"))]
    people.sort(key=lambda p: (-p["escalations"], -p["paged"], -p["assigned"], p["person"]))
    if people:
        table = Table(box=None, pad_edge=False)
        for column in ("Busiest people", "escalations", "paged", "assigned"):
            table.add_column(column, justify="left" if column == "Busiest people" else "right")
        for person in people[:5]:
            table.add_row(
                person["person"],
                str(person["escalations"]),
                str(person["paged"]),
                str(person["assigned"]),
            )
        console.print(table)
    shifts = busiest(
        [{**shift, "when": f"{shift['team']} on call {_span(shift)}"} for shift in roster["shifts"]]
        + [{**day, "when": f"{day['day']}, not on call"} for day in roster["days"]]
    )
    if shifts:
        table = Table(box=None, pad_edge=False)
        for column in ("Busiest shifts", "person", "escalations", "paged"):
            table.add_column(
                column, justify="right" if column in ("escalations", "paged") else "left"
            )
        for shift in shifts:
            table.add_row(
                shift["when"], shift["person"], str(shift["escalations"]), str(shift["paged"])
            )
        console.print(table)


def _span(shift: dict[str, Any]) -> str:
    start = datetime.fromisoformat(shift["start"])
    end = datetime.fromisoformat(shift["end"])
    shown = "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} to {end.strftime(shown)}"


def compare_report(result: dict[str, Any], path: Path) -> None:
    """Write the comparison: a page for `.html`, the figures as JSON otherwise."""
    if path.suffix.lower() in (".html", ".htm"):
        from escalon.web.compare_report import render_comparison

        path.write_text(render_comparison(result), encoding="utf-8")
    else:
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def print_comparison(
    console: Console, result: dict[str, Any], policies: list[Path], report: Path | None
) -> None:
    """What differs, in a few lines."""
    a, b = result["a"], result["b"]
    table = Table(title="Policy A against policy B", title_justify="left")
    table.add_column("")
    table.add_column(f"A: {policies[0].name}", justify="right")
    table.add_column(f"B: {policies[1].name}", justify="right")
    table.add_row("cases", f"{a['cases']:,}", f"{b['cases']:,}")
    table.add_row("escalation rate", _share(a["escalation_rate"]), _share(b["escalation_rate"]))
    for level, hours in a["hours_at_level"].items():
        table.add_row(
            f"hours at {level}", f"{hours:,.1f}", f"{b['hours_at_level'].get(level, 0):,.1f}"
        )
    console.print(table)
    console.print(
        f"{result['differing_cases']:,} of {result['cases_compared']:,} cases end differently"
    )
    for warning in result["warnings"]:
        console.print(f"note: {warning}", markup=False)
    if report is not None:
        console.print(f"report: {report}", markup=False)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
