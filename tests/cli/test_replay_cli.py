"""`escalon replay` end to end: files in, decisions, report and summary out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from tests.builders.engine import POLICY_HEAD, ev, opened
from tests.builders.paths import EXAMPLES

runner = CliRunner()
POLICY = (
    POLICY_HEAD
    + """\
slas:
  - name: standard
    calendar: office
    targets: {first_response: 4h, resolution: 24h}
rules:
  - name: fr breach
    trigger: sla.breach
    metric: first_response
    do:
      - escalate: {up: 1}
      - notify: [level_team]
"""
)


def replay_args(folder: Path) -> list[str]:
    """`escalon replay` on the policy and events written in `folder`."""
    return [
        "replay",
        "--policy",
        str(folder / "policy.yaml"),
        "--events",
        str(folder / "events.jsonl"),
    ]


def write_events(path: Path, events: list[dict[str, object]], extra: list[str] = ()) -> None:  # type: ignore[assignment]
    lines = [json.dumps(event) for event in events] + list(extra)
    path.write_text("\n".join(lines) + "\n")


def test_replay_writes_decisions_report_and_summary(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    write_events(
        tmp_path / "events.jsonl",
        [opened("2026-12-01 09:00"), opened("2026-12-01 10:00", "C2")],
        ["oops"],
    )
    result = runner.invoke(
        app,
        [
            *replay_args(tmp_path),
            "--until",
            "2026-12-01T13:00:00+01:00",
            "--out",
            str(tmp_path / "decisions.jsonl"),
            "--report",
            str(tmp_path / "report.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    decisions = [
        json.loads(line) for line in (tmp_path / "decisions.jsonl").read_text().splitlines()
    ]
    assert [(d["case"], d["action"], d["at"]) for d in decisions] == [
        ("C1", "escalate", "2026-12-01T13:00:00+01:00"),
        ("C1", "notify", "2026-12-01T13:00:00+01:00"),
    ]
    assert decisions[0]["from_level"] == "frontline"
    assert decisions[0]["to_level"] == "supervisor"
    assert decisions[1]["recipients"] == ["team:supervisors"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["cases"], report["events"], report["skipped_events"]) == (2, 3, 1)
    assert f"{tmp_path / 'events.jsonl'}:3: not valid JSON" in result.stderr
    assert "Replayed 3 events (1 skipped) of 2 cases" in result.stdout
    assert "Escalated cases: 1 (50.0%)" in result.stdout


def test_invalid_policy_replays_nothing(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.replace("calendar: office", "calendar: nowhere"))
    write_events(tmp_path / "events.jsonl", [opened("2026-12-01 09:00")])
    out = tmp_path / "decisions.jsonl"
    result = runner.invoke(
        app,
        [
            *replay_args(tmp_path),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "unknown calendar 'nowhere'" in result.stderr
    assert "nothing was replayed" in result.stderr
    assert not out.exists()


def test_naive_until_is_refused(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    write_events(tmp_path / "events.jsonl", [opened("2026-12-01 09:00")])
    result = runner.invoke(
        app,
        [
            *replay_args(tmp_path),
            "--until",
            "2026-12-01T13:00",
        ],
    )
    assert result.exit_code == 2
    assert "needs a UTC offset" in result.stderr


def test_no_progress_bar_when_not_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    write_events(
        tmp_path / "events.jsonl",
        [opened("2026-12-01 09:00"), ev("agent.message", "2026-12-01 09:30", agent="a")],
    )
    result = runner.invoke(
        app,
        [
            *replay_args(tmp_path),
        ],
    )
    assert result.exit_code == 0
    assert "replaying" not in result.output
    assert "\x1b[" not in result.output


def example_args(tmp_path: Path) -> list[str]:
    """`escalon replay` on the example policy and events, with the example roster."""
    return [
        "replay",
        "--policy",
        str(EXAMPLES / "policy.yaml"),
        "--events",
        str(EXAMPLES / "events.jsonl"),
        "--roster",
        str(EXAMPLES / "roster.yaml"),
        "--out",
        str(tmp_path / "decisions.jsonl"),
        "--report",
        str(tmp_path / "report.json"),
    ]


def test_replay_with_the_example_roster_reports_who_carried_the_escalations(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, example_args(tmp_path))
    assert result.exit_code == 0, result.output
    roster = json.loads((tmp_path / "report.json").read_text())["roster"]
    assert set(roster) == {"people", "shifts", "days", "skipped_levels", "queued"}
    carried = sum(person["escalations"] for person in roster["people"].values())
    assert carried > 0
    assert {shift["team"] for shift in roster["shifts"]} == {"specialists"}
    assert "Roster: levels skipped" in result.stdout
    assert "Busiest people" in result.stdout


def test_replay_with_a_roster_writes_assignments_and_whom_notifications_reached(
    tmp_path: Path,
) -> None:
    result = runner.invoke(app, example_args(tmp_path))
    assert result.exit_code == 0, result.output
    decisions = [
        json.loads(line) for line in (tmp_path / "decisions.jsonl").read_text().splitlines()
    ]
    assert any(d["action"] == "assign" and "assignee" in d for d in decisions)
    notified = [d for d in decisions if d["action"] == "notify"]
    assert notified
    assert all(set(d["reached"]) == set(d["recipients"]) for d in notified)


def test_replay_with_a_roster_says_it_ignored_jobs(tmp_path: Path) -> None:
    result = runner.invoke(app, [*example_args(tmp_path), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "--jobs 2 was not used: with a roster the replay runs in one process" in result.stdout


def test_bad_roster_is_refused_with_its_problems_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    write_events(tmp_path / "events.jsonl", [opened("2026-12-01 09:00")])
    bad = tmp_path / "roster.yaml"
    bad.write_text(
        "teams:\n"
        "  - {name: frontline, assignment: round_robin}\n"
        "agents:\n"
        "  - {handle: lena, name: Lena, teams: [frontline, nowhere]}\n"
    )
    out = tmp_path / "decisions.jsonl"
    result = runner.invoke(app, [*replay_args(tmp_path), "--roster", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{bad}:4: agents[0].teams[1]: no team 'nowhere' in the roster" in result.stderr
    assert "nothing was replayed" in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_unreadable_roster_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    write_events(tmp_path / "events.jsonl", [opened("2026-12-01 09:00")])
    (tmp_path / "roster.yaml").write_text("teams: [\n")
    result = runner.invoke(app, [*replay_args(tmp_path), "--roster", str(tmp_path / "roster.yaml")])
    assert result.exit_code == 1
    assert "not valid YAML" in result.stderr
    assert "Traceback" not in result.output


def test_the_summary_counts_clocks_stopped_suspiciously(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    events = [
        opened("2026-12-01 09:00"),
        ev("status.changed", "2026-12-01 09:30", status="pending_customer"),
    ]
    write_events(tmp_path / "events.jsonl", events)
    result = runner.invoke(app, [*replay_args(tmp_path), "--report", str(tmp_path / "report.json")])
    assert result.exit_code == 0, result.output
    assert "Clocks stopped suspiciously: unanswered 1" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["clock_flags"] == {
        "unanswered": 1,
        "near_breach": 0,
        "repeated_pauses": 0,
        "premature": 0,
    }
