"""The replay loop: ordering, skipped lines, `until`, and the report's figures."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from escalon.core.engine import Action
from escalon.core.replay import Replay, nearest_rank
from escalon.core.state import to_us
from escalon.files import load_policy
from tests.builders.engine import FR_BREACH, at, drive, ev, make_policy, opened, us
from tests.builders.paths import SHARED

SHARED_EXAMPLES = SHARED / "examples" / "replay"


def feed(
    policy_rules: str, lines: list[str], until: str | None = None
) -> tuple[list[tuple[int, str]], dict[str, Any]]:
    skipped: list[tuple[int, str]] = []
    runner = Replay(
        make_policy(policy_rules),
        until=us(until) if until else None,
        on_skip=lambda number, reason: skipped.append((number, reason)),
    )
    runner.feed(enumerate(lines, start=1))
    return skipped, runner.finish()


def test_malformed_lines_are_reported_with_their_number_and_skipped() -> None:
    lines = [
        json.dumps(opened("2026-12-01 10:00")),
        "{not json",
        "",
        json.dumps(ev("case.exploded", "2026-12-01 10:01")),
        json.dumps(ev("customer.message", "2026-12-01 10:02", "C9", body="hi")),
        json.dumps(opened("2026-12-01 10:03")),
        json.dumps(ev("customer.message", "2026-12-01 09:00", body="from the past")),
        json.dumps({"at": "2026-12-01T10:05:00", "type": "customer.message", "case": "C1"}),
        json.dumps(ev("case.escalated", "2026-12-01 10:06", agent="a", to="boss")),
        "[1, 2]",
        json.dumps(ev("customer.message", "2026-12-01 10:07", body="fine")),
    ]
    skipped, report = feed("", lines)
    numbers = [number for number, _ in skipped]
    assert numbers == [2, 4, 5, 6, 7, 8, 9, 10]
    reasons = dict(skipped)
    assert reasons[2].startswith("not valid JSON")
    assert reasons[4] == "unknown event type 'case.exploded'"
    assert reasons[5] == "case C9 was never opened"
    assert reasons[6] == "case C1 is already open"
    assert reasons[7].startswith("earlier than the event before it")
    assert "needs a UTC offset" in reasons[8]
    assert reasons[9].startswith("unknown level 'boss'")
    assert report["events"] == 10
    assert report["skipped_events"] == 8
    assert report["cases"] == 1


def test_until_stops_reading_and_fires_timers_up_to_and_including_it() -> None:
    lines = [
        json.dumps(opened("2026-12-01 09:00")),
        json.dumps(opened("2026-12-01 13:00", "C2")),
        json.dumps(ev("agent.message", "2026-12-01 13:30", agent="a")),
    ]
    skipped, report = feed(FR_BREACH, lines, until="2026-12-01 13:00")
    assert skipped == []
    assert report["events"] == 2
    assert report["escalated_cases"] == 1  # C1's breach at 13:00 itself fires
    assert report["cases"] == 2


def test_without_until_the_replay_ends_at_the_last_event() -> None:
    lines = [json.dumps(opened("2026-12-01 09:00")), json.dumps(opened("2026-12-01 12:59", "C2"))]
    _, report = feed(FR_BREACH, lines)
    assert report["escalated_cases"] == 0
    assert report["sla"]["first_response"] == {
        "tracked": 2,
        "met": 0,
        "breached": 0,
        "compliance": None,
    }


def test_same_instant_events_apply_before_timers() -> None:
    outcome = drive(
        make_policy(FR_BREACH),
        [
            opened("2026-12-01 09:00"),
            opened("2026-12-01 13:00", "C2"),
            ev("agent.message", "2026-12-01 13:00", agent="a"),
        ],
    )
    assert outcome.actions == []


def test_decisions_are_in_time_order_across_cases() -> None:
    events = [
        opened("2026-12-01 09:00", "A"),
        opened("2026-12-01 09:30", "B"),
        opened("2026-12-01 10:00", "C"),
    ]
    outcome = drive(make_policy(FR_BREACH), events, until="2026-12-02 00:00")
    assert [action.case for action in outcome.actions] == ["A", "B", "C"]
    instants = [action.at for action in outcome.actions]
    assert instants == sorted(instants)


def test_report_figures() -> None:
    policy = make_policy(FR_BREACH)
    events = [
        opened("2026-12-01 09:00", "A"),
        opened("2026-12-01 09:00", "B"),
        opened("2026-12-01 09:00", "C"),
        ev("agent.message", "2026-12-01 10:00", "B", agent="x"),
        ev("agent.message", "2026-12-01 10:00", "C", agent="x"),
        ev("status.changed", "2026-12-01 11:00", "B", status="resolved"),
        ev("status.changed", "2026-12-01 15:00", "A", status="resolved"),
        ev("case.escalated", "2026-12-01 15:30", "C", agent="x", to="specialist"),
        ev("status.changed", "2026-12-02 09:00", "C", status="resolved"),
        ev("survey.answered", "2026-12-02 10:00", "A", score=2),
        ev("survey.answered", "2026-12-02 10:00", "B", score=5),
        ev("survey.answered", "2026-12-02 10:00", "C", score=3),
    ]
    report = drive(policy, events).report
    assert report["cases"] == 3
    assert report["escalated_cases"] == 2
    assert report["escalation_rate"] == pytest.approx(0.6667)
    assert report["escalations_by_rule"] == {"fr breach": 1, "manual": 1}
    assert report["escalations_by_level"] == {"supervisor": 1, "specialist": 1}
    assert report["sla"]["first_response"] == {
        "tracked": 3,
        "met": 2,
        "breached": 1,
        "compliance": 0.6667,
    }
    assert report["sla"]["resolution"] == {"tracked": 3, "met": 3, "breached": 0, "compliance": 1.0}
    assert report["resolution_time"]["escalated"] == {
        "cases": 2,
        "median_hours": 6.0,
        "p90_hours": 8.0,
    }
    assert report["resolution_time"]["other"] == {"cases": 1, "median_hours": 2.0, "p90_hours": 2.0}
    assert report["csat"] == {
        "escalated": {"responses": 2, "mean": 2.5},
        "other": {"responses": 1, "mean": 5.0},
    }


def test_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert nearest_rank(values, 0.5) == 5
    assert nearest_rank(values, 0.9) == 9
    assert nearest_rank([7.0], 0.9) == 7


def test_a_closed_case_id_may_open_a_new_case() -> None:
    events = [
        opened("2026-12-01 09:00"),
        ev("case.escalated", "2026-12-01 09:10", agent="a", to="supervisor"),
        ev("status.changed", "2026-12-01 10:00", status="closed"),
        opened("2026-12-02 09:00"),
    ]
    report = drive(make_policy(""), events).report
    assert report["cases"] == 2
    assert report["escalated_cases"] == 1


@pytest.mark.skipif(
    not SHARED_EXAMPLES.exists(), reason="../shared/examples/replay is not beside the project"
)
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in SHARED_EXAMPLES.iterdir() if p.is_dir())
    if SHARED_EXAMPLES.exists()
    else [],
)
def test_shared_worked_examples(name: str) -> None:
    folder = SHARED_EXAMPLES / name
    policy = load_policy(folder / "policy.yaml")
    until = (folder / "until.txt").read_text().strip()
    got: list[Action] = []
    runner = Replay(policy, until=to_us(_parse(until)), on_action=got.append)
    with (folder / "events.jsonl").open() as lines:
        runner.feed(enumerate(lines, start=1))
    runner.finish()
    kinds = {"escalate", "de-escalate", "route"}

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        fields = ("case", "action", "from_level", "to_level", "from_team", "to_team", "rule")
        return (to_us(_parse(record["at"])), *(record.get(name) for name in fields))

    mine = sorted(key(action.record()) for action in got if action.action in kinds)
    expected = sorted(
        key(json.loads(line))
        for line in (folder / "expected.jsonl").read_text().splitlines()
        if line
    )
    assert mine == expected


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_at_helper_is_berlin_time() -> None:
    assert at("2026-12-01 10:00") == "2026-12-01T10:00:00+01:00"
