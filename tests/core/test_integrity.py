"""Clocks that cannot be gamed: each suspicious stop is flagged once where it happens, as a
clock event, in the replay's report, and as the trigger `clock.suspicious` rules can act on."""

from __future__ import annotations

from typing import Any

from escalon.core import engine
from escalon.core.events import parse_event
from escalon.core.rules.english import rule_sentence
from tests.builders.engine import DEFAULT_SLAS, drive, ev, make_policy, opened, us

WATCH = """
- name: clock gamed
  trigger: clock.suspicious
  do:
    - notify: [supervisor]
"""
# Standard SLA, office hours in Berlin: first response 4 h, warning at 75 % (3 h).


def _flags(events: list[dict[str, Any]], rules: str = WATCH) -> tuple[list[str], Any]:
    outcome = drive(make_policy(rules), events)
    state = outcome.states["C1"]
    return list(state.flags), outcome


def reply(when: str) -> dict[str, Any]:
    return ev("agent.message", when, agent="ana", public=True, body="Here is what to do.")


def status(when: str, to: str) -> dict[str, Any]:
    return ev("status.changed", when, status=to)


def test_waiting_on_a_customer_who_waits_on_us_is_flagged_and_fires_the_rule() -> None:
    flags, outcome = _flags(
        [opened("2026-12-01 10:00"), status("2026-12-01 10:30", "pending_customer")]
    )
    assert flags == ["unanswered"]
    [action] = outcome.of("notify")
    assert (action.trigger, action.metric, action.rule) == (
        "clock.suspicious",
        "first_response",
        "clock gamed",
    )
    assert outcome.report["clock_flags"]["unanswered"] == 1


def test_waiting_after_answering_is_what_the_status_is_for() -> None:
    flags, outcome = _flags(
        [
            opened("2026-12-01 10:00"),
            reply("2026-12-01 10:20"),
            status("2026-12-01 10:30", "pending_customer"),
        ]
    )
    assert flags == []
    assert outcome.of("notify") == []


def test_a_pause_after_the_warning_and_before_the_breach_is_flagged() -> None:
    events = [opened("2026-12-01 10:00"), status("2026-12-01 13:30", "on_hold")]
    assert _flags(events)[0] == ["near_breach"]
    # Before the warning instant (13:00) it is an ordinary hold.
    assert _flags([opened("2026-12-01 10:00"), status("2026-12-01 12:30", "on_hold")])[0] == []


def test_the_third_pause_is_flagged_once() -> None:
    events = [opened("2026-12-01 10:00"), reply("2026-12-01 10:05")]
    for hour in (11, 12, 13, 14):
        events += [
            status(f"2026-12-01 {hour}:00", "on_hold"),
            status(f"2026-12-01 {hour}:10", "open"),
        ]
    flags, outcome = _flags(events)
    assert flags == ["repeated_pauses"]
    [action] = outcome.of("notify")
    assert action.at == us("2026-12-01 13:00")


def test_a_resolution_the_customer_reopens_within_a_day_is_premature() -> None:
    base = [opened("2026-12-01 10:00"), reply("2026-12-01 10:05")]
    soon = [
        status("2026-12-01 11:00", "resolved"),
        ev("customer.message", "2026-12-02 09:00", body="Still broken."),
    ]
    assert _flags(base + soon)[0] == ["premature"]
    later = [
        status("2026-12-01 11:00", "resolved"),
        ev("customer.message", "2026-12-02 11:30", body="New question."),
    ]
    assert _flags(base + later)[0] == []


def test_flags_are_clock_events_of_the_live_engine_too() -> None:
    policy = make_policy(WATCH)
    first = engine.apply_event(None, policy, parse_event(opened("2026-12-01 10:00")))
    paused = engine.apply_event(
        first.state, policy, parse_event(status("2026-12-01 10:30", "pending_customer"))
    )
    kinds = [(event.kind, event.metric, event.cycle) for event in paused.clock_events]
    assert ("flag.unanswered", "first_response", 1) in kinds
    assert [action.trigger for action in paused.actions] == ["clock.suspicious"]


def test_the_trigger_reads_in_english() -> None:
    policy = make_policy(WATCH)
    assert "a clock is stopped suspiciously" in rule_sentence(policy.rules[0])


THIRD_PARTY_PAUSES = DEFAULT_SLAS.replace(
    "  - name: standard\n    calendar: office\n",
    "  - name: standard\n    calendar: office\n"
    "    pause_on: [pending_customer, on_hold, pending_third_party]\n",
)


def test_waiting_on_a_third_party_while_the_customer_waits_is_flagged_when_it_pauses() -> None:
    events = [opened("2026-12-01 10:00"), status("2026-12-01 10:30", "pending_third_party")]
    outcome = drive(make_policy(WATCH, THIRD_PARTY_PAUSES), events)
    assert list(outcome.states["C1"].flags) == ["unanswered"]
    # Under an SLA that does not pause on it, the clock runs on: nothing was dodged.
    assert _flags(events)[0] == []
