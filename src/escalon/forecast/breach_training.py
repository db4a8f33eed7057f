"""Fitting the breach model on a history, and judging it on a later window.

The history is replayed under the policy with the replay's forecast (`ReplayForesight`), which
records every look the engine takes at a running clock with the features it saw; each look is
labelled with how its clock cycle ended. Looks before the split instant teach a logistic
regression (scikit-learn, imported only here); looks after it judge the model against the two
baselines the issue names, in the same run: "priority alone" (each priority's breach rate in the
earlier window) and "a fixed warning at 75 %" (the earlier window's breach rate for looks past
and before three quarters of the target). Both baselines are given calibrated probabilities, so
the Brier scores compare like with like.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from escalon.core.forecast import judging
from escalon.core.forecast.breach import BreachModel
from escalon.core.forecast.pace import MIN_ANSWERS
from escalon.core.policy import Policy, parse_policy
from escalon.core.replay import Replay
from escalon.core.replay.foresight import Look, ReplayForesight

# The rule the trainer adds so the engine looks at every running clock (it never acts: no
# forecast is above it but a clock already overdue, whose looks are over anyway).
_LOOK_RULE = {
    "name": "forecast look (training)",
    "trigger": "sla.at_risk",
    "if": {"breach_probability_above": 0.99999},
    "do": [{"tag": ["forecast-look"]}],
}
# Fewer labelled looks than this in either window and the figures would be noise.
MIN_LOOKS = 50
WARNING_SHARE = 0.75


class TooLittleHistory(ValueError):
    """Not enough labelled looks to fit or to judge a model."""


@dataclass(slots=True)
class Labelled:
    """The looks of a replayed history with how each clock cycle ended."""

    looks: list[Look] = field(default_factory=list)
    breached: dict[tuple[str, str, int], bool] = field(default_factory=dict)

    def pairs(self) -> list[tuple[Look, bool]]:
        """Each look whose cycle's end is known, with whether it breached."""
        known = self.breached
        return [
            (look, known[key])
            for look in self.looks
            if (key := (look.case, look.metric, look.cycle)) in known
        ]


class _LabellingForesight(ReplayForesight):
    """The replay's forecast, also noting how every cycle ended."""

    def __init__(self, policy: Policy, labelled: Labelled) -> None:
        super().__init__(policy, on_look=labelled.looks.append)
        self.labelled = labelled

    def follow(self, decision: Any) -> None:
        super().follow(decision)
        ended = self.labelled.breached
        for event in decision.clock_events:
            key = (event.case, event.metric, event.cycle)
            if event.kind in ("breach", "breached"):
                ended[key] = True
            elif event.kind in ("met", "ended"):
                ended.setdefault(key, False)


def looking_policy(text: str, source: str = "<policy>") -> Policy:
    """The policy with a rule that makes the engine look at every running clock."""
    document = yaml.safe_load(text)
    rules = list(document.get("rules") or [])
    rules.append(_LOOK_RULE)
    document["rules"] = rules
    return parse_policy(yaml.safe_dump(document, sort_keys=False), source)


def label(policy: Policy, lines: Iterable[str]) -> Labelled:
    """Replay event lines under `policy` (from `looking_policy`) and label the looks."""
    labelled = Labelled()
    replay = Replay(policy, foresight=_LabellingForesight(policy, labelled))
    replay.feed(enumerate(lines, start=1))
    replay.finish()
    return labelled


