"""Importers: past conversations exported from other systems, turned into replay events.

Each importer reads CSV rows (mappings from column name to cell, as `csv.DictReader` gives) and
yields events of the replay format (`../shared/docs/replay-format.md`), sorted by `at` across the
whole output, ready to be written as JSON Lines and replayed. They do no I/O besides the rows they
are given and touch no database. What they cannot use is counted and reported in a summary, never
dropped silently. See docs/importers.md.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Event = dict[str, Any]
# A row as csv.DictReader gives it: extra cells come under the key None, missing cells as None.
Row = Mapping[str | None, Any]

TWCS_COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "in_response_to_tweet_id",
)
HELPDESK_COLUMNS = (
    "id",
    "created",
    "customer",
    "subject",
    "status",
    "priority",
    "channel",
    "first_response",
    "resolved",
    "csat",
)
HELPDESK_REQUIRED = ("id", "created", "customer")
HELPDESK_AGENT = "helpdesk"
FIRST_RESPONSE = "(first response)"
SURVEY_DELAY = timedelta(minutes=1)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# `Tue Oct 31 22:10:47 +0000 2017`: Twitter's classic created_at, parsed without the locale.
_TWITTER_TIME = re.compile(
    r"^\s*[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+"
    r"([+-])(\d{2})(\d{2})\s+(\d{4})\s*$"
)
_INTEGRAL = re.compile(r"^(\d+)(?:\.0*)?$")


class ImportRefused(ValueError):
    """The rows cannot be imported at all (e.g. a required column is missing)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row was skipped: its number in the file (the header is row 1), column, problem."""

    row: int
    column: str | None
    problem: str

    def __str__(self) -> str:
        where = f"row {self.row}"
        return (
            f"{where}: {self.column}: {self.problem}" if self.column else f"{where}: {self.problem}"
        )


@dataclass(slots=True)
class ResponseTimes:
    """Wall-clock minutes from opening to the first reply, and how many were never answered."""

    minutes: list[float] = field(default_factory=list)
    unanswered: int = 0

    def quantiles(self) -> dict[str, float | int | None]:
        """Answered count, median and p90 (nearest rank) of the first-response minutes."""
        ordered = sorted(self.minutes)
        if not ordered:
            return {"answered": 0, "median_minutes": None, "p90_minutes": None}
        return {
            "answered": len(ordered),
            "median_minutes": round(_nearest_rank(ordered, 0.5), 2),
            "p90_minutes": round(_nearest_rank(ordered, 0.9), 2),
        }


@dataclass(slots=True)
class TwcsSummary:
    """What a TWCS import read, made and left out."""

    tweets: int = 0  # rows read, problems included
    threads: int = 0  # every thread, skipped ones included
    cases: int = 0  # threads opened by a customer: one case each
    events: int = 0
    brand_first_threads: int = 0  # skipped: the thread starts with a brand tweet
    brand_first_tweets: int = 0  # the tweets of those threads
    orphans: int = 0  # tweets answering a tweet not in the rows: read as thread starts
    retimed: int = 0  # replies stamped before the tweet they answer: moved to its instant
    loops: int = 0  # replies answering each other in a circle: broken at the first one read
    problems: list[RowProblem] = field(default_factory=list)
    first_response: ResponseTimes = field(default_factory=ResponseTimes)


@dataclass(slots=True)
class HelpdeskSummary:
    """What a helpdesk import read, made and left out."""

    rows: int = 0
    cases: int = 0
    events: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    first_response: ResponseTimes = field(default_factory=ResponseTimes)


def read_csv(lines: Iterable[str]) -> Iterator[dict[str | None, Any]]:
    """CSV rows keyed by header from lines read with `newline=''`; a bare CR reads as a space."""
    return csv.DictReader(_join_bare_cr(lines))


def _join_bare_cr(lines: Iterable[str]) -> Iterator[str]:
    """Lines with bare carriage returns (CR not before LF) turned into spaces, lines rejoined.

    Read with `newline=''`, a line ends at LF, CRLF or a lone CR. Some exports (TWCS tweet 3399)
    carry lone CRs inside unquoted cells, which a CSV reader takes for the end of the record.
    """
    pending = ""
    for line in lines:
        if line.endswith("\r"):
            pending += line[:-1] + " "
            continue
        if "\r" in line[:-2]:  # lines not split by the reader (e.g. a list of strings)
            line = re.sub(r"\r(?!\n)", " ", line)
        yield pending + line
        pending = ""
    if pending:
        yield pending


# --- TWCS ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tweet:
    index: int  # position among the good rows: the file's order
    row: int
    id: str
    author: str
    inbound: bool
    at: datetime
    text: str
    parent: str | None


def twcs_events(
    rows: Iterable[Row], summary: TwcsSummary | None = None
) -> Generator[Event, None, TwcsSummary]:
    """Replay events of TWCS customer-support threads, in time order; returns the summary."""
    summary = summary if summary is not None else TwcsSummary()
    tweets = _read_tweets(rows, summary)
    roots = _thread_roots(tweets, summary)
    children: dict[str, list[_Tweet]] = defaultdict(list)
    for tweet in tweets.values():
        if tweet.parent is not None:
            children[tweet.parent].append(tweet)
    summary.threads = len(roots)
    keyed: list[tuple[datetime, int, int, Event]] = []
    for number, root in enumerate(sorted(roots, key=lambda tweet: (tweet.at, tweet.index))):
        thread = _thread_order(root, children, summary)
        if not root.inbound:
            summary.brand_first_threads += 1
            summary.brand_first_tweets += len(thread)
            continue
        summary.cases += 1
        case = f"twcs-{root.id}"
        answered: datetime | None = None
        for position, (tweet, at) in enumerate(thread):
            keyed.append((at, number, position, _tweet_event(case, tweet, at, position == 0)))
            if not tweet.inbound and answered is None:
                answered = at
        if answered is None:
            summary.first_response.unanswered += 1
        else:
            summary.first_response.minutes.append((answered - root.at).total_seconds() / 60)
    keyed.sort(key=lambda item: item[:3])
    summary.events = len(keyed)
    for *_, event in keyed:
        yield event
    return summary


def _tweet_event(case: str, tweet: _Tweet, at: datetime, opening: bool) -> Event:
    """The event one tweet of a customer-opened thread stands for."""
    head: Event = {"at": _iso(at), "case": case}
    if opening:
        return {
            **head,
            "type": "case.opened",
            "customer": tweet.author,
            "channel": "social",
            "tier": "standard",
            "body": tweet.text,
            "tweet": tweet.id,
        }
    if tweet.inbound:
        return {**head, "type": "customer.message", "body": tweet.text, "tweet": tweet.id}
    return {
        **head,
        "type": "agent.message",
        "agent": tweet.author,
        "public": True,
        "body": tweet.text,
        "tweet": tweet.id,
    }


def _read_tweets(rows: Iterable[Row], summary: TwcsSummary) -> dict[str, _Tweet]:
    """The usable tweets by id; each unusable row becomes a problem."""
    tweets: dict[str, _Tweet] = {}
    for row_number, row in _checked_rows(rows, TWCS_COLUMNS, "a TWCS file"):
        summary.tweets += 1
        problems = len(summary.problems)

        def problem(column: str, why: str, row_number: int = row_number) -> None:
            summary.problems.append(RowProblem(row_number, column, why))

        tweet_id = _tweet_id(row["tweet_id"])
        if tweet_id is None:
            problem("tweet_id", f"not a tweet id: {row['tweet_id']!r}")
        elif tweet_id in tweets:
            problem("tweet_id", f"tweet {tweet_id} already read on row {tweets[tweet_id].row}")
        author = row["author_id"]
        if not author:
            problem("author_id", "empty")
        inbound = {"true": True, "false": False, "1": True, "0": False}.get(row["inbound"].lower())
        if inbound is None:
            problem("inbound", f"not True or False: {row['inbound']!r}")
        at = _twitter_time(row["created_at"])
        if at is None:
            problem(
                "created_at",
                f"not a time like 'Tue Oct 31 22:10:47 +0000 2017': {row['created_at']!r}",
            )
        parent_cell = row["in_response_to_tweet_id"]
        parent = _tweet_id(parent_cell) if parent_cell else None
        if parent_cell and parent is None:
            problem("in_response_to_tweet_id", f"not a tweet id: {parent_cell!r}")
        if len(summary.problems) > problems or tweet_id is None or inbound is None or at is None:
            continue
        tweets[tweet_id] = _Tweet(
            len(tweets), row_number, tweet_id, author, inbound, at, row["text"], parent
        )
    return tweets


def _thread_roots(tweets: dict[str, _Tweet], summary: TwcsSummary) -> list[_Tweet]:
    """The first tweet of every thread: no parent, a parent not in the rows, or a loop broken."""
    roots = []
    state: dict[str, int] = {}  # 1: being followed, 2: done
    for start in tweets.values():
        path = []
        tweet: _Tweet | None = start
        while tweet is not None and tweet.id not in state:
            state[tweet.id] = 1
            path.append(tweet)
            parent = tweet.parent
            if parent is None:
                roots.append(tweet)
                tweet = None
            elif parent not in tweets:
                summary.orphans += 1
                tweet.parent = None  # its thread starts here
                roots.append(tweet)
                tweet = None
            else:
                tweet = tweets[parent]
        if tweet is not None and state[tweet.id] == 1:
            # Replies in a circle: the circle's first tweet in the file starts the thread.
            circle = path[path.index(tweet) :]
            first = min(circle, key=lambda t: t.index)
            summary.loops += 1
            first.parent = None
            roots.append(first)
        for followed in path:
            state[followed.id] = 2
    return roots


def _thread_order(
    root: _Tweet, children: dict[str, list[_Tweet]], summary: TwcsSummary
) -> list[tuple[_Tweet, datetime]]:
    """A thread's tweets, each after the one it answers, with the instant each is replayed at."""
    ordered: list[tuple[_Tweet, datetime]] = []
    stack = [(root, root.at)]
    while stack:
        tweet, at = stack.pop()
        ordered.append((tweet, at))
        replies = sorted(children.get(tweet.id, ()), key=lambda t: (t.at, t.index), reverse=True)
        for reply in replies:
            if reply.at < at:
                summary.retimed += 1
            stack.append((reply, max(reply.at, at)))
    # Time order inside the thread; a reply never before what it answers (the sort is stable).
    ordered.sort(key=lambda item: item[1])
    return ordered


