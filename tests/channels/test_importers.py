"""Importers: TWCS threads and helpdesk exports become replay events the replay accepts."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from escalon.channels.importers import (
    HelpdeskSummary,
    ImportRefused,
    TwcsSummary,
    helpdesk_events,
    read_csv,
    twcs_events,
)
from escalon.cli import app
from escalon.core.events import parse_event
from escalon.core.replay import Replay
from escalon.files import load_policy
from tests.builders.paths import EXAMPLE_POLICY, SHARED

TWCS_HEAD = SHARED / "data" / "twcs" / "twcs-head-5000.csv"
runner = CliRunner()

TWCS_HEADER = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
)


def rows(text: str) -> Iterator[dict[str | None, Any]]:
    """CSV rows of `text`, read as the CLI reads a file (line endings untouched)."""
    return read_csv(io.StringIO(text, newline=""))


def twcs(text: str) -> tuple[list[dict[str, Any]], TwcsSummary]:
    summary = TwcsSummary()
    events = list(twcs_events(rows(TWCS_HEADER + text), summary))
    return events, summary


def helpdesk(text: str) -> tuple[list[dict[str, Any]], HelpdeskSummary]:
    summary = HelpdeskSummary()
    events = list(helpdesk_events(rows(text), summary))
    return events, summary


def brief(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(event["case"], event["type"], event.get("tweet", "")) for event in events]


# --- TWCS ----------------------------------------------------------------------------------

THREAD = """\
1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 Please DM us,2,3
2,115712,True,Tue Oct 31 22:11:45 +0000 2017,@sprintcare how?,,1
3,115712,True,Tue Oct 31 22:08:27 +0000 2017,@sprintcare nobody answers,1,
"""


def test_twcs_thread_follows_replies_to_its_root_customer_tweet() -> None:
    events, summary = twcs(THREAD)
    assert brief(events) == [
        ("twcs-3", "case.opened", "3"),
        ("twcs-3", "agent.message", "1"),
        ("twcs-3", "customer.message", "2"),
    ]
    opened, reply, _ = events
    assert opened == {
        "at": "2017-10-31T22:08:27+00:00",
        "case": "twcs-3",
        "type": "case.opened",
        "customer": "115712",
        "channel": "social",
        "tier": "standard",
        "body": "@sprintcare nobody answers",
        "tweet": "3",
    }
    assert "category" not in opened
    assert reply["agent"] == "sprintcare"
    assert reply["public"] is True
    assert (summary.threads, summary.cases, summary.tweets, summary.events) == (1, 1, 3, 3)


def test_twcs_events_are_valid_replay_events() -> None:
    events, _ = twcs(THREAD)
    for event in events:
        parse_event(event)


def test_twcs_thread_started_by_a_brand_is_skipped_and_counted() -> None:
    events, summary = twcs(
        THREAD
        + "10,Delta,False,Wed Nov 01 08:00:00 +0000 2017,@1 Hello!,11,\n"
        + "11,200,True,Wed Nov 01 08:05:00 +0000 2017,@Delta hi,,10\n"
    )
    assert {event["case"] for event in events} == {"twcs-3"}
    assert summary.threads == 2
    assert summary.cases == 1
    assert (summary.brand_first_threads, summary.brand_first_tweets) == (1, 2)


def test_twcs_reply_to_a_tweet_not_in_the_file_starts_its_own_thread() -> None:
    events, summary = twcs(
        "20,300,True,Wed Nov 01 09:00:00 +0000 2017,@Brand as I said,21,999\n"
        "21,Brand,False,Wed Nov 01 09:03:00 +0000 2017,@300 sorry,,20\n"
    )
    assert brief(events) == [
        ("twcs-20", "case.opened", "20"),
        ("twcs-20", "agent.message", "21"),
    ]
    assert summary.orphans == 1
    assert summary.threads == 1


def test_twcs_replies_in_a_circle_are_cut_at_the_first_of_them_in_the_file() -> None:
    events, summary = twcs(
        "7,300,True,Wed Nov 01 09:00:00 +0000 2017,@Brand hi,,8\n"
        "8,Brand,False,Wed Nov 01 09:05:00 +0000 2017,@300 hello,,7\n"
    )
    assert brief(events) == [("twcs-7", "case.opened", "7"), ("twcs-7", "agent.message", "8")]
    assert summary.loops == 1


def test_twcs_bare_carriage_returns_stay_inside_the_tweet() -> None:
    # As in tweet 3399 of the real file: lone CRs inside an unquoted cell.
    events, summary = twcs(
        "3399,116510,True,Tue Oct 31 18:13:06 +0000 2017,@AskPayPal \r\rI love it,3398,\n"
        "3398,AskPayPal,False,Tue Oct 31 22:41:28 +0000 2017,@116510 sorry,,3399.0\n"
    )
    assert not summary.problems
    assert summary.tweets == 2
    assert events[0]["body"] == "@AskPayPal   I love it"
    assert brief(events) == [
        ("twcs-3399", "case.opened", "3399"),
        ("twcs-3399", "agent.message", "3398"),
    ]


def test_twcs_events_are_in_time_order_across_threads_and_ties_keep_thread_order() -> None:
    events, _ = twcs(
        "1,100,True,Wed Nov 01 10:00:00 +0000 2017,@A first,,\n"
        "2,200,True,Wed Nov 01 09:00:00 +0000 2017,@B second,,\n"
        "3,A,False,Wed Nov 01 10:30:00 +0000 2017,@100 reply,,1\n"
        "4,B,False,Wed Nov 01 10:30:00 +0000 2017,@200 reply,,2\n"
        "5,100,True,Wed Nov 01 10:30:00 +0000 2017,@A thanks,,3\n"
    )
    assert [event["at"] for event in events] == sorted(event["at"] for event in events)
    # At 10:30 the thread opened first (2) comes first; inside a thread, replies after parents.
    assert brief(events) == [
        ("twcs-2", "case.opened", "2"),
        ("twcs-1", "case.opened", "1"),
        ("twcs-2", "agent.message", "4"),
        ("twcs-1", "agent.message", "3"),
        ("twcs-1", "customer.message", "5"),
    ]


def test_twcs_reply_stamped_before_its_tweet_is_replayed_at_the_tweet_instant() -> None:
    events, summary = twcs(
        "1,100,True,Wed Nov 01 10:00:00 +0000 2017,@A help,,\n"
        "2,A,False,Wed Nov 01 09:59:00 +0000 2017,@100 sure,,1\n"
    )
    assert brief(events) == [("twcs-1", "case.opened", "1"), ("twcs-1", "agent.message", "2")]
    assert events[1]["at"] == events[0]["at"]
    assert summary.retimed == 1


def test_twcs_reads_the_pandas_index_column_and_float_ids() -> None:
    summary = TwcsSummary()
    text = "," + TWCS_HEADER + "0,1,100,True,Wed Nov 01 10:00:00 +0000 2017,@A hi,2.0,\n"
    text += "1,2,A,False,Wed Nov 01 10:01:00 +0000 2017,@100 hello,,1.0\n"
    events = list(twcs_events(rows(text), summary))
    assert brief(events) == [("twcs-1", "case.opened", "1"), ("twcs-1", "agent.message", "2")]


def test_twcs_first_brand_reply_times_are_measured_in_wall_clock_minutes() -> None:
    _, summary = twcs(THREAD + "20,300,True,Wed Nov 01 09:00:00 +0000 2017,@Brand anyone?,,\n")
    assert summary.first_response.minutes == [pytest.approx(2 + 20 / 60)]
    assert summary.first_response.unanswered == 1
    assert summary.first_response.quantiles()["median_minutes"] == 2.33


def test_twcs_unusable_rows_are_reported_and_skipped() -> None:
    events, summary = twcs(
        THREAD
        + "x,300,True,Wed Nov 01 09:00:00 +0000 2017,@Brand hi,,\n"
        + "21,300,maybe,Wed Nov 01 09:00:00 +0000 2017,@Brand hi,,\n"
        + "22,300,True,2017-11-01 09:00,@Brand hi,,\n"
    )
    assert len(events) == 3
    assert [(p.row, p.column) for p in summary.problems] == [
        (5, "tweet_id"),
        (6, "inbound"),
        (7, "created_at"),
    ]
    assert summary.tweets == 6


def test_twcs_without_its_columns_is_refused() -> None:
    with pytest.raises(ImportRefused, match="missing column"):
        list(twcs_events(rows("id,text\n1,hello\n")))


# --- helpdesk ------------------------------------------------------------------------------

HELPDESK_HEADER = (
    "ID,Created,Customer,Subject,Status,Priority,Channel,First Response,Resolved,CSAT\n"
)


def test_helpdesk_ticket_becomes_opening_reply_resolution_closing_and_survey() -> None:
    events, summary = helpdesk(
        HELPDESK_HEADER + "T-1,2026-12-01T09:00:00+01:00,acme,Printer on fire,Closed,High,"
        "email,2026-12-01T09:30:00+01:00,2026-12-01T12:00:00+01:00,4\n"
    )
    assert events == [
        {
            "at": "2026-12-01T09:00:00+01:00",
            "type": "case.opened",
            "case": "T-1",
            "customer": "acme",
            "subject": "Printer on fire",
            "channel": "email",
            "priority": "High",
        },
        {
            "at": "2026-12-01T09:30:00+01:00",
            "type": "agent.message",
            "case": "T-1",
            "agent": "helpdesk",
            "public": True,
            "body": "(first response)",
        },
        {
            "at": "2026-12-01T12:00:00+01:00",
            "type": "status.changed",
            "case": "T-1",
            "status": "resolved",
        },
        {
            "at": "2026-12-01T12:00:00+01:00",
            "type": "status.changed",
            "case": "T-1",
            "status": "closed",
        },
        {"at": "2026-12-01T12:01:00+01:00", "type": "survey.answered", "case": "T-1", "score": 4},
    ]
    for event in events:
        parse_event(event)
    assert (summary.rows, summary.cases, summary.events, summary.problems) == (1, 1, 5, [])


def test_helpdesk_headers_ignore_case_spaces_and_underscores_and_empty_cells_are_optional() -> None:
    events, summary = helpdesk(
        "id,CREATED,customer,first_response, Resolved \n"
        "T-2,2026-12-01T08:00:00Z,bob,,\n"
        "T-3,2026-12-01T08:10:00Z,carol,2026-12-01T08:20:00Z,\n"
    )
    assert brief(events) == [
        ("T-2", "case.opened", ""),
        ("T-3", "case.opened", ""),
        ("T-3", "agent.message", ""),
    ]
    assert "priority" not in events[0]
    assert summary.first_response.unanswered == 1
    assert summary.first_response.minutes == [10.0]


def test_helpdesk_time_without_offset_is_a_problem_naming_the_row() -> None:
    events, summary = helpdesk(
        HELPDESK_HEADER
        + "T-1,2026-12-01T09:00:00+01:00,acme,,open,,,,,\n"
        + "T-2,2026-12-01 10:00,bob,,open,,,,,\n"
    )
    assert [event["case"] for event in events] == ["T-1"]
    [problem] = summary.problems
    assert (problem.row, problem.column) == (3, "created")
    assert "no UTC offset" in problem.problem
    assert str(problem).startswith("row 3: created: ")


def test_helpdesk_bad_rows_are_reported_and_skipped() -> None:
    events, summary = helpdesk(
        HELPDESK_HEADER
        + "T-1,2026-12-01T09:00:00+01:00,acme,,open,,,,,\n"
        + "T-1,2026-12-01T09:00:00+01:00,again,,open,,,,,\n"  # a second T-1
        + ",2026-12-01T09:00:00+01:00,nobody,,open,,,,,\n"  # no id
        + "T-4,2026-12-01T09:00:00+01:00,,,open,,,,,\n"  # no customer
        + "T-5,yesterday,dave,,open,,,,,\n"
        + "T-6,2026-12-01T09:00:00+01:00,erin,,resolved,,,,2026-12-01T08:00:00+01:00,\n"
        + "T-7,2026-12-01T09:00:00+01:00,fay,,resolved,,,,2026-12-01T10:00:00+01:00,6\n"
        + "T-8,2026-12-01T09:00:00+01:00,gus,,closed,,,,,\n"  # closed, but when?
        + "T-9,2026-12-01T09:00:00+01:00,hal,,open,,,,,5\n"  # a survey before resolution
    )
    assert [event["case"] for event in events] == ["T-1"]
    assert [(p.row, p.column) for p in summary.problems] == [
        (3, "id"),
        (4, "id"),
        (5, "customer"),
        (6, "created"),
        (7, "resolved"),
        (8, "csat"),
        (9, "resolved"),
        (10, "csat"),
    ]
    assert (summary.rows, summary.cases) == (9, 1)


def test_helpdesk_events_are_in_time_order_and_ties_keep_row_order() -> None:
    events, _ = helpdesk(
        HELPDESK_HEADER
        + "A,2026-12-01T10:00:00+01:00,x,,resolved,,,,2026-12-01T11:00:00+01:00,\n"
        + "B,2026-12-01T09:00:00Z,y,,open,,,,,\n"  # 10:00 in Berlin: the same instant as A
        + "C,2026-12-01T08:30:00Z,z,,open,,,,,\n"
    )
    assert brief(events) == [
        ("C", "case.opened", ""),
        ("A", "case.opened", ""),
        ("B", "case.opened", ""),
        ("A", "status.changed", ""),
    ]


def test_helpdesk_importer_returns_its_summary() -> None:
    generator = helpdesk_events(rows(HELPDESK_HEADER + "T-1,2026-12-01T09:00:00Z,a,,,,,,,\n"))
    assert next(generator)["type"] == "case.opened"
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value.cases == 1


def test_helpdesk_without_required_columns_is_refused() -> None:
    with pytest.raises(ImportRefused, match=r"missing column.*customer"):
        list(helpdesk_events(rows("id,created\n1,2026-12-01T09:00:00Z\n")))


# --- command line --------------------------------------------------------------------------


def test_cli_twcs_writes_json_lines_and_a_summary_on_stderr(tmp_path: Path) -> None:
    source = tmp_path / "twcs.csv"
    source.write_text(TWCS_HEADER + THREAD, newline="")
    result = runner.invoke(app, ["import", "twcs", str(source)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines] == ["case.opened", "agent.message", "customer.message"]
    assert "1 cases, 3 events" in result.stderr
    assert "median 2.3 min" in result.stderr


def test_cli_twcs_limit_and_out(tmp_path: Path) -> None:
    source = tmp_path / "twcs.csv"
    source.write_text(TWCS_HEADER + THREAD, newline="")
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["import", "twcs", str(source), "--limit", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 threads (1 tweets) started by a brand" in result.stderr
    assert out.read_text() == ""


def test_cli_helpdesk_lists_skipped_rows_on_stderr(tmp_path: Path) -> None:
    source = tmp_path / "tickets.csv"
    source.write_text(
        HELPDESK_HEADER
        + "T-1,2026-12-01T09:00:00+01:00,acme,,open,,,,,\n"
        + "T-2,2026-12-01 10:00,bob,,open,,,,,\n"
    )
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["import", "helpdesk", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{source}:row 3: created:" in result.stderr
    assert "1 rows with 1 problems" in result.stderr
    assert len(out.read_text().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("id,text\n1,hello\n", "missing column(s)"),
        (b"\xff\xfe\x00oops", "not UTF-8"),
    ],
)
def test_cli_refuses_unreadable_input_with_one_message(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    source = tmp_path / "in.csv"
    if isinstance(content, bytes):
        source.write_bytes(content)
    elif content is not None:
        source.write_text(content)
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["import", "helpdesk", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


# --- the real data -------------------------------------------------------------------------


def customer_started_threads(path: Path) -> tuple[int, int]:
    """(threads, threads whose first tweet is a customer's), counted apart from the importer."""
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", " ")
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    parent = {row["tweet_id"]: row["in_response_to_tweet_id"].removesuffix(".0") for row in table}
    inbound = {row["tweet_id"]: row["inbound"] == "True" for row in table}
    roots = set()
    for start in parent:
        tweet = start
        while parent[tweet] in parent:
            tweet = parent[tweet]
        roots.add(tweet)
    return len(roots), sum(inbound[root] for root in roots)


@pytest.mark.data
def test_twcs_head_imports_and_replays_with_every_event_accepted() -> None:
    if not TWCS_HEAD.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{TWCS_HEAD} is missing (CI=true: the data tests must run)")
        pytest.skip(f"public data not found at {TWCS_HEAD} (it lives beside the repository)")
    from escalon.triage import load_analyzer

    summary = TwcsSummary()
    with TWCS_HEAD.open(encoding="utf-8-sig", newline="") as source:
        events = list(twcs_events(read_csv(source), summary))
    threads, customer_first = customer_started_threads(TWCS_HEAD)
    assert (summary.tweets, summary.threads, summary.problems) == (5000, threads, [])
    assert summary.cases == customer_first
    assert summary.events + summary.brand_first_tweets == 5000

    skipped: list[tuple[int, str]] = []
    replay = Replay(
        load_policy(EXAMPLE_POLICY),
        analyzer=load_analyzer(None),
        on_skip=lambda number, reason: skipped.append((number, reason)),
    )
    replay.feed((number, json.dumps(event)) for number, event in enumerate(events, start=1))
    report = replay.finish()
    assert skipped == []
    assert report["skipped_events"] == 0
    assert report["events"] == len(events)
    assert report["cases"] == customer_first
