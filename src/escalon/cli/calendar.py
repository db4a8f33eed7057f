"""`escalon calendar`: business-time arithmetic from the command line.

Exit codes: 0 done; 1 the calendar file cannot be read or is invalid, or the calendar cannot
answer (no business hours, a deadline after year 9999); 2 a bad argument (an instant that is not
ISO 8601 with a UTC offset, a negative duration).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from escalon import files
from escalon.core.calendar import Calendar, CalendarError

app = typer.Typer(help="Business calendars: deadlines and business time.", no_args_is_help=True)

_US_PER_MIN = 60_000_000

CalendarFile = Annotated[
    Path,
    typer.Argument(
        help="A YAML file holding one calendar, or a policy file (then choose with --calendar).",
        show_default=False,
    ),
]
CalendarName = Annotated[
    str | None,
    typer.Option("--calendar", "-c", help="The calendar to use from a file's `calendars:`."),
]


Instant = Annotated[str, typer.Option(help="ISO 8601 instant with a UTC offset.")]

Answer = TypeVar("Answer")


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _instant(option: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r} is not an ISO 8601 date-time", 2)
    if value.utcoffset() is None:
        _fail(
            f"{option} {text} has no UTC offset; write e.g. {text}+01:00 or {text}Z "
            "so the instant is unambiguous",
            2,
        )
    return value


def _ask(file: Path, name: str | None, question: Callable[[Calendar], Answer]) -> Answer:
    """The calendar's answer to a question; exit 1 when it cannot be read or cannot answer."""
    try:
        return question(files.load_calendar(file, name=name))
    except CalendarError as error:
        _fail(str(error), 1)


def format_minutes(us: int) -> str:
    """Business minutes: an integer when whole, else up to 6 decimals (trailing zeros cut)."""
    if us % _US_PER_MIN == 0:
        return str(us // _US_PER_MIN)
    minutes = (Decimal(us) / _US_PER_MIN).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
    # normalize() keeps the sign of a zero: -1 µs would print "-0".
    return format(minutes.normalize() + 0, "f")


@app.command("add")
def add(
    file: CalendarFile,
    start: Instant,
    minutes: Annotated[int, typer.Option(help="Business minutes to add (0 or more).")],
    calendar: CalendarName = None,
) -> None:
    """Print the deadline `minutes` business minutes after --start, ISO 8601 with offset."""
    begin = _instant("--start", start)
    if minutes < 0:
        _fail(f"--minutes {minutes} is negative; business time only moves forward", 2)
    deadline = _ask(file, calendar, lambda cal: cal.add(begin, timedelta(minutes=minutes)))
    typer.echo(deadline.isoformat())


@app.command("between")
def between(
    file: CalendarFile,
    start: Instant,
    end: Instant,
    calendar: CalendarName = None,
) -> None:
    """Print the business minutes inside [--start, --end) (negative if --end comes first)."""
    a = _instant("--start", start)
    b = _instant("--end", end)
    us = _ask(file, calendar, lambda cal: cal.between(a, b) // timedelta(microseconds=1))
    typer.echo(format_minutes(us))


@app.command("next-open")
def next_open(
    file: CalendarFile,
    at: Instant,
    calendar: CalendarName = None,
) -> None:
    """Print --at if the calendar is open then, else the next opening, ISO 8601 with offset."""
    instant = _instant("--at", at)
    opening = _ask(file, calendar, lambda cal: cal.next_open(instant))
    typer.echo(opening.isoformat())
