"""Judging a probability forecast against what happened: the logistic link, the area under the
ROC curve, the Brier score and the reliability table (the breach forecast and escalation risk
both report them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def sigmoid(value: float) -> float:
    """The logistic function, without overflow at either end."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    small = math.exp(value)
    return small / (1.0 + small)


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """The area under the ROC curve (ties count half); None without both outcomes."""
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    position = 0
    while position < len(order):
        end = position
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[position]]:
            end += 1
        average_rank = (position + end) / 2 + 1  # ranks from 1; tied scores share their mean
        rank_sum += average_rank * sum(1 for i in order[position : end + 1] if labels[i])
        position = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """The mean squared gap between probability and outcome (lower is better)."""
    if not labels:
        return None
    return sum((p - (1.0 if y else 0.0)) ** 2 for y, p in zip(labels, scores, strict=True)) / len(
        labels
    )


@dataclass(frozen=True, slots=True)
class Bin:
    """Cases whose probability fell in [low, high): how many, what was said, what happened."""

    low: float
    high: float
    cases: int
    predicted: float
    observed: float


def reliability(labels: Sequence[bool], scores: Sequence[float], bins: int = 10) -> list[Bin]:
    """The reliability table: for each tenth of probability with cases, said against seen."""
    found: list[Bin] = []
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        inside = [
            (y, p)
            for y, p in zip(labels, scores, strict=True)
            if low <= p < high or (index == bins - 1 and p == 1.0)
        ]
        if inside:
            found.append(
                Bin(
                    low,
                    high,
                    len(inside),
                    sum(p for _, p in inside) / len(inside),
                    sum(1 for y, _ in inside if y) / len(inside),
                )
            )
    return found
