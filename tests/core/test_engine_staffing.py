"""With a staffing, the engine skips levels nobody is present at, assigns cases by their team's
strategy, and says whom each notification reaches at the firing instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from escalon.core import engine
from escalon.core.assignment import AWAY, OFF_SHIFT, Candidate
from escalon.core.calendar import Calendar
from escalon.core.engine import Action, Decision
from escalon.core.events import parse_event
from escalon.core.rotations import rotation_from_dict
from escalon.core.staffing import Staffing, TeamStaff
from escalon.core.state import CaseState
from tests.builders.engine import FR_BREACH, ev, make_policy, opened, us

OFFICE = Calendar.from_dict(
    {"timezone": "Europe/Berlin", "hours": {day: ["09:00-17:00"] for day in ("mon", "tue")}},
    name="office",
)
# Specialists: omar on call day and night, every week from Monday 2026-11-30.
NIGHT_ROTATION = rotation_from_dict(
    {
        "layers": [
            {
                "name": "week",
                "members": ["omar", "lena"],
                "shift": "1w",
                "handoff": "2026-11-30T09:00",
                "timezone": "Europe/Berlin",
            }
        ]
    }
)


def crew(**overrides: Any) -> Staffing:
    """Four levels: ana (frontline, round robin with ben), sara (supervisor, office hours only),
    omar and lena (specialists, on call by rotation), mia (management)."""
    teams = {
        "frontline": TeamStaff(
            "frontline", [Candidate("ana"), Candidate("ben")], strategy="round_robin"
        ),
        "supervisors": TeamStaff(
            "supervisors", [Candidate("sara", working_hours=OFFICE)], strategy="least_loaded"
        ),
        "specialists": TeamStaff(
            "specialists",
            [
                Candidate("lena", working_hours=OFFICE),
                Candidate("omar", working_hours=OFFICE),
            ],
            rotation=NIGHT_ROTATION,
            strategy="on_call",
        ),
        "management": TeamStaff("management", [Candidate("mia")]),
    }
    teams.update(overrides)
    return Staffing.of(teams.values())


def apply(state: CaseState | None, event: dict[str, Any], staffing: Staffing) -> Decision:
    return engine.apply_event(
        state, POLICY, parse_event(event), staffing=staffing, at_us=us_of(event)
    )


def us_of(event: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(event["at"]).timestamp() * 1_000_000)


def kinds(actions: tuple[Action, ...]) -> list[str]:
    return [action.action for action in actions]


POLICY = make_policy(
    FR_BREACH
    + """
- name: tell them
  trigger: sla.breach
  metric: first_response
  do:
    - notify: [level_team, on_call:specialists, supervisor]
- name: not acknowledged
  trigger: escalation.unacknowledged
  after: 30m
  do:
    - escalate: {up: 1}
""",
    slas="""
slas:
  - name: always
    calendar: always
    targets: {first_response: 1h}
