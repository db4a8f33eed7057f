"""`escalon calendar` through the Typer test runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.cli.calendar import format_minutes

runner = CliRunner()

OFFICE = """\
timezone: Europe/Berlin
hours:
  mon: ["09:00-12:30", "13:30-17:00"]
  tue: ["09:00-17:00"]
  wed: ["09:00-17:00"]
  thu: ["09:00-17:00"]
  fri: ["09:00-17:00"]
holidays: [2026-12-25]
"""


@pytest.fixture
def office(tmp_path: Path) -> Path:
    path = tmp_path / "office.yaml"
    path.write_text(OFFICE, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["calendar", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_prints_the_deadline_with_its_offset(office: Path) -> None:
    code, out, err = run(
        "add", str(office), "--start", "2026-03-02T09:00+01:00", "--minutes", "480"
    )
    assert (code, err) == (0, "")
    assert out == "2026-03-03T10:00:00+01:00\n"


def test_add_accepts_any_offset_and_answers_in_the_calendar_zone(office: Path) -> None:
    code, out, _ = run("add", str(office), "--start", "2026-12-24T15:00Z", "--minutes", "120")
    assert code == 0
    # Thursday 16:00 in Berlin: one hour left, Christmas Day is a holiday, then the weekend.
    assert out == "2026-12-28T10:00:00+01:00\n"


def test_add_zero_minutes_returns_the_start(office: Path) -> None:
    code, out, _ = run("add", str(office), "--start", "2026-03-07T12:00+01:00", "--minutes", "0")
    assert (code, out) == (0, "2026-03-07T12:00:00+01:00\n")


def test_between_prints_whole_business_minutes(office: Path) -> None:
    code, out, err = run(
        "between",
        str(office),
        "--start",
        "2026-03-02T08:00+01:00",
        "--end",
        "2026-03-03T10:00+01:00",
    )
    assert (code, out, err) == (0, "480\n", "")


def test_between_prints_decimals_for_partial_minutes(office: Path) -> None:
    code, out, _ = run(
        "between",
        str(office),
        "--start",
        "2026-03-02T09:00:00+01:00",
        "--end",
        "2026-03-02T09:00:30+01:00",
    )
    assert (code, out) == (0, "0.5\n")


def test_between_is_negative_when_the_end_comes_first(office: Path) -> None:
    code, out, _ = run(
        "between",
        str(office),
        "--start",
        "2026-03-03T09:00+01:00",
        "--end",
        "2026-03-02T09:00+01:00",
    )
    assert (code, out) == (0, "-420\n")


def test_next_open_prints_the_next_opening(office: Path) -> None:
    code, out, _ = run("next-open", str(office), "--at", "2026-03-02T12:45+01:00")
    assert (code, out) == (0, "2026-03-02T13:30:00+01:00\n")


def test_a_named_calendar_of_a_policy_file_can_be_used(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "calendars:\n  office:\n"
        + "".join(f"    {line}\n" for line in OFFICE.splitlines())
        + "  always: {timezone: UTC, hours: always}\n",
        encoding="utf-8",
    )
    start = "2026-03-07T12:00+00:00"
    code, out, _ = run("add", str(policy), "-c", "always", "--start", start, "--minutes", "90")
    assert (code, out) == (0, "2026-03-07T13:30:00+00:00\n")
    code, out, _ = run("add", str(policy), "-c", "office", "--start", start, "--minutes", "90")
    assert (code, out) == (0, "2026-03-09T10:30:00+01:00\n")


def test_a_naive_start_is_a_usage_error(office: Path) -> None:
    code, out, err = run("add", str(office), "--start", "2026-03-02T09:00", "--minutes", "5")
    assert (code, out) == (2, "")
    assert "--start 2026-03-02T09:00 has no UTC offset" in err
    assert "Traceback" not in err


def test_a_malformed_instant_is_a_usage_error(office: Path) -> None:
    code, _, err = run("between", str(office), "--start", "monday", "--end", "2026-03-02T09:00Z")
    assert code == 2
    assert "--start 'monday' is not an ISO 8601 date-time" in err


def test_a_negative_duration_is_a_usage_error(office: Path) -> None:
    code, _, err = run("add", str(office), "--start", "2026-03-02T09:00Z", "--minutes", "-5")
    assert code == 2
    assert "negative" in err


def test_a_missing_file_is_reported_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = run("add", str(missing), "--start", "2026-03-02T09:00Z", "--minutes", "5")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {missing}: cannot read")
    assert "Traceback" not in err


def test_an_invalid_calendar_names_the_bad_fields(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: Mars/Base\nhours: {mon: ['25:00-26:00']}\n", encoding="utf-8")
    code, _, err = run("add", str(bad), "--start", "2026-03-02T09:00Z", "--minutes", "5")
    assert code == 1
    assert "timezone: " in err
    assert 'hours.mon[0]: "25:00-26:00" is not HH:MM-HH:MM' in err
    assert len(err.strip().splitlines()) == 1


def test_a_calendar_without_hours_cannot_give_a_deadline(tmp_path: Path) -> None:
    closed = tmp_path / "closed.yaml"
    closed.write_text("timezone: UTC\nhours: {}\n", encoding="utf-8")
    code, out, err = run("add", str(closed), "--start", "2026-03-02T09:00Z", "--minutes", "5")
    assert (code, out) == (1, "")
    assert "no business hours" in err


@pytest.mark.parametrize(
    ("us", "text"),
    [
        (0, "0"),
        (60_000_000, "1"),
        (-90_000_000, "-1.5"),
        (1_000_000, "0.016667"),
        (1, "0"),
        (-1, "0"),
    ],
)
def test_minutes_are_formatted_as_integers_when_whole(us: int, text: str) -> None:
    assert format_minutes(us) == text
