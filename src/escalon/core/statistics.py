"""Statistics the learning loop reads: rates with their intervals, and counts that clearly rose.

Counts in support are small (a team resolves a few dozen escalations a week), so a raw share
cries wolf: 2 of 3 is "67 %". These answer only when the numbers are clearly apart.
"""

from __future__ import annotations

from dataclasses import dataclass

# The fewest occurrences this week that can make a rise: below it, nothing is called rising.
RISING_MINIMUM = 3
# How unlikely this week's count must be at the earlier rate (one-sided binomial test).
RISING_SIGNIFICANCE = 0.01


@dataclass(frozen=True, slots=True)
class Interval:
    """A share and the range it lies in at 95 % confidence (Wilson score interval)."""

    share: float
    low: float
    high: float


def rate_interval(part: int, whole: int, confidence: float = 0.95) -> Interval | None:
    """`part` of `whole` as a share with its Wilson interval (None when `whole` is 0)."""
    if whole <= 0:
        return None
    if not 0 <= part <= whole:
        raise ValueError(f"{part} of {whole} is not a share")
    from scipy.stats import binomtest  # scipy.stats takes seconds to import: only when asked

    bounds = binomtest(part, whole).proportion_ci(confidence, method="wilson")
    return Interval(part / whole, float(bounds.low), float(bounds.high))


def clearly_apart(part: int, whole: int, reference: float) -> bool:
    """Whether `part` of `whole` lies clearly off a reference share: the interval excludes it."""
    interval = rate_interval(part, whole)
    return interval is not None and not interval.low <= reference <= interval.high


@dataclass(frozen=True, slots=True)
class Rise:
    """A count that rose: its share now and before, and how unlikely now is at the old share."""

    now: float
    before: float
    p_value: float


def rising(now: int, now_total: int, before: int, before_total: int) -> Rise | None:
    """Whether `now` of `now_total` clearly exceeds the earlier share, `before` of
    `before_total` (None: it did not, or there is too little to tell).

    The earlier share is smoothed by half an occurrence, so a cause never seen before has a small
    share rather than none; a rise needs at least `RISING_MINIMUM` occurrences now and a
    one-sided binomial p-value under `RISING_SIGNIFICANCE`. Without an earlier period there is
    nothing to rise from.
    """
    if before_total <= 0 or now_total <= 0 or now < RISING_MINIMUM:
        return None
    earlier = (before + 0.5) / (before_total + 1)
    if now / now_total <= earlier:
        return None
    from scipy.stats import binomtest  # scipy.stats takes seconds to import: only when asked

    p_value = float(binomtest(now, now_total, earlier, alternative="greater").pvalue)
    if p_value >= RISING_SIGNIFICANCE:
        return None
    return Rise(now / now_total, before / before_total, p_value)
