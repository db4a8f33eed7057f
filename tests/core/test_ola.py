"""OLA clocks: a team's internal target, its warning and breach, once per landing."""

from __future__ import annotations

from escalon.core import engine
from escalon.core.events import parse_event
from escalon.core.ola import ola_view
from escalon.core.policy import Policy, PolicyInvalid, parse_policy
from tests.builders.engine import DEFAULT_SLAS, POLICY_HEAD, drive, ev, make_policy, opened, us

OLA = """\
ola:
  specialists: {act_within: 2h, warning: 50%}
"""
THIRD_PARTY_PAUSES = DEFAULT_SLAS.replace(
    "  - name: standard\n    calendar: office\n",
    "  - name: standard\n    calendar: always\n    pause_on: [pending_customer, pending_third_party]\n",
)
OLA_RULES = """
- name: specialists slow
  trigger: ola.warning
  if: {team: [specialists]}
  do:
    - notify: [supervisor]
- name: specialists missed
  trigger: ola.breach
  do:
    - tag: [ola-missed]
- name: resolution breach
  trigger: sla.breach
  metric: resolution
  do:
    - tag: [late]
"""


def _policy(slas: str = DEFAULT_SLAS, rules: str = OLA_RULES) -> Policy:
    return make_policy(rules, slas + OLA)


def _to_specialists(when: str) -> dict[str, object]:
    return ev("case.escalated", when, agent="lead", to="specialist")


def test_ola_warns_and_breaches_once_at_its_instants() -> None:
    outcome = drive(
        _policy(), [opened("2026-12-01 10:00"), _to_specialists("2026-12-01 10:30")],
        until="2026-12-01 16:00",
    )  # fmt: skip
    tagged = [(row[0], row[1]) for row in outcome.summary() if row[2] in ("notify", "tag")]
    assert tagged == [
        ("2026-12-01 11:30", "specialists slow"),
        ("2026-12-01 12:30", "specialists missed"),
    ]
    keys = [action.key for action in outcome.actions if action.trigger.startswith("ola.")]
    assert keys == [
        "C1|specialists slow|ola.warning|ola#1:warning|0",
        "C1|specialists missed|ola.breach|ola#1:breach|0",
    ]
    state = outcome.states["C1"]
    assert state.ola is not None
    assert state.ola.breached_at == us("2026-12-01 12:30")


def test_an_agent_message_in_time_meets_the_ola() -> None:
    events = [
        opened("2026-12-01 10:00"),
        _to_specialists("2026-12-01 10:30"),
        ev("agent.message", "2026-12-01 11:00", agent="spec", public=False, body="looking"),
    ]
    outcome = drive(_policy(), events, until="2026-12-02 16:00")
    assert [a for a in outcome.actions if a.trigger.startswith("ola.")] == []
    state = outcome.states["C1"]
    assert state.ola is not None
    assert state.ola.outcome == "met"


def test_each_landing_starts_a_new_cycle_with_its_own_keys() -> None:
    events = [
        opened("2026-12-01 10:00"),
        _to_specialists("2026-12-01 10:30"),
        ev("case.escalated", "2026-12-01 13:00", agent="lead", to="frontline"),
        _to_specialists("2026-12-01 14:00"),
    ]
    outcome = drive(_policy(), events, until="2026-12-01 18:00")
    keys = [a.key.split("|")[3] for a in outcome.actions if a.trigger == "ola.breach"]
    assert keys == ["ola#1:breach", "ola#2:breach"]


def test_waiting_for_a_third_party_pauses_the_sla_but_not_the_ola() -> None:
    events = [
        opened("2026-12-01 10:00"),
        _to_specialists("2026-12-01 10:30"),
        ev("status.changed", "2026-12-01 10:45", status="pending_third_party"),
    ]
    outcome = drive(_policy(THIRD_PARTY_PAUSES), events, until="2026-12-03 12:00")
    triggers = [a.trigger for a in outcome.actions]
    assert "ola.breach" in triggers
    assert "sla.breach" not in triggers  # the 24 h resolution clock stood still from 10:45
    state = outcome.states["C1"]
    assert state.clocks["resolution"].breached_at is None


def test_without_the_pause_listed_third_party_time_counts_for_the_sla() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("status.changed", "2026-12-01 10:45", status="pending_third_party"),
    ]
    slas = THIRD_PARTY_PAUSES.replace("pause_on: [pending_customer, pending_third_party]", "")
    outcome = drive(_policy(slas), events, until="2026-12-03 12:00")
    assert [a.trigger for a in outcome.actions] == ["sla.breach"]


