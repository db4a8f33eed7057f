"""`escalon import`: past conversations from other systems as replay events (JSON Lines).

Exit codes: 0 imported (rows that could not be used are listed on standard error and counted in
the summary); 1 the file cannot be read, is not CSV of the expected kind, or the output cannot be
written.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from itertools import islice
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer
from rich.console import Console

from escalon.channels.importers import (
    HelpdeskSummary,
    ImportRefused,
    ResponseTimes,
    RowProblem,
    TwcsSummary,
    helpdesk_events,
    read_csv,
    twcs_events,
)

app = typer.Typer(
    help="Turn past conversations exported from other systems into replay events.",
    no_args_is_help=True,
)

InputFile = Annotated[
    Path,
    typer.Argument(help="The CSV file to import ('-' for standard input).", show_default=False),
]
OutFile = Annotated[
    Path | None,
    typer.Option("--out", help="Write the events here (JSON Lines; default: standard output)."),
]


@app.command("twcs")
def twcs(
    file: InputFile,
    out: OutFile = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="Read only the first N tweets of the file."),
    ] = None,
) -> None:
    """Customer Support on Twitter (TWCS): one case per thread a customer started."""
    err = _console()
    summary = TwcsSummary()
    _run(file, out, err, lambda rows: twcs_events(_limited(rows, limit), summary))
    _report_problems(err, file, summary.problems)
    _twcs_summary(err, summary, limit)


@app.command("helpdesk")
def helpdesk(file: InputFile, out: OutFile = None) -> None:
    """A helpdesk's ticket export (id, created, customer, ... first response, resolved, CSAT)."""
    err = _console()
    summary = HelpdeskSummary()
    _run(file, out, err, lambda rows: helpdesk_events(rows, summary))
    _report_problems(err, file, summary.problems)
    _helpdesk_summary(err, summary)


def _console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(err: Console, message: str) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(1)


def _limited(rows: Iterable[dict[str | None, Any]], limit: int | None) -> Iterator[Any]:
    return iter(rows) if limit is None else islice(rows, limit)


def _run(
    file: Path,
    out: Path | None,
    err: Console,
    convert: Callable[[Iterable[dict[str | None, Any]]], Iterator[dict[str, Any]]],
) -> None:
    """Read `file`, convert its rows, write the events; every failure is one message, exit 1."""
    with ExitStack() as stack:
        source = stack.enter_context(_open_input(file, err))
        try:
            # The importers read every row before the first event comes out, so nothing is
            # written (and no output file is created) when the input cannot be read.
            events = convert(read_csv(source))
            first = next(events, None)
        except ImportRefused as error:
            _fail(err, f"{file}: {error}")
        except csv.Error as error:
            _fail(err, f"{file}: not readable as CSV: {error}")
        except UnicodeDecodeError as error:
            _fail(err, f"{file}: not UTF-8 text ({error.reason} at byte {error.start})")
        except OSError as error:
            _fail(err, f"{file}: cannot read: {error.strerror or error}")
        target = stack.enter_context(_open_output(out, err))
        try:
            if first is not None:
                _write(target, first)
            for event in events:
                _write(target, event)
            target.flush()
        except OSError as error:
            _fail(err, f"{out or 'standard output'}: cannot write: {error.strerror or error}")


def _write(target: IO[str], event: dict[str, Any]) -> None:
    target.write(json.dumps(event, ensure_ascii=False))
    target.write("\n")


def _open_input(path: Path, err: Console) -> AbstractContextManager[IO[str]]:
    """The file as text with line endings untouched (`newline=''`), as the CSV reader needs."""
    if str(path) == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        return nullcontext(stream)
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        _fail(err, f"{path}: cannot read: {error.strerror or error}")


def _open_output(path: Path | None, err: Console) -> AbstractContextManager[IO[str]]:
    # Standard output stays open for whoever runs us; a file we opened is closed.
    if path is None:
        return nullcontext(sys.stdout)
    try:
        return path.open("w", encoding="utf-8", newline="\n")
    except OSError as error:
        _fail(err, f"{path}: cannot write: {error.strerror or error}")


def _report_problems(err: Console, file: Path, problems: list[RowProblem]) -> None:
    for problem in problems:
        err.print(f"{file}:{problem} (row skipped)", markup=False)


def _minutes(value: float | int | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f} min"
    return f"{value:.0f} min ({value / 60:.1f} h)"


def _response_line(label: str, times: ResponseTimes) -> str:
    figures = times.quantiles()
    return (
        f"[bold]{label}[/] (wall clock): median {_minutes(figures['median_minutes'])}, "
        f"p90 {_minutes(figures['p90_minutes'])} over {figures['answered']} answered; "
        f"{times.unanswered} unanswered"
    )


def _twcs_summary(err: Console, summary: TwcsSummary, limit: int | None) -> None:
    read = f"{summary.tweets} tweets" + (f" (--limit {limit})" if limit is not None else "")
    err.print(f"[bold]TWCS import[/]: read {read} in {summary.threads} threads")
    err.print(f"[bold]written[/]: {summary.cases} cases, {summary.events} events")
    skipped = [
        f"{summary.brand_first_threads} threads ({summary.brand_first_tweets} tweets) "
        "started by a brand, not a customer"
    ]
    if summary.problems:
        skipped.append(f"{len(summary.problems)} unusable rows (listed above)")
    err.print("[bold]skipped[/]: " + "; ".join(skipped))
    notes = [f"{summary.orphans} replies to tweets not in the file, read as thread starts"]
    if summary.retimed:
        notes.append(f"{summary.retimed} replies stamped before their tweet, moved to its time")
    if summary.loops:
        notes.append(f"{summary.loops} reply loops broken at their first tweet")
    err.print("[bold]notes[/]: " + "; ".join(notes))
    err.print(_response_line("first brand reply", summary.first_response))


def _helpdesk_summary(err: Console, summary: HelpdeskSummary) -> None:
    err.print(f"[bold]Helpdesk import[/]: read {summary.rows} tickets")
    err.print(f"[bold]written[/]: {summary.cases} cases, {summary.events} events")
    problems = len(summary.problems)
    rows = len({problem.row for problem in summary.problems})
    err.print(
        "[bold]skipped[/]: "
        + (f"{rows} rows with {problems} problems (listed above)" if problems else "none")
    )
    err.print(_response_line("first response", summary.first_response))
