"""Rates with intervals and rises, checked against worked numbers."""

from __future__ import annotations

from math import comb, sqrt

import pytest

from escalon.core.statistics import clearly_apart, rate_interval, rising


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed term by term."""
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_the_wilson_interval_of_a_worked_example() -> None:
    # 8 of 40: centre (8 + z²/2) / (40 + z²), half-width z/(40 + z²) * sqrt(8*32/40 + z²/4).
    z = 1.959963984540054
    centre = (8 + z * z / 2) / (40 + z * z)
    half = z / (40 + z * z) * sqrt(8 * 32 / 40 + z * z / 4)
    found = rate_interval(8, 40)
    assert found is not None
    assert found.share == 0.2
    assert found.low == pytest.approx(centre - half, abs=1e-9)
    assert found.high == pytest.approx(centre + half, abs=1e-9)
    assert (round(found.low, 4), round(found.high, 4)) == (0.1050, 0.3476)


def test_no_cases_no_rate_and_a_share_must_be_one() -> None:
    assert rate_interval(0, 0) is None
    with pytest.raises(ValueError, match="not a share"):
        rate_interval(5, 4)


def test_clearly_apart_only_when_the_interval_excludes_the_reference() -> None:
    # A team escalates 20 %. An agent with 3 of 10 (interval 11 %-60 %) is not apart; with
    # 30 of 100 (21.9 %-39.6 %) they are.
    assert not clearly_apart(3, 10, 0.20)
    assert clearly_apart(30, 100, 0.20)
    assert not clearly_apart(0, 0, 0.20)


def test_a_rise_is_named_with_its_worked_p_value() -> None:
    # Before: 10 of 200 resolutions named the cause (5 %). This week: 8 of 40 (20 %).
    found = rising(8, 40, 10, 200)
    assert found is not None
    earlier = 10.5 / 201
    assert found.p_value == pytest.approx(binomial_tail(8, 40, earlier), rel=1e-9)
    assert found.p_value == pytest.approx(0.000942, abs=5e-6)
    assert (found.now, found.before) == (0.2, 0.05)


@pytest.mark.parametrize(
    ("now", "now_total", "before", "before_total"),
    [
        (2, 3, 0, 100),  # two cases are not a trend, however new
        (3, 60, 50, 1000),  # the same share as before
        (4, 40, 10, 200),  # 10 % against 5 %: could be chance (p about 0.15)
        (5, 10, 3, 0),  # nothing earlier to rise from
        (0, 0, 3, 10),  # nothing this week
    ],
)
def test_no_rise_is_called_on_small_or_ordinary_counts(
    now: int, now_total: int, before: int, before_total: int
) -> None:
    assert rising(now, now_total, before, before_total) is None


def test_a_cause_never_seen_before_rises_once_it_is_clearly_common() -> None:
    found = rising(6, 30, 0, 300)
    assert found is not None
    assert found.before == 0.0
    assert found.p_value == pytest.approx(binomial_tail(6, 30, 0.5 / 301), rel=1e-9)
