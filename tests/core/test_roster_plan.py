"""The import plan of a checked roster against stored teams and agents, without a database."""

from __future__ import annotations

from escalon.core.roster import parse_roster
from escalon.core.roster.plan import plan_import

ROSTER = """
teams:
  - {name: frontline, description: First line}
  - {name: billing}
agents:
  - {handle: lena, name: Lena, teams: [frontline, billing], skills: [de, de, en]}
  - {handle: tom, name: Tom}
  - {handle: sara, name: Sara, capacity: 5}
"""


def test_new_entries_are_created_and_only_the_fields_given_are_compared() -> None:
    roster = parse_roster(ROSTER, "roster.yaml")
    plan = plan_import(
        roster,
        teams={"frontline": {"description": "First line", "rotation": None}},
        agents={
            # Tom's stored capacity differs, but the roster does not give his capacity.
            "tom": {"name": "Tom", "capacity": 3, "teams": ["frontline"]},
            "sara": {"name": "Sara", "capacity": 20, "teams": []},
        },
    )
    assert [(entry.name, outcome, changes) for entry, outcome, changes in plan.teams] == [
        ("frontline", "unchanged", {}),
        ("billing", "created", {}),
    ]
    assert [(entry.handle, outcome, changes) for entry, outcome, changes in plan.agents] == [
        ("lena", "created", {}),
        ("tom", "unchanged", {}),
        ("sara", "updated", {"capacity": 5}),
    ]


def test_memberships_and_skills_are_compared_as_sets_in_order_given() -> None:
    roster = parse_roster(ROSTER, "roster.yaml")
    plan = plan_import(
        roster,
        teams={},
        agents={"lena": {"name": "Lena", "teams": ["billing", "frontline"], "skills": ["de"]}},
    )
    entry, outcome, changes = plan.agents[0]
    assert (entry.handle, outcome) == ("lena", "updated")
    assert changes == {"skills": ["de", "en"]}


def test_a_new_team_with_a_rotation_plans_to_set_it() -> None:
    roster = parse_roster(
        """
        teams:
          - name: specialists
            rotation:
              layers:
                - {name: day, members: [omar], shift: 1d, handoff: "2026-11-30T09:00", timezone: UTC}
        agents: [{handle: omar, name: Omar, teams: [specialists]}]
        """,
        "roster.yaml",
    )
    plan = plan_import(roster, teams={}, agents={})
    _, outcome, changes = plan.teams[0]
    assert outcome == "created"
    assert set(changes) == {"rotation"}
