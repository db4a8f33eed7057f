"""Charts drawn on the server as inline SVG, with no JavaScript.

A chart is plain data: shapes in a fixed coordinate space (the SVG's viewBox, so it scales to
any width), a summary in words for screen readers, and the same numbers as a table. Only
`Chart.svg` makes markup, and it escapes every piece of text it did not write itself: series
names and labels come from policies (rule and level names) that anyone with upload rights writes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

Format = Callable[[float], str]
Anchor = Literal["start", "middle", "end"]
Kind = Literal["line", "bar"]

MISSING = "—"
PALETTE = 5  # series colours the page's stylesheet defines (s0 … s4); more reuse them
WIDTH = 480
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 46, 20, 10, 26
MAX_X_LABELS = 7
BAR_ROW = 36


# -- formatting numbers --------------------------------------------------------------------------


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: float) -> str:
    """A ratio as a percentage: 0.5 is "50%", 1/3 is "33.3%"."""
    return f"{_trim(f'{value * 100:.1f}')}%"


def hours(value: float) -> str:
    """Hours to one decimal ("3.5 h"), or minutes below an hour ("25 min")."""
    minutes = round(value * 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{_trim(f'{value:.1f}')} h"


def score(value: float) -> str:
    """A mean score to two decimals at most: "4.25", "5"."""
    return _trim(f"{value:.2f}")


def count(value: float) -> str:
    """A count: "3"."""
    return _trim(f"{value:.2f}")


def shown(value: float | None, fmt: Format) -> str:
    """A value as text, or a dash where there is none."""
    return MISSING if value is None else fmt(value)


# -- what a chart is made of ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """One named line or stack layer: a value per bucket, None where there is nothing to show."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Buckets:
    """The time axis: a short label per bucket for the axis, a full name for the table."""

    heading: str
    short: tuple[str, ...]
    long: tuple[str, ...]
    # Where each bucket's cases are listed (none: the chart links nowhere).
    links: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.short) != len(self.long):
            raise ValueError("every bucket needs a short label and a full name")
        if self.links and len(self.links) != len(self.short):
            raise ValueError("a link for every bucket, or none")

    def link(self, index: int) -> str:
        """The list of the cases behind bucket `index` ("" when the chart links nowhere)."""
        return self.links[index] if self.links else ""


@dataclass(frozen=True, slots=True)
class Line:
    """An unbroken run of a series' points (a missing value ends one run and starts another)."""

    points: tuple[tuple[float, float], ...]
    series: int


@dataclass(frozen=True, slots=True)
class Dot:
    """One value of a series, with its tooltip."""

    x: float
    y: float
    series: int
    tip: str
    link: str = ""  # the cases behind the value


@dataclass(frozen=True, slots=True)
class Bar:
    """A filled rectangle: a bar or one layer of a stacked bar, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    series: int
    tip: str
    link: str = ""  # the cases behind the value


@dataclass(frozen=True, slots=True)
class Label:
    """Text on the chart: an axis tick, a bar's name or its value."""

    x: float
    y: float
    text: str
    anchor: Anchor = "middle"


@dataclass(frozen=True, slots=True)
class Grid:
    """A horizontal guide line at a tick of the value axis."""

    x1: float
    x2: float
    y: float


Shape = Line | Dot | Bar | Label | Grid


@dataclass(frozen=True, slots=True)
class Table:
    """The chart's numbers for reading: column headings, then a row per bucket or bar."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    links: tuple[str, ...] = ()  # where each row's cases are listed (none: no links)


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart ready to show: its shapes, legend, summary in words and data table."""

    kind: Kind
    title: str
    summary: str
    width: int
    height: int
    shapes: tuple[Shape, ...]
    legend: tuple[str, ...]
    table: Table
    has_data: bool

    @property
    def svg(self) -> Markup:
        """The chart as inline SVG; every text in it is escaped."""
        label = escape(f"{self.title}. {self.summary}")
        out = [
            f'<svg class="chart-svg" viewBox="0 0 {self.width} {self.height}" '
            f'role="img" aria-label="{label}" focusable="false">',
            f"<title>{escape(self.title)}</title>",
        ]
        out.extend(_draw(shape) for shape in self.shapes)
        out.append("</svg>")
        # Safe by construction: numbers are formatted here and every text went through escape().
        return Markup("".join(out))


def _n(value: float) -> str:
    return _trim(f"{value:.1f}")


def _draw(shape: Shape) -> str:
    drawn = _shape(shape)
    link = shape.link if isinstance(shape, Dot | Bar) else ""
    return f'<a href="{escape(link)}">{drawn}</a>' if link else drawn