def _tweet_id(cell: str) -> str | None:
    """`3.0` (pandas writes ids of a column with gaps as floats) and `3` are tweet 3."""
    match = _INTEGRAL.match(cell.strip())
    return str(int(match.group(1))) if match else None


def _twitter_time(cell: str) -> datetime | None:
    match = _TWITTER_TIME.match(cell)
    if match is None:
        return None
    month_name, day, hour, minute, second, sign, off_h, off_m, year = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(int(year), month, int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    return (local - offset).replace(tzinfo=UTC)


# --- generic helpdesk ----------------------------------------------------------------------


def helpdesk_events(
    rows: Iterable[Row], summary: HelpdeskSummary | None = None
) -> Generator[Event, None, HelpdeskSummary]:
    """Replay events of a helpdesk export's tickets, in time order; returns the summary."""
    summary = summary if summary is not None else HelpdeskSummary()
    keyed: list[tuple[datetime, int, int, Event]] = []
    seen: dict[str, int] = {}
    for row_number, row in _checked_rows(rows, HELPDESK_REQUIRED, "a helpdesk export"):
        summary.rows += 1
        events = _ticket_events(row, row_number, seen, summary)
        if events is None:
            continue
        seen[row["id"]] = row_number
        summary.cases += 1
        keyed.extend((at, row_number, n, event) for n, (at, event) in enumerate(events))
    keyed.sort(key=lambda item: item[:3])
    summary.events = len(keyed)
    for *_, event in keyed:
        yield event
    return summary


def _ticket_events(
    row: dict[str, str], row_number: int, seen: dict[str, int], summary: HelpdeskSummary
) -> list[tuple[datetime, Event]] | None:
    """The events of one ticket with their instants, in order; None when the row is bad."""
    found: list[RowProblem] = []

    def problem(column: str, why: str) -> None:
        found.append(RowProblem(row_number, column, why))

    case = row["id"]
    if not case:
        problem("id", "empty")
    elif case in seen:
        problem("id", f"{case} already used on row {seen[case]}")
    if not row["customer"]:
        problem("customer", "empty")
    created = _helpdesk_time(row, "created", problem, required=True)
    first = _helpdesk_time(row, "first_response", problem)
    resolved = _helpdesk_time(row, "resolved", problem)
    for column, moment in (("first_response", first), ("resolved", resolved)):
        if created is not None and moment is not None and moment < created:
            problem(column, f"{_iso(moment)} is before the ticket was created ({_iso(created)})")
    status = row.get("status", "").lower()
    if status in ("resolved", "closed") and not row.get("resolved"):
        problem("resolved", f"empty, but the status is {row['status']!r}")
    score: int | None = None
    if row.get("csat"):
        match = _INTEGRAL.match(row["csat"])
        score = int(match.group(1)) if match else None
        if score is None or not 1 <= score <= 5:
            problem("csat", f"not a score from 1 to 5: {row['csat']!r}")
        elif not row.get("resolved"):
            problem("csat", "a survey answer needs a resolved time")
    if found:
        summary.problems.extend(found)
        return None
    assert created is not None

    def event(at: datetime, kind: str, **fields: Any) -> tuple[datetime, Event]:
        return at, {"at": _iso(at), "type": kind, "case": case, **fields}

    opened = event(created, "case.opened", customer=row["customer"])
    for column in ("subject", "channel", "priority"):
        if row.get(column):
            opened[1][column] = row[column]
    events = [opened]
    if first is not None:
        summary.first_response.minutes.append((first - created).total_seconds() / 60)
        events.append(
            event(first, "agent.message", agent=HELPDESK_AGENT, public=True, body=FIRST_RESPONSE)
        )
    else:
        summary.first_response.unanswered += 1
    if resolved is not None:
        events.append(event(resolved, "status.changed", status="resolved"))
        if status == "closed":
            events.append(event(resolved, "status.changed", status="closed"))
        if score is not None:
            events.append(event(resolved + SURVEY_DELAY, "survey.answered", score=score))
    return events


def _helpdesk_time(
    row: dict[str, str],
    column: str,
    problem: Callable[[str, str], None],
    *,
    required: bool = False,
) -> datetime | None:
    """An ISO 8601 instant with offset from a cell; an empty optional cell is None."""
    cell = row.get(column, "")
    if not cell:
        if required:
            problem(column, "empty")
        return None
    try:
        moment = datetime.fromisoformat(cell)
    except ValueError:
        problem(column, f"not an ISO 8601 date-time: {cell!r}")
        return None
    if moment.utcoffset() is None:
        problem(column, f"{cell!r} has no UTC offset (write e.g. {cell}+01:00 or {cell}Z)")
        return None
    return moment


# --- shared --------------------------------------------------------------------------------


def _normalised(row: Row) -> dict[str, str]:
    """Cells by column name in lower case, spaces and dashes as underscores, cells stripped."""
    return {
        re.sub(r"[\s_\-]+", "_", key.strip().lower()): (value or "").strip()
        for key, value in row.items()
        if isinstance(key, str) and isinstance(value, str | None)
    }


def _checked_rows(
    rows: Iterable[Row], columns: Iterable[str], what: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows normalised, numbered as the file's lines (the header is line 1); ImportRefused
    when the first lacks one of `columns`."""
    checked = False
    for row_number, raw in enumerate(rows, start=2):
        row = _normalised(raw)
        if not checked:
            _require_columns(row, columns, what)
            checked = True
        yield row_number, row


def _require_columns(row: dict[str, str], columns: Iterable[str], what: str) -> None:
    missing = [column for column in columns if column not in row]
    if missing:
        found = ", ".join(name for name in row if name) or "none"
        raise ImportRefused(f"not {what}: missing column(s) {', '.join(missing)} (found: {found})")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _nearest_rank(ordered: list[float], fraction: float) -> float:
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
