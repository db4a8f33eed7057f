"""Rows that record what a change did to a case: audit entries, escalation records, clock
events and messages. Pure functions of a change; `service.write_changes` inserts them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from escalon.core.engine import Action
from escalon.core.ola import METRIC_PREFIX as OLA_PREFIX

if TYPE_CHECKING:
    from escalon.cases.service import Change

ENGINE_ACTOR = "escalon"
MOVES = {"escalate": "hierarchical", "de-escalate": "hierarchical", "route": "functional"}
# Clock events worth an audit entry; the others (started, met...) are in clock_events only.
AUDITED_CLOCK_EVENTS = frozenset({"warning", "breach"})
# A clock stopped suspiciously (`core.integrity`): a clock event `flag.REASON`, audited as this.
FLAG_PREFIX = "flag."
SUSPICIOUS = "clock.suspicious"


def actor_of(change: Change, action: Action) -> str:
    """Who did an action: the person for a manual one, else the engine."""
    return change.actor if action.rule == "manual" else ENGINE_ACTOR


def audit_rows(change: Change, now: int) -> list[dict[str, Any]]:
    """The audit trail of a change: its cause's entries, then each action, then each warning
    or breach of a clock."""
    case_id = change.case.id
    rows = [
        {
            "case_id": case_id,
            "at": entry["at"],
            "recorded_at": now,
            "actor": change.actor,
            "kind": entry["kind"],
            "rule": None,
            "key": entry.get("key"),
            "data": entry.get("data"),
        }
        for entry in change.entries
    ]
    rows.extend(
        {
            "case_id": case_id,
            "at": action.at,
            "recorded_at": now,
            "actor": actor_of(change, action),
            "kind": action.action,
            "rule": action.rule,
            "key": action.key,
            "data": {"trigger": action.trigger, "metric": action.metric, **action.details},
        }
        for action in change.actions
    )
    rows.extend(
        {
            "case_id": case_id,
            "at": event.at,
            "recorded_at": now,
            "actor": ENGINE_ACTOR,
            # An OLA's warning or breach is the team's (`core.ola`), not the SLA's.
            "kind": f"{'ola' if event.metric.startswith(OLA_PREFIX) else 'sla'}.{event.kind}",
            "rule": None,
            # An OLA's key ends as its rules' firing keys do (`ola#N:breach`), which places
            # their effects after it on the timeline.
            "key": f"{event.case}|ola#{event.cycle}:{event.kind}"
            if event.metric.startswith(OLA_PREFIX)
            else f"{event.case}|{event.metric}#{event.cycle}:{event.kind}",
            "data": {"metric": event.metric, "cycle": event.cycle},
        }
        for event in change.clock_events
        if event.kind in AUDITED_CLOCK_EVENTS
    )
    rows.extend(
        {
            "case_id": case_id,
            "at": event.at,
            "recorded_at": now,
            "actor": change.actor,
            "kind": SUSPICIOUS,
            "rule": None,
            "key": f"{event.case}|{event.kind}@{event.at}",
            "data": {
                "reason": event.kind.removeprefix(FLAG_PREFIX),
                "metric": event.metric,
                "cycle": event.cycle,
                # Whose case it was and in which team, for the per-person and per-team counts.
                "holder": change.state.assignee,
                "team": change.state.team,
            },
        }
        for event in change.clock_events
        if event.kind.startswith(FLAG_PREFIX)
    )
    return rows


def escalation_rows(change: Change, now: int) -> list[dict[str, Any]]:
    """An escalation record for each move of the case (up, down or across), with whose case
    it was at that moment (an assignment among the actions changes it)."""
    rows = []
    holder = None if change.new else change.case.assignee
    for action in change.actions:
        if action.action == "assign":
            holder = action.details.get("assignee")
            continue
        kind = MOVES.get(action.action)
        if kind is None:
            continue
        details = action.details
        rows.append(
            {
                "case_id": change.case.id,
                "firing_key": action.key,
                "kind": kind,
                "action": action.action,
                "from_level": details.get("from_level"),
                "to_level": details.get("to_level"),
                "from_team": details.get("from_team"),
                "to_team": details.get("to_team"),
                "rule": action.rule,
                "trigger": action.trigger,
                "metric": action.metric,
                "reason": details.get("reason") or None,
                "actor": actor_of(change, action),
                "holder": holder,
                "at": action.at,
                "recorded_at": now,
            }
        )
    return rows


def clock_rows(change: Change) -> list[dict[str, Any]]:
    """The clock events of a change, but a cycle's start (in the case's state and messages)."""
    return [
        {
            "case_id": change.case.id,
            "metric": event.metric,
            "cycle": event.cycle,
            "kind": event.kind,
            "at": event.at,
        }
        for event in change.clock_events
        if event.kind != "started"
    ]


def message_rows(change: Change) -> list[dict[str, Any]]:
    """The messages a change adds to its case."""
    return [{"case_id": change.case.id, **message} for message in change.messages]