def test_waiting_for_the_customer_pauses_the_ola() -> None:
    events = [
        opened("2026-12-01 10:00"),
        _to_specialists("2026-12-01 10:30"),
        ev("status.changed", "2026-12-01 11:00", status="pending_customer"),
        ev("status.changed", "2026-12-01 15:00", status="open"),
    ]
    outcome = drive(_policy(), events, until="2026-12-01 18:00")
    breaches = [row[0] for row in outcome.summary() if row[1] == "specialists missed"]
    # 30 minutes before the pause, 90 more after it.
    assert breaches == ["2026-12-01 16:30"]


def test_a_breach_no_rule_waits_for_is_settled_when_the_team_acts() -> None:
    policy = _policy(rules="")
    opening = engine.apply_event(None, policy, parse_event(opened("2026-12-01 10:00")))
    escalated = engine.apply_event(
        opening.state, policy, parse_event(_to_specialists("2026-12-01 10:30"))
    )
    assert escalated.next_check_at != us("2026-12-01 12:30")  # no timer for an unheard OLA
    answered = engine.apply_event(
        escalated.state,
        policy,
        parse_event(ev("agent.message", "2026-12-01 13:00", agent="spec", body="done")),
    )
    kinds = [(e.metric, e.kind, e.at) for e in answered.clock_events if e.metric.startswith("ola")]
    assert kinds == [
        ("ola:specialists", "breach", us("2026-12-01 12:30")),
        ("ola:specialists", "breached", us("2026-12-01 13:00")),
    ]


def test_the_ola_view_shows_the_running_deadline() -> None:
    policy = _policy()
    opening = engine.apply_event(None, policy, parse_event(opened("2026-12-01 10:00")))
    state = engine.apply_event(
        opening.state, policy, parse_event(_to_specialists("2026-12-01 10:30"))
    ).state
    view = ola_view(policy.ola, state, us("2026-12-01 11:00"))
    assert view is not None
    assert (view.team, view.running, view.breached) == ("specialists", True, False)
    assert view.due_at == us("2026-12-01 12:30")
    assert view.counted == 30 * 60 * 1_000_000


def test_a_policy_without_ola_keeps_its_fingerprint_and_starts_no_ola() -> None:
    plain = make_policy(OLA_RULES)
    with_ola = _policy()
    assert plain.fingerprint != with_ola.fingerprint
    assert make_policy("").fingerprint == make_policy("").fingerprint
    outcome = drive(
        plain, [opened("2026-12-01 10:00"), _to_specialists("2026-12-01 10:30")],
        until="2026-12-02 16:00",
    )  # fmt: skip
    assert outcome.states["C1"].ola is None
    assert not [a for a in outcome.actions if a.trigger.startswith("ola.")]


def test_an_ola_for_an_unknown_team_or_pausing_on_a_third_party_is_an_error() -> None:
    text = (
        POLICY_HEAD
        + DEFAULT_SLAS
        + (
            "ola:\n  specalists: {act_within: 2h}\n"
            "  finance: {act_within: 1h, pause_on: [pending_third_party], calendar: nowhere}\n"
        )
    )
    try:
        parse_policy(text, "ola.yaml")
    except PolicyInvalid as error:
        said = str(error)
    else:
        raise AssertionError("the policy was accepted")
    assert "unknown team 'specalists'" in said
    assert "pending_third_party" in said


def test_the_replay_report_counts_ola_cycles_per_team_only_for_a_policy_with_olas() -> None:
    events = [  # in time order, as a replay reads them
        opened("2026-12-01 10:00", "C1"),
        opened("2026-12-01 10:00", "C2"),
        opened("2026-12-01 10:00", "C3"),
        ev("case.escalated", "2026-12-01 10:10", "C2", agent="lead", to="specialist"),
        _to_specialists("2026-12-01 10:30"),
        ev("agent.message", "2026-12-01 11:00", "C1", agent="spec", body="on it"),
        ev("case.escalated", "2026-12-01 11:30", "C3", agent="lead", to="specialist"),
    ]
    report = drive(_policy(rules=""), events, until="2026-12-01 13:00").report
    # C1 met, C2 breached at 12:10 while still running, C3 still within its two hours.
    assert report["ola"] == {
        "specialists": {"tracked": 3, "met": 1, "breached": 1, "compliance": 0.5}
    }
    assert "ola" not in drive(make_policy(""), events, until="2026-12-01 13:00").report


def test_a_case_moved_on_the_instant_it_landed_neither_meets_nor_breaches_that_ola() -> None:
    rules = """
        - name: straight to finance
          trigger: case.opened
          do:
            - route: {team: finance}
        """
    slas = DEFAULT_SLAS + "ola:\n  frontline: {act_within: 1h}\n  finance: {act_within: 1h}\n"
    outcome = drive(
        make_policy(rules, slas), [opened("2026-12-01 10:00")], until="2026-12-01 10:30"
    )
    state = outcome.states["C1"]
    assert state.ola_tallies["frontline"].ended == 1
    assert state.ola_tallies["frontline"].met == 0
    assert state.ola is not None
    assert (state.ola.metric, state.ola.running) == ("finance", True)
