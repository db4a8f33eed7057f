"""The server-drawn charts: scales, gaps for missing values, tables, and escaped labels."""

from __future__ import annotations

from html.parser import HTMLParser
from itertools import pairwise
from typing import TypeVar

import pytest

from escalon.web import charts
from escalon.web.charts import Bar, Buckets, Dot, Label, Line, Series

DAYS = Buckets(
    "Day",
    ("1 Dec", "2 Dec", "3 Dec", "4 Dec", "5 Dec"),
    ("Tue 1 Dec 2026", "Wed 2 Dec 2026", "Thu 3 Dec 2026", "Fri 4 Dec 2026", "Sat 5 Dec 2026"),
)
FLOOR = charts.HEIGHT - charts.BOTTOM
S = TypeVar("S")


class _Texts(HTMLParser):
    """The elements and text nodes of a piece of markup, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.texts: list[str] = []
        self.attributes: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def _parse(markup: str) -> _Texts:
    parser = _Texts()
    parser.feed(markup)
    parser.close()
    return parser


def _of(kind: type[S], chart: charts.Chart) -> list[S]:
    return [shape for shape in chart.shapes if isinstance(shape, kind)]


def test_ticks_are_round_steps_that_reach_the_largest_value() -> None:
    assert charts.ticks(3.2) == (0, 1, 2, 3, 4)
    assert charts.ticks(0.3) == (0, 0.1, 0.2, 0.3)
    assert charts.ticks(1) == (0, 0.25, 0.5, 0.75, 1)
    assert charts.ticks(0) == (0, 0.25, 0.5, 0.75, 1)  # nothing to show still draws an axis
    assert charts.ticks(3, whole=True) == (0, 1, 2, 3)
    assert charts.ticks(5) == (0, 2, 4, 6)
    assert charts.ticks(5, exact=True) == (0, 1, 2, 3, 4, 5)


def test_values_are_placed_between_the_floor_and_the_top_of_the_axis() -> None:
    chart = charts.line_chart("Rate", DAYS, [Series("rate", (0, 0.25, 0.5, 0.75, 1))], top=1)
    dots = _of(Dot, chart)
    assert [dot.y for dot in dots] == pytest.approx(
        [FLOOR - share * (FLOOR - charts.TOP) for share in (0, 0.25, 0.5, 0.75, 1)]
    )
    gaps = {round(b.x - a.x, 6) for a, b in pairwise(dots)}
    assert len(gaps) == 1  # evenly spaced
    assert charts.LEFT < dots[0].x < dots[-1].x < charts.WIDTH - charts.RIGHT
    assert [label.text for label in _of(Label, chart) if label.anchor == "end"] == [
        "0%",
        "25%",
        "50%",
        "75%",
        "100%",
    ]


def test_without_a_fixed_top_the_axis_reaches_the_largest_value() -> None:
    chart = charts.line_chart(
        "Hours", DAYS, [Series("h", (1, 2, None, 3.2, 0.5))], fmt=charts.hours
    )
    tallest = min(dot.y for dot in _of(Dot, chart))
    assert tallest == pytest.approx(FLOOR - 3.2 / 4 * (FLOOR - charts.TOP))
    assert "4 h" in [label.text for label in _of(Label, chart)]


def test_a_missing_value_is_a_gap_in_the_line_and_a_dash_in_the_table() -> None:
    chart = charts.line_chart("Rate", DAYS, [Series("rate", (0.2, 0.4, None, 0.6, 0))], top=1)
    lines = _of(Line, chart)
    assert [len(line.points) for line in lines] == [2, 2]
    assert len(_of(Dot, chart)) == 4
    assert [row[1] for row in chart.table.rows] == ["20%", "40%", "—", "60%", "0%"]
    assert "1 day without data" in chart.summary
    assert chart.has_data


def test_a_lone_value_between_gaps_is_a_dot_without_a_line() -> None:
    chart = charts.line_chart("Rate", DAYS, [Series("rate", (None, 0.5, None, None, None))])
    assert _of(Line, chart) == []
    assert len(_of(Dot, chart)) == 1
    assert "latest 50% (Wed 2 Dec 2026)" in chart.summary
    assert "4 days without data" in chart.summary


def test_a_chart_with_no_values_says_it_has_no_data() -> None:
    chart = charts.line_chart("Rate", DAYS, [Series("rate", (None,) * 5)])
    assert not chart.has_data
    assert _of(Dot, chart) == []
    assert "rate: no data" in chart.summary


def test_the_table_has_a_row_a_bucket_with_extra_columns() -> None:
    chart = charts.line_chart(
        "Rate",
        DAYS,
        [Series("a", (0.5, None, 1, 0, 0)), Series("b", (None, None, None, None, 1))],
        extra=[("Opened", ("2", "0", "1", "1", "3"))],
    )
    assert chart.table.columns == ("Day", "a", "b", "Opened")
    assert chart.table.rows[0] == ("Tue 1 Dec 2026", "50%", "—", "2")
    assert chart.legend == ("a", "b")


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="has 2 values"):
        charts.line_chart("Rate", DAYS, [Series("rate", (0.1, 0.2))])


def test_stacked_bars_pile_up_each_buckets_counts() -> None:
    chart = charts.stacked_bars(
        "By level",
        DAYS,
        [Series("supervisor", (1, 0, 2, 0, 0)), Series("specialist", (1, 0, 0, 0, 1))],
    )
    bars = _of(Bar, chart)
    assert len(bars) == 4  # zero counts draw nothing
    first = [bar for bar in bars if bar.tip.startswith("Tue 1 Dec")]
    assert [bar.series for bar in first] == [0, 1]
    # The lower layer's top is where the upper one starts; together they reach 2 of the axis.
    assert first[0].y == pytest.approx(first[1].y + first[1].height)
    assert first[1].y == pytest.approx(charts.TOP)
    assert chart.table.rows[0] == ("Tue 1 Dec 2026", "1", "1", "2")
    assert chart.table.rows[1][-1] == "0"
    assert "5 in all (supervisor 3, specialist 2)" in chart.summary
    assert "most in Thu 3 Dec 2026 (2)" in chart.summary  # of a tie, the latest


def test_horizontal_bars_come_largest_first_and_the_largest_fills_the_width() -> None:
    chart = charts.bar_chart(
        "By rule", [("manual", 1), ("breach", 4), ("asks", 2)], heading="Rule", value_heading="N"
    )
    bars = _of(Bar, chart)
    assert [bar.tip for bar in bars] == ["breach: 4", "asks: 2", "manual: 1"]
    assert bars[0].width == pytest.approx(2 * bars[1].width)
    assert bars[0].width == pytest.approx(4 * bars[2].width)
    assert bars[0].x + bars[0].width < chart.width
    assert chart.table.rows == (("breach", "4"), ("asks", "2"), ("manual", "1"))
    assert chart.summary == "Largest first: breach 4, asks 2, manual 1."


def test_no_bars_means_no_data() -> None:
    chart = charts.bar_chart("By rule", [], heading="Rule", value_heading="N")
    assert not chart.has_data
    assert chart.table.rows == ()


def test_names_from_policies_are_escaped_in_the_svg() -> None:
    evil = '<script>alert("x")</script>'
    chart = charts.bar_chart(
        'Escalations by "rule" & level', [(evil, 3)], heading="Rule", value_heading="N"
    )
    svg = str(chart.svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    parsed = _parse(svg)
    assert "script" not in parsed.tags
    assert parsed.tags.count("svg") == 1
    assert evil in parsed.texts  # shown as text, exactly as written
    root = parsed.attributes[0]
    assert root["role"] == "img"
    assert root["aria-label"] == f'Escalations by "rule" & level. Largest first: {evil} 3.'

    line = charts.line_chart("Rate", DAYS, [Series(evil, (0.5, None, None, None, None))])
    line_svg = str(line.svg)
    assert "<script>" not in line_svg
    assert f"Tue 1 Dec 2026, {evil}: 50%" in _parse(line_svg).texts


def test_numbers_are_formatted_as_people_read_them() -> None:
    assert charts.percent(0.5) == "50%"
    assert charts.percent(1 / 3) == "33.3%"
    assert charts.percent(0) == "0%"
    assert charts.hours(3.5) == "3.5 h"
    assert charts.hours(12.0) == "12 h"
    assert charts.hours(0.25) == "15 min"
    assert charts.score(4.25) == "4.25"
    assert charts.score(5.0) == "5"
    assert charts.count(3) == "3"
    assert charts.shown(None, charts.percent) == "—"