""",
)


def test_a_new_case_goes_to_the_next_person_of_its_teams_round_robin() -> None:
    staffing = crew()
    first = apply(None, opened("2026-12-01 10:00", case="C1"), staffing)
    second = apply(None, opened("2026-12-01 10:01", case="C2"), staffing)
    assert (first.state.assignee, second.state.assignee) == ("ana", "ben")
    assign = first.actions[-1]
    assert assign.action == "assign"
    assert assign.rule == "intake"
    assert assign.details["strategy"] == "round_robin"


def test_without_a_staffing_nobody_is_assigned_on_opening() -> None:
    decision = engine.apply_event(None, POLICY, parse_event(opened("2026-12-01 10:00")))
    assert decision.state.assignee is None
    assert "assign" not in kinds(decision.actions)


def test_an_escalation_at_three_in_the_night_skips_the_sleeping_supervisor() -> None:
    staffing = crew()
    state = apply(None, opened("2026-12-01 02:00"), staffing).state
    decision = engine.evaluate(state, POLICY, us("2026-12-01 03:00"), staffing=staffing)
    assert kinds(decision.actions)[:3] == ["skip_level", "escalate", "assign"]
    skip, escalate, assign = decision.actions[:3]
    assert skip.details == {
        "level": "supervisor",
        "team": "supervisors",
        "reason": "nobody present",
    }
    assert (escalate.details["from_level"], escalate.details["to_level"]) == (
        "frontline",
        "specialist",
    )
    assert assign.details["assignee"] == "omar"
    assert assign.details["from"] == "ana"
    assert decision.state.assignee == "omar"
    assert decision.state.team == "specialists"


def test_in_office_hours_the_supervisor_gets_the_escalation() -> None:
    staffing = crew()
    state = apply(None, opened("2026-12-01 10:00"), staffing).state
    decision = engine.evaluate(state, POLICY, us("2026-12-01 11:00"), staffing=staffing)
    assert "skip_level" not in kinds(decision.actions)
    assert decision.state.team == "supervisors"
    assert decision.state.assignee == "sara"


def test_the_top_level_is_never_skipped_even_with_nobody_present() -> None:
    staffing = crew(management=TeamStaff("management", [Candidate("mia", status=AWAY)]))
    state = apply(None, opened("2026-12-01 10:00"), staffing).state
    moved = apply(
        state, ev("case.escalated", "2026-12-01 10:05", agent="a", to="specialist"), staffing
    )
    decision = engine.evaluate(moved.state, POLICY, us("2026-12-01 10:35"), staffing=staffing)
    assert decision.state.level == 3
    assert "skip_level" not in kinds(decision.actions)


def test_a_team_the_roster_has_nobody_in_is_not_skipped() -> None:
    staffing = crew(supervisors=TeamStaff("supervisors", []))
    state = apply(None, opened("2026-12-01 02:00"), staffing).state
    decision = engine.evaluate(state, POLICY, us("2026-12-01 03:00"), staffing=staffing)
    assert decision.state.team == "supervisors"
    assert "skip_level" not in kinds(decision.actions)


def test_notifications_name_the_people_each_recipient_reaches_at_the_firing_instant() -> None:
    staffing = crew()
    state = apply(None, opened("2026-12-01 02:00"), staffing).state
    decision = engine.evaluate(state, POLICY, us("2026-12-01 03:00"), staffing=staffing)
    notify = next(action for action in decision.actions if action.action == "notify")
    assert notify.details["recipients"] == [
        "team:specialists",
        "on_call:specialists",
        "team:management",
    ]
    assert notify.details["reached"] == {
        "team:specialists": ["omar"],
        "on_call:specialists": ["omar"],
        "team:management": ["mia"],
    }


def test_a_team_without_a_strategy_keeps_an_escalated_case_in_its_queue() -> None:
    staffing = crew(supervisors=TeamStaff("supervisors", [Candidate("sara")]))
    state = apply(None, opened("2026-12-01 10:00"), staffing).state
    decision = engine.evaluate(state, POLICY, us("2026-12-01 11:00"), staffing=staffing)
    assign = next(action for action in decision.actions if action.action == "assign")
    assert assign.details["strategy"] == "queue"
    assert assign.details["from"] == "ana"
    assert decision.state.assignee is None


def test_when_nobody_in_the_team_fits_the_case_waits_with_the_reason() -> None:
    staffing = crew(
        frontline=TeamStaff(
            "frontline", [Candidate("ana", status=OFF_SHIFT)], strategy="least_loaded"
        )
    )
    decision = apply(None, opened("2026-12-01 10:00"), staffing)
    assert decision.state.assignee is None
    assert decision.actions[-1].details["reason"] == "nobody in the team is present now"


def test_choices_count_against_capacity_within_one_snapshot() -> None:
    staffing = crew(
        frontline=TeamStaff(
            "frontline",
            [Candidate("ana", capacity=1), Candidate("ben", capacity=1)],
            strategy="least_loaded",
        )
    )
    assignees = [
        apply(None, opened("2026-12-01 10:00", case=f"C{n}"), staffing).state.assignee
        for n in range(3)
    ]
    assert assignees == ["ana", "ben", None]


def test_an_unacknowledged_escalation_climbs_to_the_on_call_specialist() -> None:
    staffing = crew()
    state = apply(None, opened("2026-12-01 10:00"), staffing).state
    at_supervisor = engine.evaluate(state, POLICY, us("2026-12-01 11:00"), staffing=staffing)
    assert at_supervisor.state.team == "supervisors"
    later = engine.evaluate(at_supervisor.state, POLICY, us("2026-12-01 11:30"), staffing=staffing)
    assert later.state.level == 2
    assert later.state.assignee == "omar"


def test_an_agent_limit_above_the_level_keeps_a_refund_from_escalating() -> None:
    policy = make_policy("""
        - name: refund above authority
          trigger: approval.requested
          if: {above_authority: refund}
          do:
            - escalate: {to_authority: refund}
        """)
    state = engine.apply_event(None, policy, parse_event(opened("2026-12-01 10:00"))).state
    trusted = ev("approval.requested", "2026-12-01 10:10", agent="ana", kind="refund", amount=150)
    kept = engine.apply_event(state, policy, parse_event({**trusted, "authority": 200}))
    assert kept.state.level == 0
    raised = engine.apply_event(state, policy, parse_event(trusted))
    assert raised.state.level == 1
