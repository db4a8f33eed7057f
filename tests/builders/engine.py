"""Small builders for engine tests: a base policy, events as dicts, and a driver."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from escalon.core.engine import Action, apply_event, evaluate
from escalon.core.events import parse_event
from escalon.core.organisations import Organisations
from escalon.core.policy import Policy, parse_policy
from escalon.core.replay import Replay
from escalon.core.signals import COMPLAINT, MANAGER_REQUEST, TextSignals
from escalon.core.state import CaseState, to_us

BERLIN = ZoneInfo("Europe/Berlin")

POLICY_HEAD = """\
name: engine-test
version: 1
calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon: ["09:00-17:00"]
      tue: ["09:00-17:00"]
      wed: ["09:00-17:00"]
      thu: ["09:00-17:00"]
      fri: ["09:00-17:00"]
    holidays: ["2026-12-24", "2026-12-25"]
  always: {timezone: UTC, hours: always}
priority:
  order: [P1, P2, P3, P4]
  impact: [high, low]
  urgency: [high, low]
  matrix:
    - [P1, P2]
    - [P3, P4]
  default: P3
levels:
  - {name: frontline, team: frontline, authority: {refund: 50}}
  - {name: supervisor, team: supervisors, authority: {refund: 500}}
  - {name: specialist, team: specialists, authority: {refund: 5000}}
  - {name: management, team: management, authority: {refund: unlimited}}
teams: [finance, billing]
"""

DEFAULT_SLAS = """\
slas:
  - name: critical
    when: {priority: [P1]}
    calendar: always
    targets: {first_response: 15m, next_response: 30m, periodic_update: 1h, resolution: 4h}
  - name: enterprise
    when: {tier: [enterprise]}
    calendar: office
    targets: {first_response: 1h, next_response: 2h, periodic_update: 4h, resolution: 8h}
  - name: standard
    calendar: office
    targets: {first_response: 4h, next_response: 8h, resolution: 24h}
"""


FR_BREACH = """
- name: fr breach
  trigger: sla.breach
  metric: first_response
  do:
    - escalate: {up: 1}
"""


def make_policy(rules: str = "", slas: str = DEFAULT_SLAS) -> Policy:
    """The base policy with the given SLAs and rules (YAML, as in a policy file)."""
    text = POLICY_HEAD + textwrap.dedent(slas)
    rules = textwrap.dedent(rules).strip()
    if rules:
        text += "rules:\n" + textwrap.indent(rules, "  ") + "\n"
    return parse_policy(text, "engine-test.yaml")


def at(text: str) -> str:
    """'2026-12-01 10:00' (Berlin wall time) as ISO 8601 with offset."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).isoformat()


def us(text: str) -> int:
    """'2026-12-01 10:00' (Berlin) as engine microseconds."""
    return to_us(datetime.fromisoformat(text).replace(tzinfo=BERLIN))


def opened(when: str, case: str = "C1", **fields: Any) -> dict[str, Any]:
    """A case.opened event (standard tier, email, P3 unless told otherwise)."""
    event = {
        "at": at(when),
        "type": "case.opened",
        "case": case,
        "customer": f"K-{case}",
        "tier": "standard",
        "channel": "email",
        "category": "technical",
        "subject": "help",
        "body": "It does not work.",
        "priority": "P3",
    }
    event.update(fields)
    return {key: value for key, value in event.items() if value is not None}


def ev(event_type: str, when: str, case: str = "C1", **fields: Any) -> dict[str, Any]:
    """Any other event."""
    return {"at": at(when), "type": event_type, "case": case, **fields}


class FakeAnalyzer:
    """Deterministic signals for tests: intents from marker words, 'mood=<x>' and 'lang=<xx>'."""

    def __init__(self) -> None:
        self.calls = 0

    def analyze(self, text: str) -> TextSignals:
        self.calls += 1
        intents = set()
        if "MANAGER" in text:
            intents.add(MANAGER_REQUEST)
        if "COMPLAINT" in text:
            intents.add(COMPLAINT)
        sentiment = 0.0
        language = "en"
        for word in text.split():
            if word.startswith("mood="):
                sentiment = float(word.removeprefix("mood="))
            if word.startswith("lang="):
                language = word.removeprefix("lang=")
        return TextSignals(frozenset(intents), sentiment, language=language)


@dataclass
class Outcome:
    """What a replay of some events decided."""

    actions: list[Action]
    skipped: list[tuple[int, str]]
    report: dict[str, Any]
    states: dict[str, CaseState] = field(default_factory=dict)

    def of(self, kind: str) -> list[Action]:
        """The actions of one kind."""
        return [action for action in self.actions if action.action == kind]

    def summary(self, kind: str | None = None) -> list[tuple[str, str, str, str]]:
        """(Berlin wall time, rule, action, detail) per action, for readable assertions."""
        rows = []
        for action in self.actions:
            if kind is not None and action.action != kind:
                continue
            details = action.details
            if action.action in ("escalate", "de-escalate"):
                detail = f"{details['from_level']}->{details['to_level']}"
            elif action.action == "route":
                detail = f"{details['from_team']}->{details['to_team']}"
            elif action.action == "set_priority":
                detail = f"{details['from']}->{details['to']}"
            elif action.action == "notify":
                detail = ",".join(details["recipients"])
            elif action.action == "notify_customer":
                detail = str(details["template"])
            elif action.action == "tag":
                detail = ",".join(details["tags"])
            else:
                detail = str(details.get("strategy", ""))
            when = action.at_datetime.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
            rows.append((when, action.rule, action.action, detail))
        return rows


def drive(
    policy: Policy,
    events: list[dict[str, Any]],
    until: str | None = None,
    analyzer: Any = None,
    organisations: Organisations | None = None,
) -> Outcome:
    """Replay events (dicts) through the policy, up to `until` (Berlin wall time) if given."""
    actions: list[Action] = []
    skipped: list[tuple[int, str]] = []
    runner = Replay(
        policy,
        analyzer=analyzer if analyzer is not None else FakeAnalyzer(),
        until=us(until) if until else None,
        on_action=actions.append,
        on_skip=lambda number, reason: skipped.append((number, reason)),
        organisations=organisations,
    )
    runner.feed((number, json.dumps(event)) for number, event in enumerate(events, start=1))
    report = runner.finish()
    return Outcome(actions, skipped, report, dict(runner.states))


def run_with_foresight(
    rules: str, events: list[dict[str, Any]], until: str, foresight: Any
) -> tuple[CaseState, list[Action]]:
    """Apply one case's events straight through the engine with a foresight, then evaluate up
    to `until` (Berlin wall time): the final state and every action in order."""
    policy = make_policy(rules)
    state: CaseState | None = None
    actions: list[Action] = []
    for raw in events:
        decision = apply_event(state, policy, parse_event(raw), foresight=foresight)
        state, actions = decision.state, actions + list(decision.actions)
    assert state is not None
    decision = evaluate(state, policy, us(until), foresight=foresight)
    return decision.state, actions + list(decision.actions)
