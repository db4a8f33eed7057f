"""The replay forecasts breaches from its own past, and a model fitted on an earlier window is
judged on a later one against the baselines."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from escalon.core.policy import parse_policy
from escalon.core.replay import Replay
from escalon.core.replay.foresight import Look, ReplayForesight
from escalon.core.state import to_us
from escalon.forecast.breach_training import (
    TooLittleHistory,
    fit,
    label,
    looking_policy,
    train_and_judge,
)
from escalon.forecast.simulation import TeamModel, as_lines, policy_text, simulate


def _replay(weeks: int, model: TeamModel | None = None) -> tuple[list[Look], Counter[str]]:
    policy = parse_policy(policy_text(), "sim.yaml")
    looks: list[Look] = []
    fired: Counter[str] = Counter()
    foresight = ReplayForesight(policy, on_look=looks.append)
    replay = Replay(
        policy, foresight=foresight, on_action=lambda action: fired.update([action.trigger])
    )
    replay.feed(enumerate(as_lines(simulate(weeks=weeks, model=model)), start=1))
    replay.finish()
    return looks, fired


def test_nothing_is_forecast_before_a_whole_week_of_history() -> None:
    looks, fired = _replay(3)
    first = min(look.at for look in looks)
    start = to_us(datetime.fromisoformat(simulate(weeks=3)[0]["at"]))
    assert first >= start + 7 * 24 * 3600 * 1_000_000
    assert fired["sla.at_risk"] > 0


def test_a_short_handed_week_raises_the_forecast() -> None:
    """The same arrivals with one person fewer on weekdays: the looks see longer queues."""
    usual, _ = _replay(3)
    fewer = TeamModel(roster=tuple(max(0, n - 1) if n == 3 else n for n in TeamModel().roster))
    short, _ = _replay(3, fewer)
    assert _mean(short) > _mean(usual) + 0.05


def _mean(looks: list[Look]) -> float:
    return sum(look.probability for look in looks) / len(looks)


def test_a_forecast_replay_runs_in_one_process() -> None:
    policy = parse_policy(policy_text(), "sim.yaml")
    with pytest.raises(ValueError, match="one process"):
        Replay(policy, foresight=ReplayForesight(policy), shards=2)


def test_the_fitted_model_beats_both_baselines_on_the_later_window() -> None:
    lines = list(as_lines(simulate(weeks=5)))
    model, report = train_and_judge(policy_text(), lines)
    methods = report["methods"]
    for baseline in ("priority_alone", "fixed_warning_75"):
        assert methods["model"]["auc"] > methods[baseline]["auc"]
        assert methods["model"]["brier"] < methods[baseline]["brier"]
    assert sum(row["count"] for row in report["reliability"]) == report["looks"]
    assert model.trained["evaluation"]["methods"] == methods
    # Calibrated: the mean forecast is close to the share that breached.
    assert (
        abs(
            sum(row["forecast"] * row["count"] for row in report["reliability"]) / report["looks"]
            - report["breached"] / report["looks"]
        )
        < 0.05
    )


def test_every_labelled_look_comes_from_a_cycle_that_ended_or_breached() -> None:
    policy = looking_policy(policy_text())
    labelled = label(policy, list(as_lines(simulate(weeks=2))))
    pairs = labelled.pairs()
    assert pairs
    assert len(pairs) <= len(labelled.looks)
    assert {breached for _, breached in pairs} == {True, False}


def test_too_little_history_is_said_plainly() -> None:
    lines = list(as_lines(simulate(weeks=1)))
    with pytest.raises(TooLittleHistory, match="looks"):
        train_and_judge(policy_text(), lines)
    with pytest.raises(TooLittleHistory):
        fit([])
