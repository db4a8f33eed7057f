"""Breaches no rule waits for need no timer, yet they are counted exactly as if one fired."""

from __future__ import annotations

import io
import json
import textwrap
from typing import Any

from bench.replay_events import write

from escalon.core.policy import parse_policy
from escalon.core.replay import Replay
from tests.builders.engine import DEFAULT_SLAS, POLICY_HEAD, drive, ev, make_policy, opened

# Rules that move cases between SLAs and levels, so breaches happen under changing targets.
MOVING_RULES = """\
- name: slow answer raises priority
  trigger: sla.warning
  metric: first_response
  do:
    - set_priority: {raise: 2}
- name: refund above authority
  trigger: approval.requested
  if: {above_authority: refund}
  do:
    - escalate: {to_authority: refund}
"""
LISTENING = """\
- name: count every breach
  trigger: sla.breach
  do:
    - tag: [breached]
"""


def replay(rules: str, stream: str) -> dict[str, Any]:
    text = POLICY_HEAD + DEFAULT_SLAS + "rules:\n" + textwrap.indent(rules, "  ")
    runner = Replay(parse_policy(text))
    runner.feed(enumerate(stream.splitlines(), start=1))
    return runner.finish()


def test_unwatched_breaches_are_counted_like_watched_ones() -> None:
    buffer = io.StringIO()
    write(400, buffer, seed=3)
    stream = buffer.getvalue()
    lazy = replay(MOVING_RULES, stream)
    eager = replay(MOVING_RULES + LISTENING, stream)
    assert lazy["sla"] == eager["sla"]
    assert sum(figures["breached"] for figures in lazy["sla"].values()) > 50
    assert json.dumps(lazy["escalations_by_rule"]) == json.dumps(eager["escalations_by_rule"])


NEXT_RESPONSE_SLAS = """
slas:
  - name: enterprise
    when: {tier: [enterprise]}
    calendar: office
    targets: {next_response: 8h}
  - name: standard
    calendar: office
    targets: {next_response: 1h}
"""


def next_response_figures(events: list[dict[str, Any]], listening: bool) -> dict[str, Any]:
    rules = "- name: watch\n  trigger: sla.breach\n  do:\n    - tag: [late]\n" if listening else ""
    figures: dict[str, Any] = drive(make_policy(rules, slas=NEXT_RESPONSE_SLAS), events).report[
        "sla"
    ]["next_response"]
    return figures


def test_a_breach_before_an_sla_change_still_counts() -> None:
    events = [
        opened("2026-12-01 09:00"),
        ev("agent.message", "2026-12-01 09:10", agent="a"),
        ev("customer.message", "2026-12-01 09:20"),  # next response due 10:20 (standard)
        ev("case.updated", "2026-12-01 11:00", tier="enterprise"),  # now due 17:20
        ev("agent.message", "2026-12-01 12:00", agent="a"),
    ]
    for listening in (False, True):
        figures = next_response_figures(events, listening)
        assert (figures["met"], figures["breached"]) == (0, 1), listening


def test_an_answer_at_the_due_instant_is_in_time() -> None:
    events = [
        opened("2026-12-01 09:00"),
        ev("agent.message", "2026-12-01 09:10", agent="a"),
        ev("customer.message", "2026-12-01 09:20"),
        ev("agent.message", "2026-12-01 10:20", agent="a"),
    ]
    for listening in (False, True):
        figures = next_response_figures(events, listening)
        assert (figures["met"], figures["breached"]) == (1, 0), listening


def test_a_cycle_still_running_past_its_due_counts_as_breached() -> None:
    events = [
        opened("2026-12-01 09:00"),
        ev("agent.message", "2026-12-01 09:10", agent="a"),
        ev("customer.message", "2026-12-01 09:20"),
        ev("customer.message", "2026-12-01 15:00"),
    ]
    for listening in (False, True):
        figures = next_response_figures(events, listening)
        assert (figures["tracked"], figures["breached"]) == (1, 1), listening
