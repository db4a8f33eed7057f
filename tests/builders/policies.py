"""Policy texts the tests start from: a small valid policy and the pieces added to it."""

from __future__ import annotations

import textwrap

# A small valid policy whose last section is `rules:`, so a test appends the rules it needs.
BASE = """\
name: test
version: 3
calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon: ["09:00-17:00"]
      tue: ["09:00-17:00"]
  always: {timezone: UTC, hours: always}
priority:
  order: [P1, P2, P3]
  impact: [high, low]
  urgency: [high, low]
  matrix:
    - [P1, P2]
    - [P2, P3]
  default: P3
levels:
  - {name: frontline, team: frontline, authority: {refund: 50}}
  - {name: supervisor, team: supervisors, authority: {refund: unlimited}}
teams: [finance]
slas:
  - name: urgent
    when: {priority: [P1]}
    calendar: always
    targets: {first_response: 15m, resolution: 4h}
  - name: standard
    calendar: office
    targets: {first_response: 4h}
rules:
  - name: breach
    trigger: sla.breach
    metric: first_response
    do:
      - escalate: {up: 1}
"""

# Three categories with keywords, to append to a policy.
CATEGORIES = """\
categories:
  billing:
    keywords: [invoice, charged twice, refund]
  delivery:
    keywords: [parcel, tracking number]
  other: {}
"""


def with_rule(rule: str) -> str:
    """BASE with one more rule (written flush left, indented under `rules:`)."""
    return BASE + textwrap.indent(textwrap.dedent(rule), "  ")