def fit(pairs: Sequence[tuple[Look, bool]], *, c: float = 1.0) -> BreachModel:
    """A logistic regression on the looks' features, as a `BreachModel` of plain numbers."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    outcomes = [breached for _, breached in pairs]
    if len(pairs) < MIN_LOOKS or len(set(outcomes)) < 2:
        raise TooLittleHistory(
            f"{len(pairs)} labelled looks ({sum(outcomes)} breached): at least {MIN_LOOKS} with "
            "both outcomes are needed to fit a breach model"
        )
    vectorizer = DictVectorizer(sparse=False)
    matrix = vectorizer.fit_transform([dict(look.features) for look, _ in pairs])
    # Scaled to unit spread for the fit; the weights are then put back on the raw features.
    means = matrix.mean(axis=0)
    spreads = matrix.std(axis=0)
    spreads[spreads == 0] = 1.0
    regression = LogisticRegression(C=c, max_iter=2000)
    regression.fit((matrix - means) / spreads, outcomes)
    scaled = regression.coef_[0] / spreads
    intercept = float(regression.intercept_[0] - (scaled * means).sum())
    names = vectorizer.get_feature_names_out()
    weights = {str(name): float(weight) for name, weight in zip(names, scaled, strict=True)}
    trained = {"looks": len(pairs), "breached": sum(outcomes), "c": c}
    return BreachModel(intercept, weights, trained)


def _rate(outcomes: Sequence[bool]) -> float:
    return (sum(outcomes) + 1) / (len(outcomes) + 2)  # smoothed: an empty group is not certain


def evaluate(
    model: BreachModel, earlier: Sequence[tuple[Look, bool]], later: Sequence[tuple[Look, bool]]
) -> dict[str, Any]:
    """The model, the queue's estimate alone and the two baselines, judged on the later looks."""
    if len(later) < MIN_LOOKS:
        raise TooLittleHistory(
            f"{len(later)} labelled looks in the later window (at least {MIN_LOOKS})"
        )
    by_priority: dict[str, list[bool]] = {}
    for look, breached in earlier:
        by_priority.setdefault(look.priority, []).append(breached)
    everyone = _rate([breached for _, breached in earlier])
    priority_rates = {name: _rate(outcomes) for name, outcomes in by_priority.items()}
    warned = _rate([b for look, b in earlier if look.share_used >= WARNING_SHARE])
    unwarned = _rate([b for look, b in earlier if look.share_used < WARNING_SHARE])
    outcomes = [breached for _, breached in later]
    forecasts = {
        "model": [model.probability(look.features) for look, _ in later],
        "queue_alone": [look.queue for look, _ in later],
        "priority_alone": [priority_rates.get(look.priority, everyone) for look, _ in later],
        "fixed_warning_75": [
            warned if look.share_used >= WARNING_SHARE else unwarned for look, _ in later
        ],
    }
    return {
        "looks": len(later),
        "breached": sum(outcomes),
        "methods": {
            name: {
                "auc": judging.auc(outcomes, values),
                "brier": round(judging.brier(outcomes, values) or 0.0, 5),
            }
            for name, values in forecasts.items()
        },
        "reliability": [
            {
                "from": row.low,
                "to": row.high,
                "count": row.cases,
                "forecast": row.predicted,
                "observed": row.observed,
            }
            for row in judging.reliability(outcomes, forecasts["model"])
        ],
    }


def split(pairs: Sequence[tuple[Look, bool]], at: int) -> tuple[list[Any], list[Any]]:
    """The looks before `at` and from `at` on."""
    earlier = [pair for pair in pairs if pair[0].at < at]
    later = [pair for pair in pairs if pair[0].at >= at]
    return earlier, later


def train_and_judge(
    policy_text: str, lines: Sequence[str], *, later_share: float = 0.3
) -> tuple[BreachModel, dict[str, Any]]:
    """Fit on the earlier part of a history and judge on its later part (`later_share` of its
    span); the model keeps its evaluation in `trained`."""
    policy = looking_policy(policy_text)
    pairs = label(policy, lines).pairs()
    if not pairs:
        raise TooLittleHistory(
            "the history has no look at a running clock to learn from: the forecast looks only "
            f"once a team has a week of history and {MIN_ANSWERS} answers"
        )
    first, last = min(look.at for look, _ in pairs), max(look.at for look, _ in pairs)
    cut = last - int((last - first) * later_share)
    earlier, later = split(pairs, cut)
    model = fit(earlier)
    report = evaluate(model, earlier, later)
    report["split_at_us"] = cut
    report["earlier_looks"] = len(earlier)
    trained = {**model.trained, "evaluation": _summary(report)}
    return BreachModel(model.intercept, model.weights, trained), report


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "looks": report["looks"],
        "breached": report["breached"],
        "methods": report["methods"],
    }
