"""A dense stream for the replay benchmark: most cases escalate, and keep climbing.

Its policy answers fast and escalates on every breach; nobody acknowledges most escalations, so
they climb level after level; cases wait on the customer (their clocks pause) and resume. No rule
reads the customer's words, so the replay needs no detector: the engine's clocks and timed rules
are what this stream measures.

    python -m bench.replay_dense --cases 40000 --out /tmp/dense.jsonl
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from bench.replay_events import (
    AGENT,
    CATEGORIES,
    CHANNELS,
    OPENINGS,
    REPLIES,
    command,
    interleave,
    write_lines,
)

POLICY = """\
# The replay benchmark's dense policy: short targets, every breach escalates, and an escalation
# nobody acknowledges climbs on.
name: dense-escalations
version: 1

calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon: ["08:00-18:00"]
      tue: ["08:00-18:00"]
      wed: ["08:00-18:00"]
      thu: ["08:00-18:00"]
      fri: ["08:00-18:00"]
    holidays: ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"]
  always:
    timezone: UTC
    hours: always

priority:
  order: [P1, P2, P3, P4]
  impact: [high, medium, low]
  urgency: [high, medium, low]
  matrix:
    - [P1, P2, P3]
    - [P2, P3, P4]
    - [P3, P4, P4]
  default: P3

levels:
  - {name: frontline, team: frontline}
  - {name: senior, team: seniors}
  - {name: supervisor, team: supervisors}
  - {name: specialist, team: specialists}
  - {name: engineering, team: engineering}
  - {name: management, team: management}

teams: [finance]

slas:
  - name: critical
    when: {priority: [P1, P2]}
    calendar: always
    warn_at: 75%
    targets: {first_response: 15m, next_response: 30m, periodic_update: 45m, resolution: 4h}
  - name: standard
    calendar: office
    warn_at: 80%
    targets: {first_response: 30m, next_response: 1h, periodic_update: 1h, resolution: 6h}

rules:
  - name: first response breached
    trigger: sla.breach
    metric: first_response
    do:
      - escalate: {up: 1}
      - notify: [assignee, level_team]
      - notify_customer: escalated

  - name: next response breached
    trigger: sla.breach
    metric: next_response
    do:
      - escalate: {up: 1}
      - notify: [level_team]

  - name: no update
    trigger: sla.breach
    metric: periodic_update
    do:
      - notify: [assignee, level_team]

  - name: resolution at risk
    trigger: sla.warning
    metric: resolution
    do:
      - notify: [assignee, supervisor]

  - name: resolution breached
    trigger: sla.breach
    metric: resolution
    do:
      - escalate: {up: 1}
      - set_priority: {raise: 1}
      - notify: [level_team]

  - name: billing goes to finance
    trigger: case.opened
    if: {category: [billing, refund]}
    do:
      - route: {team: finance}

  - name: escalation not acknowledged
    trigger: escalation.unacknowledged
    after: 20m
    do:
      - escalate: {up: 1}
      - notify: [level_team]

  - name: stuck at a level
    trigger: level.timeout
    after: 3h
    do:
      - escalate: {up: 1}
"""


def case_events(
    rng: random.Random, number: int, opened_at: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    """The story of one case, five or six events long: late answers, waits, few acknowledgements."""
    case = f"D{number}"
    t = opened_at
    events: list[tuple[datetime, dict[str, Any]]] = []

    def add(event_type: str, **fields: Any) -> None:
        events.append((t, {"at": t.isoformat(), "type": event_type, "case": case, **fields}))

    def later(low_minutes: float, high_minutes: float) -> datetime:
        return t + timedelta(minutes=rng.uniform(low_minutes, high_minutes))

    opening: dict[str, Any] = {
        "customer": f"K{rng.randrange(number // 3 + 1)}",
        "tier": "enterprise" if rng.random() < 0.2 else "standard",
        "channel": rng.choice(CHANNELS),
        "category": rng.choice(CATEGORIES),
        "subject": "Support request",
        "body": rng.choice(OPENINGS),
        "impact": rng.choice(("high", "medium", "low")),
        "urgency": rng.choice(("high", "medium", "low")),
    }
    add("case.opened", **opening)
    # Most first answers come after the target: the case escalates, and climbs while nobody
    # acknowledges it.
    t = later(5, 300)
    add("agent.message", agent=f"a{rng.randrange(40)}", body=rng.choice(AGENT))
    if rng.random() < 0.35:
        t = later(2, 90)
        add("escalation.acknowledged", agent=f"s{rng.randrange(8)}")
    if rng.random() < 0.7:
        # Waiting on the customer pauses the clocks; their answer resumes them.
        t = later(1, 30)
        add("status.changed", status="pending_customer")
        t = later(20, 1500)
        add("customer.message", body=rng.choice(REPLIES))
        t = later(5, 240)
        add("agent.message", agent=f"a{rng.randrange(40)}", body=rng.choice(AGENT))
    if rng.random() < 0.3:
        t = later(10, 400)
        add("customer.message", body=rng.choice(REPLIES))
    t = later(10, 900)
    add("status.changed", status="resolved")
    return events


def generate(cases: int, seed: int = 7, days: float = 30.0) -> Iterator[str]:
    """JSON lines in time order for `cases` cases opened over `days` days."""
    return interleave(case_events, cases, seed, days)


def write(cases: int, out: IO[str], seed: int = 7, limit: int | None = None) -> int:
    """Write the stream (its first `limit` events if given); return the number of events."""
    return write_lines(generate(cases, seed), out, limit)


def main(argv: list[str] | None = None) -> None:
    """Command line: write the dense stream."""
    command(write, 40_000, __doc__.splitlines()[0] if __doc__ else None, argv)


if __name__ == "__main__":
    main()
