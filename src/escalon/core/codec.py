"""A case's engine state as compact JSON, so the service can keep it in one database column.

Only what the engine decides from is written; caches of clock arithmetic are rebuilt on demand.
The format carries a version number so a stored state can be read by later releases.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_json

from escalon.core.state import CaseState, ClockTally, Cycle, new_tuple

FORMAT = 1


class StateFormatError(ValueError):
    """A stored state that this release cannot read."""


def state_to_data(state: CaseState) -> dict[str, Any]:
    """The state as plain JSON-ready data."""
    return {
        "v": FORMAT,
        "case": state.case,
        "policy": state.policy,
        "customer": state.customer,
        "opened_at": state.opened_at,
        "priority": state.priority,
        "team": state.team,
        "tier": state.tier,
        "channel": state.channel,
        "category": state.category,
        "level": state.level,
        "status": state.status,
        "updated_at": state.updated_at,
        "status_log": state.status_log,
        "sla": state.sla,
        "sla_selected_at": state.sla_selected_at,
        "clocks": list(state.clocks.values()),
        "tallies": state.tallies,
        "level_entries": state.level_entries,
        "level_entered_at": state.level_entered_at,
        "escalations": state.escalations,
        "last_escalation_at": state.last_escalation_at,
        "awaiting_ack": state.awaiting_ack,
        "acknowledged_by": state.acknowledged_by,
        "acknowledged_at": state.acknowledged_at,
        # JSON keys are strings: rule indices are written as such and read back as numbers.
        "rule_marks": {str(index): number for index, number in state.rule_marks.items()},
        "reopened": state.reopened,
        "events": state.events,
        "tags": state.tags,
        "assignee": state.assignee,
        "approval_kind": state.approval_kind,
        "approval_amount": state.approval_amount,
        "survey_score": state.survey_score,
        "resolved_at": state.resolved_at,
        "resolution_business_us": state.resolution_business_us,
        "next_check_at": state.next_check_at,
        "next_check_known": state.next_check_known,
    }


def state_to_json(state: CaseState) -> str:
    """The state as one line of JSON."""
    return to_json(state_to_data(state)).decode()


def state_from_json(text: str | bytes) -> CaseState:
    """Read a state written by `state_to_json`; raise StateFormatError when it cannot be read."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise StateFormatError(f"the stored case state is not JSON: {error}") from None
    return state_from_data(data)


def state_from_data(data: Any) -> CaseState:
    """Build a state from `state_to_data`'s output; raise StateFormatError when it cannot."""
    if not isinstance(data, dict) or data.get("v") != FORMAT:
        version = data.get("v") if isinstance(data, dict) else None
        raise StateFormatError(
            f"unknown case state format {version!r} (this release reads {FORMAT})"
        )
    try:
        return CaseState(
            case=data["case"],
            policy=data["policy"],
            customer=data["customer"],
            opened_at=data["opened_at"],
            priority=data["priority"],
            team=data["team"],
            tier=data["tier"],
            channel=data["channel"],
            category=data["category"],
            level=data["level"],
            status=data["status"],
            updated_at=data["updated_at"],
            status_log=tuple((at, status) for at, status in data["status_log"]),
            sla=data["sla"],
            sla_selected_at=data["sla_selected_at"],
            clocks={cycle[0]: new_tuple(Cycle, cycle) for cycle in data["clocks"]},
            tallies={
                metric: new_tuple(ClockTally, counts) for metric, counts in data["tallies"].items()
            },
            level_entries=data["level_entries"],
            level_entered_at=data["level_entered_at"],
            escalations=data["escalations"],
            last_escalation_at=data["last_escalation_at"],
            awaiting_ack=data["awaiting_ack"],
            acknowledged_by=data["acknowledged_by"],
            acknowledged_at=data["acknowledged_at"],
            rule_marks={int(index): number for index, number in data["rule_marks"].items()},
            reopened=data["reopened"],
            events=data["events"],
            tags=tuple(data["tags"]),
            assignee=data["assignee"],
            approval_kind=data["approval_kind"],
            approval_amount=data["approval_amount"],
            survey_score=data["survey_score"],
            resolved_at=data["resolved_at"],
            resolution_business_us=data["resolution_business_us"],
            next_check_at=data["next_check_at"],
            next_check_known=data["next_check_known"],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StateFormatError(f"the stored case state is incomplete: {error!r}") from None
