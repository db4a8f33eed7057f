"""Two policies over one history: time at each level, the cases that end differently and the
first decision where they part, and what the history lacks."""

from __future__ import annotations

import json
from typing import Any

from escalon.core.replay.compare import Comparison
from tests.builders.engine import ev, make_policy, opened

STUCK = """
- name: stuck
  trigger: level.timeout
  after: {after}
  do:
    - escalate: {{up: 1}}
"""


def compare(
    lines: list[dict[str, object]], first: str = "2h", second: str = "4h"
) -> dict[str, Any]:
    comparison = Comparison(
        make_policy(STUCK.format(after=first)), make_policy(STUCK.format(after=second))
    )
    comparison.feed((number, json.dumps(line)) for number, line in enumerate(lines, start=1))
    return comparison.finish()


# Monday 30 November 2026, office hours 09:00-17:00 in Berlin.
HISTORY = [
    opened("2026-11-30 09:00", "C1"),
    opened("2026-11-30 09:00", "C2"),
    ev("status.changed", "2026-11-30 09:30", "C2", status="resolved"),
    ev("status.changed", "2026-11-30 16:00", "C1", status="resolved"),
]


def test_time_at_each_level_is_counted_until_the_case_is_resolved() -> None:
    result = compare(HISTORY)
    # A: frontline 09-11, supervisor 11-13, specialist 13-15, management 15-16 (C1), and C2's
    # half hour at the frontline. B: frontline 09-13, supervisor 13-16 (C1), and C2's.
    assert result["a"]["hours_at_level"] == {
        "frontline": 2.5,
        "supervisor": 2.0,
        "specialist": 2.0,
        "management": 1.0,
    }
    assert result["b"]["hours_at_level"] == {
        "frontline": 4.5,
        "supervisor": 3.0,
        "specialist": 0.0,
        "management": 0.0,
    }


def test_a_case_that_ends_differently_names_the_first_decision_that_differs() -> None:
    result = compare(HISTORY)
    assert result["cases_compared"] == 2
    assert result["differing_cases"] == 1
    (difference,) = result["differences"]
    assert difference == {
        "case": "C1",
        "outcome_a": "3 escalations, up to management, ends at management",
        "outcome_b": "1 escalation, up to supervisor, ends at supervisor",
        "first_a": "2026-11-30T10:00:00+00:00 escalate (stuck)",
        "first_b": "2026-11-30T12:00:00+00:00 escalate (stuck)",
    }


def test_the_same_policy_twice_differs_nowhere() -> None:
    result = compare(HISTORY, "2h", "2h")
    assert result["differing_cases"] == 0
    assert result["a"] == result["b"]


def test_a_history_without_resolutions_or_acknowledgements_is_said_to_be_so() -> None:
    result = compare(HISTORY[:2])
    assert len(result["warnings"]) == 2
    assert result["warnings"][0].startswith("The history has no resolutions")
    assert "no acknowledgements" in result["warnings"][1]
    acknowledged = [
        *HISTORY,
        ev("escalation.acknowledged", "2026-11-30 16:30", "C1", agent="sam"),
    ]
    assert compare(acknowledged)["warnings"] == []


def test_a_bad_line_is_skipped_once_and_the_history_after_until_is_not_read() -> None:
    skipped: list[tuple[int, str]] = []
    comparison = Comparison(
        make_policy(STUCK.format(after="2h")),
        make_policy(STUCK.format(after="4h")),
        on_skip=lambda number, reason: skipped.append((number, reason)),
    )
    lines = [json.dumps(HISTORY[0]), "{broken", json.dumps(HISTORY[3])]
    comparison.feed(enumerate(lines, start=1))
    result = comparison.finish()
    assert [number for number, _ in skipped] == [2]
    assert result["a"]["skipped_events"] == result["b"]["skipped_events"] == 1