def _shape(shape: Shape) -> str:
    if isinstance(shape, Line):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in shape.points)
        css = f"line s{shape.series % PALETTE}"
        return f'<polyline class="{css}" points="{points}" fill="none" stroke="currentColor"/>'
    if isinstance(shape, Dot):
        css = f"dot s{shape.series % PALETTE}"
        return (
            f'<circle class="{css}" cx="{_n(shape.x)}" cy="{_n(shape.y)}" r="3.5" '
            f'fill="currentColor"><title>{escape(shape.tip)}</title></circle>'
        )
    if isinstance(shape, Bar):
        css = f"bar s{shape.series % PALETTE}"
        return (
            f'<rect class="{css}" x="{_n(shape.x)}" y="{_n(shape.y)}" '
            f'width="{_n(shape.width)}" height="{_n(shape.height)}" fill="currentColor">'
            f"<title>{escape(shape.tip)}</title></rect>"
        )
    if isinstance(shape, Label):
        return (
            f'<text x="{_n(shape.x)}" y="{_n(shape.y)}" text-anchor="{shape.anchor}" '
            f'fill="currentColor">{escape(shape.text)}</text>'
        )
    return (
        f'<line class="grid" x1="{_n(shape.x1)}" x2="{_n(shape.x2)}" '
        f'y1="{_n(shape.y)}" y2="{_n(shape.y)}" stroke="currentColor" stroke-opacity=".25"/>'
    )


# -- scales --------------------------------------------------------------------------------------


NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


def ticks(
    top: float, *, steps: int = 4, whole: bool = False, exact: bool = False
) -> tuple[float, ...]:
    """Ticks from 0 to at least `top` (exactly, if `exact`), 1, 2, 2.5 or 5 × 10ⁿ apart."""
    if not top > 0 or math.isinf(top):
        top = 1.0
    raw = top / steps
    power = 10.0 ** math.floor(math.log10(raw))
    candidates = [m * power for m in NICE]
    step = next(c for c in candidates if raw <= c * (1 + 1e-9))
    if exact:
        fits = [
            c
            for c in (*(c / 10 for c in candidates), *candidates)
            if c <= step and _divides(c, top) and top / c <= 2 * steps
        ]
        step = max(fits, default=top / steps)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    # The tolerance keeps a top that is already a tick (0.75 of 0.25s) from gaining one more.
    last = math.ceil(top / step - 1e-9)
    return tuple(round(i * step, 10) for i in range(max(last, 1) + 1))


def _divides(step: float, top: float) -> bool:
    quotient = top / step
    return abs(quotient - round(quotient)) < 1e-9


def _x(i: int, n: int) -> float:
    """The centre of bucket i's band: bars sit on it and lines pass through it."""
    return LEFT + (i + 0.5) * (WIDTH - LEFT - RIGHT) / n


def _y(value: float, top: float) -> float:
    share = min(max(value / top, 0.0), 1.0)
    return TOP + (1 - share) * (HEIGHT - TOP - BOTTOM)


def _axes(buckets: Buckets, marks: Sequence[float], fmt: Format) -> list[Shape]:
    top = marks[-1]
    shapes: list[Shape] = []
    for mark in marks:
        y = _y(mark, top)
        shapes.append(Grid(LEFT, WIDTH - RIGHT, y))
        shapes.append(Label(LEFT - 6, y + 4, fmt(mark), "end"))
    n = len(buckets.short)
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i, text in enumerate(buckets.short):
        # Count from the newest bucket, so that the latest one always has its label.
        if (n - 1 - i) % every == 0:
            shapes.append(Label(_x(i, n), HEIGHT - 8, text))
    return shapes


def _describe(series: Series, buckets: Buckets, fmt: Format) -> str:
    known = [(i, v) for i, v in enumerate(series.values) if v is not None]
    if not known:
        return f"{series.name}: no data"
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    at, last = known[-1]
    gaps = len(series.values) - len(known)
    text = f"{series.name}: from {fmt(low)} to {fmt(high)}, latest {fmt(last)} ({buckets.long[at]})"
    if gaps:
        text += f", {gaps} {buckets.heading.lower()}{'s' if gaps > 1 else ''} without data"
    return text


def _check(buckets: Buckets, series: Sequence[Series]) -> None:
    if not buckets.short:
        raise ValueError("a chart over time needs at least one bucket")
    for one in series:
        if len(one.values) != len(buckets.short):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values, not one a bucket")


# -- the charts ----------------------------------------------------------------------------------


