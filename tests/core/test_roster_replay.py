"""The replay with a roster: building the staffing, levels skipped, loads and the roster report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from escalon.core.calendar import Calendar
from escalon.core.engine import Action
from escalon.core.replay import Replay
from escalon.core.roster import RosterInvalid, StaffRoster, parse_roster, staff_roster
from tests.builders.engine import ev, make_policy, opened, us

OFFICE = '{mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}'

ROSTER = f"""
teams:
  - {{name: frontline, assignment: round_robin}}
  - {{name: supervisors, assignment: least_loaded}}
  - name: specialists
    assignment: on_call
    rotation:
      layers:
        - name: daily
          members: [omar, jonas]
          shift: 1d
          handoff: 2026-11-30T09:00
          timezone: Europe/Berlin
  - {{name: management}}
agents:
  - {{handle: lena, name: lena, teams: [frontline], timezone: Europe/Berlin, working_hours: {OFFICE}}}
  - {{handle: sara, name: sara, teams: [supervisors], timezone: Europe/Berlin, working_hours: {OFFICE}}}
  - {{handle: omar, name: omar, teams: [specialists], timezone: Europe/Berlin, working_hours: {OFFICE}}}
  - {{handle: jonas, name: jonas, teams: [specialists], timezone: Europe/Berlin, working_hours: {OFFICE}}}
"""

BREACH_PAGES = """
- name: fr breach
  trigger: sla.breach
  metric: first_response
  do:
    - escalate: {up: 1}
    - notify: [level_team]
