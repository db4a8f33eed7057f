"""`sla.at_risk`: the engine looks at the forecast at each tenth of a running clock's target and
fires a rule at the first look above its threshold, once per rule and clock cycle."""

from __future__ import annotations

import textwrap

from escalon.core import engine
from escalon.core.codec import state_from_json, state_to_json
from escalon.core.events import parse_event
from escalon.core.policy import check_text
from escalon.core.state import CaseState
from tests.builders.engine import (
    DEFAULT_SLAS,
    POLICY_HEAD,
    ev,
    make_policy,
    opened,
    run_with_foresight,
    us,
)

AT_RISK = """
- name: likely late
  trigger: sla.at_risk
  metric: first_response
  if: {breach_probability_above: 0.7}
  do:
    - notify: [supervisor]
"""


class Scripted:
    """A foresight that answers from a script of probabilities and records each question."""

    def __init__(self, *answers: float | None) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int, int]] = []

    def breach_probability(
        self, state: CaseState, metric: str, due: int, target: int, now: int
    ) -> float | None:
        self.asked.append((metric, due, now))
        return self.answers.pop(0) if self.answers else 0.0

    def answer_by(self, state: CaseState, metric: str, due: int, now: int) -> int | None:
        return None


def test_the_rule_fires_at_the_first_look_above_its_threshold_and_only_once() -> None:
    # Standard SLA: first response 4 h of office hours; looks at 10:00, 10:24, 10:48, ...
    foresight = Scripted(0.1, 0.5, 0.75, 0.9, 0.95)
    state, actions = run_with_foresight(
        AT_RISK, [opened("2026-12-01 10:00")], "2026-12-01 17:00", foresight
    )
    [notice] = [action for action in actions if action.action == "notify"]
    assert notice.at == us("2026-12-01 10:48")
    assert (notice.trigger, notice.metric) == ("sla.at_risk", "first_response")
    # Looked at 10:00, 10:24 and 10:48, then never again in this cycle.
    assert [now for _, _, now in foresight.asked] == [
        us("2026-12-01 10:00"),
        us("2026-12-01 10:24"),
        us("2026-12-01 10:48"),
    ]
    assert all(due == us("2026-12-01 14:00") for _, due, _ in foresight.asked)
    assert state.risk_looks == {"0:first_response": (1, 10)}


def test_looks_follow_business_time_and_stop_at_nine_tenths() -> None:
    foresight = Scripted()
    run_with_foresight(AT_RISK, [opened("2026-12-01 16:00")], "2026-12-03 12:00", foresight)
    looks = [now for _, _, now in foresight.asked]
    assert len(looks) == 10
    # Every 24 business minutes: three on the opening afternoon, the rest the next morning.
    assert looks[2:4] == [us("2026-12-01 16:48"), us("2026-12-02 09:12")]
    assert looks[-1] == us("2026-12-02 11:36")


def test_without_a_threshold_a_breach_more_likely_than_not_fires() -> None:
    rules = AT_RISK.replace("  if: {breach_probability_above: 0.7}\n", "")
    _, actions = run_with_foresight(
        rules, [opened("2026-12-01 10:00")], "2026-12-01 17:00", Scripted(0.5, 0.51)
    )
    [notice] = [action for action in actions if action.action == "notify"]
    assert notice.at == us("2026-12-01 10:24")


def test_a_new_cycle_is_looked_at_afresh() -> None:
    rules = AT_RISK.replace("metric: first_response", "metric: next_response")
    events = [
        opened("2026-12-01 10:00"),
        ev("agent.message", "2026-12-01 10:10", agent="ana", public=True, body="On it."),
        ev("customer.message", "2026-12-01 10:20", body="Still broken."),
        ev("agent.message", "2026-12-01 10:30", agent="ana", public=True, body="Try this."),
        ev("customer.message", "2026-12-01 10:40", body="No luck."),
    ]
    foresight = Scripted(0.9, 0.9)
    state, actions = run_with_foresight(rules, events, "2026-12-01 11:00", foresight)
    notices = [action for action in actions if action.action == "notify"]
    assert [notice.at for notice in notices] == [us("2026-12-01 10:20"), us("2026-12-01 10:40")]
    assert len({notice.key for notice in notices}) == 2
    assert state.risk_looks == {"0:next_response": (2, 10)}


def test_without_a_forecast_nothing_fires_and_nothing_breaks() -> None:
    state, actions = run_with_foresight(
        AT_RISK, [opened("2026-12-01 10:00")], "2026-12-01 17:00", None
    )
    assert [action for action in actions if action.action == "notify"] == []
    assert state.risk_looks == {"0:first_response": (1, 10)}


def test_a_policy_without_the_trigger_never_asks() -> None:
    foresight = Scripted(1.0)
    run_with_foresight("", [opened("2026-12-01 10:00")], "2026-12-01 17:00", foresight)
    assert foresight.asked == []


def test_the_looks_survive_storing_the_state() -> None:
    state, _ = run_with_foresight(
        AT_RISK, [opened("2026-12-01 10:00")], "2026-12-01 10:30", Scripted(0.1, 0.2)
    )
    assert state.risk_looks == {"0:first_response": (1, 2)}
    assert state_from_json(state_to_json(state)).risk_looks == state.risk_looks


def test_the_checker_says_where_the_condition_never_holds_and_what_it_accepts() -> None:
    wrong_trigger = AT_RISK.replace("trigger: sla.at_risk", "trigger: sla.warning")
    report = check_text(_text(wrong_trigger), "p.yaml")
    assert any(
        "breach_probability_above" in str(item) and "sla.at_risk" in str(item)
        for item in report.warnings
    )
    bad = check_text(_text(AT_RISK.replace("0.7}", "1.5}")), "p.yaml")
    assert any("breach_probability_above" in str(item) for item in bad.errors)


def _text(rules: str) -> str:
    body = textwrap.indent(textwrap.dedent(rules).strip(), "  ")
    return f"{POLICY_HEAD}{DEFAULT_SLAS}rules:\n{body}\n"


def test_a_rule_that_fired_stays_fired_when_the_case_moves_to_a_version_that_renumbers_it() -> None:
    first = make_policy(AT_RISK)
    # The new version puts another rule in front: the at-risk rule is now the second.
    second = make_policy(
        "- name: tag all\n  trigger: case.opened\n  do:\n    - tag: [seen]\n" + AT_RISK
    )
    foresight = Scripted(0.9)
    opened_event = parse_event(opened("2026-12-01 10:00"))
    state = engine.apply_event(None, first, opened_event, foresight=foresight).state
    state = engine.evaluate(state, first, us("2026-12-01 10:00"), foresight=foresight).state
    assert state.risk_looks == {"0:first_response": (1, 10)}
    moved = engine.migrate(state, first, second, us("2026-12-01 10:05"), foresight=foresight)
    assert moved.state.risk_looks == {"1:first_response": (1, 10)}
    later = engine.evaluate(moved.state, second, us("2026-12-01 13:00"), foresight=Scripted(0.99))
    assert [a for a in later.actions if a.trigger == "sla.at_risk"] == []