def line_chart(
    title: str,
    buckets: Buckets,
    series: Sequence[Series],
    *,
    fmt: Format = percent,
    top: float | None = None,
    extra: Sequence[tuple[str, tuple[str, ...]]] = (),
) -> Chart:
    """Lines over time, one a series, broken where a value is missing (a gap, never a zero)."""
    # `top` fixes the value axis (1 for ratios, 5 for scores) so that charts of the same kind
    # compare at a glance; `extra` adds table-only columns (heading, one text a bucket): the
    # counts behind a ratio, which a chart of ratios would hide.
    _check(buckets, series)
    known = [v for one in series for v in one.values if v is not None]
    marks = ticks(max(known, default=0.0)) if top is None else ticks(top, exact=True)
    ceiling = marks[-1]
    n = len(buckets.short)
    shapes = _axes(buckets, marks, fmt)
    for index, one in enumerate(series):
        run: list[tuple[float, float]] = []
        for i, value in enumerate([*one.values, None]):
            if value is None:
                if len(run) > 1:
                    shapes.append(Line(tuple(run), index))
                run = []
                continue
            point = (_x(i, n), _y(value, ceiling))
            run.append(point)
            tip = f"{buckets.long[i]}, {one.name}: {fmt(value)}"
            shapes.append(Dot(*point, index, tip, buckets.link(i)))
    summary = (
        f"By {buckets.heading.lower()}, {buckets.long[0]} to {buckets.long[-1]}. "
        + "; ".join(_describe(one, buckets, fmt) for one in series)
        + "."
    )
    columns = (buckets.heading, *(one.name for one in series), *(head for head, _ in extra))
    rows = tuple(
        (
            buckets.long[i],
            *(shown(one.values[i], fmt) for one in series),
            *(texts[i] for _, texts in extra),
        )
        for i in range(n)
    )
    return Chart(
        "line",
        title,
        summary,
        WIDTH,
        HEIGHT,
        tuple(shapes),
        tuple(one.name for one in series),
        Table(columns, rows, buckets.links),
        bool(known),
    )


def stacked_bars(
    title: str, buckets: Buckets, series: Sequence[Series], *, fmt: Format = count
) -> Chart:
    """A bar a bucket, stacked from the series' counts (missing counts as nothing)."""
    _check(buckets, series)
    n = len(buckets.short)
    totals = [sum(one.values[i] or 0.0 for one in series) for i in range(n)]
    marks = ticks(max(totals, default=0.0), whole=True)
    ceiling = marks[-1]
    band = (WIDTH - LEFT - RIGHT) / n
    width = band * 0.7
    shapes = _axes(buckets, marks, fmt)
    for i in range(n):
        base = 0.0
        for index, one in enumerate(series):
            value = one.values[i]
            if not value:
                continue
            y = _y(base + value, ceiling)
            height = _y(base, ceiling) - y
            tip = f"{buckets.long[i]}, {one.name}: {fmt(value)}"
            shapes.append(Bar(_x(i, n) - width / 2, y, width, height, index, tip, buckets.link(i)))
            base += value
    grand = sum(totals)
    parts = [f"{one.name} {fmt(sum(v or 0.0 for v in one.values))}" for one in series]
    summary = (
        f"By {buckets.heading.lower()}, {buckets.long[0]} to {buckets.long[-1]}: "
        f"{fmt(grand)} in all"
    )
    if grand:
        busiest = max(range(n), key=lambda i: (totals[i], i))
        summary += (
            f" ({', '.join(parts)}); most in {buckets.long[busiest]} ({fmt(totals[busiest])})"
        )
    columns = (buckets.heading, *(one.name for one in series), "Total")
    rows = tuple(
        (buckets.long[i], *(shown(one.values[i], fmt) for one in series), fmt(totals[i]))
        for i in range(n)
    )
    return Chart(
        "bar",
        title,
        summary + ".",
        WIDTH,
        HEIGHT,
        tuple(shapes),
        tuple(one.name for one in series),
        Table(columns, rows, buckets.links),
        grand > 0,
    )


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    heading: str,
    value_heading: str,
    fmt: Format = count,
) -> Chart:
    """Horizontal bars, largest first, each with its name above it and its value at its end."""
    ordered = sorted(bars, key=lambda bar: (-bar[1], bar[0]))
    top = max((value for _, value in ordered), default=0.0)
    room = WIDTH - 56  # what the longest bar may take; its value label goes after it
    shapes: list[Shape] = []
    for i, (name, value) in enumerate(ordered):
        row = 4 + i * BAR_ROW
        length = room * value / top if top > 0 else 0.0
        shapes.append(Label(0, row + 13, name, "start"))
        shapes.append(Bar(0, row + 18, length, 14, 0, f"{name}: {fmt(value)}"))
        shapes.append(Label(length + 6, row + 30, fmt(value), "start"))
    summary = ", ".join(f"{name} {fmt(value)}" for name, value in ordered) or "none"
    return Chart(
        "bar",
        title,
        f"Largest first: {summary}.",
        WIDTH,
        max(len(ordered), 1) * BAR_ROW + 8,
        tuple(shapes),
        (),
        Table((heading, value_heading), tuple((name, fmt(value)) for name, value in ordered)),
        any(value > 0 for _, value in ordered),
    )