"""


def roster(text: str = ROSTER) -> StaffRoster:
    return staff_roster(parse_roster(text, "roster.yaml", self_contained=True))


def one_person_roster(capacity: int = 1) -> StaffRoster:
    return roster(
        f"""
        teams: [{{name: frontline, assignment: round_robin}}]
        agents: [{{handle: lena, name: lena, teams: [frontline], capacity: {capacity}}}]
        """
    )


def replay(
    events: list[dict[str, Any]],
    staff: StaffRoster,
    rules: str = BREACH_PAGES,
    until: str | None = None,
) -> tuple[list[Action], dict[str, Any]]:
    actions: list[Action] = []
    runner = Replay(
        make_policy(rules),
        until=us(until) if until else None,
        on_action=actions.append,
        roster=staff,
    )
    runner.feed((number, json.dumps(event)) for number, event in enumerate(events, start=1))
    return actions, runner.finish()


def records(actions: list[Action], kind: str | None = None) -> list[dict[str, Any]]:
    """The decision lines, without the keys that only repeat the rule."""
    found = []
    for action in actions:
        if kind is not None and action.action != kind:
            continue
        record = action.record()
        for name in ("key", "trigger", "metric"):
            record.pop(name, None)
        found.append(record)
    return found


def assignees(actions: list[Action], case: str) -> list[str | None]:
    return [
        action.details.get("assignee")
        for action in actions
        if action.case == case and action.action == "assign"
    ]


# -- building the staffing ---------------------------------------------------------------------


def test_builder_applies_the_defaults_and_orders_members_by_handle_as_the_service_does() -> None:
    built = roster(
        """
        teams: [{name: frontline}]
        agents:
          - {handle: tom, name: tom, teams: [frontline]}
          - {handle: lena, name: lena, teams: [frontline], skills: [billing], languages: [de]}
        """
    )
    (team,) = built.teams
    assert team.strategy is None
    assert team.rotation is None
    lena, tom = team.members
    assert (lena.handle, tom.handle) == ("lena", "tom")
    assert (tom.capacity, tom.status, tom.open_cases, tom.working_hours) == (
        20,
        "available",
        0,
        None,
    )
    assert (lena.skills, lena.languages) == (frozenset({"billing"}), frozenset({"de"}))
    assert str(built.timezone("tom")) == "UTC"


def test_builder_compiles_working_hours_in_the_agents_zone() -> None:
    built = roster(
        f"""
        teams: [{{name: frontline}}]
        agents: [{{handle: lena, name: lena, teams: [frontline], timezone: Europe/Berlin, working_hours: {OFFICE}}}]
        """
    )
    hours = built.teams[0].members[0].working_hours
    assert isinstance(hours, Calendar)
    assert hours.is_open_us(us("2026-12-01 09:30"))
    assert not hours.is_open_us(us("2026-12-01 08:30"))


def test_builder_lists_every_problem_with_its_path() -> None:
    with pytest.raises(RosterInvalid) as raised:
        roster(
            """
            teams:
              - {name: frontline, assignment: random}
              - {name: frontline}
            agents:
              - {handle: lena, name: lena, teams: [frontline, nowhere], status: asleep, capacity: -1}
              - {handle: tom, name: tom, teams: [frontline], timezone: Mars/Olympus}
              - {name: nobody, teams: [frontline]}
            """
        )
    problems = {problem.field: problem.problem for problem in raised.value.problems}
    assert set(problems) == {
        "teams[0].assignment",
        "teams[1].name",
        "agents[0].teams[1]",
        "agents[0].status",
        "agents[0].capacity",
        "agents[1].timezone",
        "agents[2].handle",
    }
    assert "is not one of 'round_robin'" in problems["teams[0].assignment"]
    assert "is given twice" in problems["teams[1].name"]
    assert problems["agents[0].teams[1]"].startswith("no team 'nowhere'")


def test_builder_names_the_working_hours_interval_that_does_not_read() -> None:
    with pytest.raises(RosterInvalid) as raised:
        roster(
            """
            teams: [{name: frontline}]
            agents: [{handle: lena, name: lena, teams: [frontline], working_hours: {mon: ["09:00-25:00"]}}]
            """
        )
    assert [problem.field for problem in raised.value.problems] == [
        "agents[0].working_hours.mon[0]"
    ]


def test_a_rotation_may_only_name_agents_of_the_roster() -> None:
    with pytest.raises(RosterInvalid) as raised:
        roster(ROSTER.replace("members: [omar, jonas]", "members: [omar, ghost]"))
    assert [(problem.field, problem.problem) for problem in raised.value.problems] == [
        ("teams[2].rotation.layers[0].members[1]", "'ghost' is not an agent of the roster")
    ]


def test_rotation_problems_keep_their_field_path() -> None:
    with pytest.raises(RosterInvalid) as raised:
        roster(ROSTER.replace("shift: 1d", "shift: 3x"))
    assert [problem.field for problem in raised.value.problems] == [
        "teams[2].rotation.layers[0].shift"
    ]


# -- the replay with a roster ------------------------------------------------------------------


def test_night_breach_skips_the_absent_supervisors_to_the_on_call_specialist() -> None:
    actions, _ = replay(
        [opened("2026-12-01 02:45", priority="P1")], roster(), until="2026-12-01 03:30"
    )
    # The critical SLA's calendar is UTC: 03:00 in Berlin is written as 02:00Z.
    assert records(actions)[1:] == [
        {
            "at": "2026-12-01T02:00:00+00:00",
            "case": "C1",
            "rule": "fr breach",
            "action": "skip_level",
            "level": "supervisor",
            "team": "supervisors",
            "reason": "nobody present",
        },
        {
            "at": "2026-12-01T02:00:00+00:00",
            "case": "C1",
            "rule": "fr breach",
            "action": "escalate",
            "from_level": "frontline",
            "to_level": "specialist",
        },
        {
            "at": "2026-12-01T02:00:00+00:00",
            "case": "C1",
            "rule": "fr breach",
            "action": "assign",
            "strategy": "on_call",
            "team": "specialists",
            "assignee": "omar",
            "reason": "on call now",
        },
        {
            "at": "2026-12-01T02:00:00+00:00",
            "case": "C1",
            "rule": "fr breach",
            "action": "notify",
            "recipients": ["team:specialists"],
            "reached": {"team:specialists": ["omar"]},
        },
    ]


def test_a_case_opened_when_nobody_is_present_waits_in_the_queue() -> None:
    actions, report = replay([opened("2026-12-01 02:45")], roster())
    (intake,) = records(actions, "assign")
    assert "assignee" not in intake
    assert intake["reason"] == "nobody in the team is present now"
    assert report["roster"]["queued"] == {"cases": 1, "by_team": {"frontline": 1}}


def test_skipped_levels_are_counted_by_level() -> None:
    events = [
        opened("2026-12-01 02:45", "C1", priority="P1"),
        opened("2026-12-01 03:45", "C2", priority="P1"),
    ]
    _, report = replay(events, roster(), until="2026-12-01 05:00")
    assert report["roster"]["skipped_levels"] == {"supervisor": 2}


def test_an_escalation_counts_once_for_someone_both_assigned_and_paged() -> None:
    _, report = replay(
        [opened("2026-12-01 02:45", priority="P1")], roster(), until="2026-12-01 03:30"
    )
    people = report["roster"]["people"]
    assert people["omar"] == {"paged": 1, "escalations": 1, "assigned": 1}
    assert people["lena"] == {"paged": 0, "escalations": 0, "assigned": 0}


def test_an_escalation_assigned_without_a_page_is_carried_by_its_assignee() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("case.escalated", "2026-12-01 10:30", agent="lena", to="supervisor", reason="x"),
    ]
    _, report = replay(events, roster(), rules="")
    assert report["roster"]["people"]["sara"] == {"paged": 0, "escalations": 1, "assigned": 1}
    assert report["roster"]["people"]["lena"]["assigned"] == 1


def test_each_on_call_shift_counts_the_escalations_carried_during_it() -> None:
    events = [
        opened("2026-12-01 02:45", "C1", priority="P1"),
        opened("2026-12-01 22:45", "C2", priority="P1"),
    ]
    _, report = replay(events, roster(), until="2026-12-02 00:00")
    assert report["roster"]["shifts"] == [
        {
            "team": "specialists",
            "person": "omar",
            "source": "daily",
            "start": "2026-11-30T09:00:00+01:00",
            "end": "2026-12-01T09:00:00+01:00",
            "paged": 1,
            "escalations": 1,
        },
        {
            "team": "specialists",
            "person": "jonas",
            "source": "daily",
            "start": "2026-12-01T09:00:00+01:00",
            "end": "2026-12-02T09:00:00+01:00",
            "paged": 1,
            "escalations": 1,
        },
    ]


def test_pages_outside_a_rotation_are_counted_per_local_day() -> None:
    text = ROSTER.replace(
        f"{{handle: sara, name: sara, teams: [supervisors], timezone: Europe/Berlin, working_hours: {OFFICE}}}",
        "{handle: sara, name: sara, teams: [supervisors], timezone: America/New_York}",
    )
    events = [
        opened("2026-12-01 20:45", "C1", priority="P1"),  # 14:45 in New York
        opened("2026-12-02 03:45", "C2", priority="P1"),  # 21:45 on 1 December in New York
    ]
    _, report = replay(events, roster(text), until="2026-12-02 05:00")
    assert report["roster"]["days"] == [
        {"person": "sara", "day": "2026-12-01", "paged": 2, "escalations": 2}
    ]


def test_a_resolved_case_no_longer_counts_against_its_assignee() -> None:
    events = [
        opened("2026-12-01 10:00", "C1"),
        ev("status.changed", "2026-12-01 11:00", "C1", status="resolved"),
        opened("2026-12-01 12:00", "C2"),
    ]
    actions, _ = replay(events, one_person_roster(capacity=1), rules="")
    assert assignees(actions, "C2") == ["lena"]


def test_a_reopened_case_counts_against_its_assignee_again() -> None:
    events = [
        opened("2026-12-01 10:00", "C1"),
        ev("status.changed", "2026-12-01 11:00", "C1", status="resolved"),
        ev("status.changed", "2026-12-01 11:30", "C1", status="open"),
        opened("2026-12-01 12:00", "C2"),
    ]
    actions, _ = replay(events, one_person_roster(capacity=1), rules="")
    (waiting,) = records([a for a in actions if a.case == "C2"], "assign")
    assert "assignee" not in waiting
    assert waiting["reason"] == "everyone present is at capacity"


def test_closing_a_resolved_case_frees_its_assignee_only_once() -> None:
    events = [
        opened("2026-12-01 10:00", "C1"),
        ev("status.changed", "2026-12-01 11:00", "C1", status="resolved"),
        ev("status.changed", "2026-12-01 11:10", "C1", status="closed"),
        opened("2026-12-01 12:00", "C2"),
        opened("2026-12-01 12:30", "C3"),
    ]
    actions, _ = replay(events, one_person_roster(capacity=1), rules="")
    assert (assignees(actions, "C2"), assignees(actions, "C3")) == (["lena"], [None])


def test_a_replay_without_a_roster_has_no_roster_section() -> None:
    runner = Replay(make_policy(BREACH_PAGES))
    runner.feed([(1, json.dumps(opened("2026-12-01 10:00")))])
    assert "roster" not in runner.finish()


def test_a_replay_with_a_roster_refuses_to_be_sharded() -> None:
    with pytest.raises(ValueError, match="one process"):
        Replay(make_policy(""), roster=roster(), shard=0, shards=2)
