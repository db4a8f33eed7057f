"""`escalon replay compare --report R.html`: two policies over one history, side by side."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from escalon.web import charts
from escalon.web.charts import Chart
from escalon.web.common import templates


@dataclass(frozen=True, slots=True)
class Side:
    """A row of a side-by-side table: what is counted, A's figure, B's, and the change."""

    name: str
    a: str
    b: str
    change: str


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}{unit}" if float(value).is_integer() else f"{value:,.2f}{unit}"


def _change(a: float | None, b: float | None) -> str:
    if a is None or b is None or a == b:
        return ""
    return f"{b - a:+,.2f}".rstrip("0").rstrip(".")


def _rows(a: dict[str, Any], b: dict[str, Any], unit: str = "") -> list[Side]:
    names = list(dict.fromkeys([*a, *b]))
    return [
        Side(
            name,
            _number(a.get(name, 0), unit),
            _number(b.get(name, 0), unit),
            _change(a.get(name, 0), b.get(name, 0)),
        )
        for name in names
    ]


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """What the page shows of a comparison."""

    result: dict[str, Any]

    @property
    def a(self) -> dict[str, Any]:
        return dict(self.result["a"])

    @property
    def b(self) -> dict[str, Any]:
        return dict(self.result["b"])

    def title(self, report: dict[str, Any]) -> str:
        return f"{report['policy']['name']} {report['policy']['version']}"

    @property
    def headline(self) -> list[Side]:
        a, b = self.a, self.b
        rate_a, rate_b = a["escalation_rate"], b["escalation_rate"]
        return [
            Side(
                "Cases", _number(a["cases"]), _number(b["cases"]), _change(a["cases"], b["cases"])
            ),
            Side(
                "Escalated cases",
                _number(a["escalated_cases"]),
                _number(b["escalated_cases"]),
                _change(a["escalated_cases"], b["escalated_cases"]),
            ),
            Side(
                "Escalation rate",
                "—" if rate_a is None else f"{rate_a:.1%}",
                "—" if rate_b is None else f"{rate_b:.1%}",
                "",
            ),
            Side(
                "De-escalations",
                _number(a["de_escalations"]),
                _number(b["de_escalations"]),
                _change(a["de_escalations"], b["de_escalations"]),
            ),
        ]

    @property
    def by_rule(self) -> list[Side]:
        return _rows(self.a["escalations_by_rule"], self.b["escalations_by_rule"])

    @property
    def by_level(self) -> list[Side]:
        return _rows(self.a["escalations_by_level"], self.b["escalations_by_level"])

    @property
    def breaches(self) -> list[Side]:
        return _rows(
            {metric: figures["breached"] for metric, figures in self.a["sla"].items()},
            {metric: figures["breached"] for metric, figures in self.b["sla"].items()},
        )

    @property
    def hours(self) -> list[Side]:
        return _rows(self.a["hours_at_level"], self.b["hours_at_level"], " h")

    @property
    def roster(self) -> bool:
        return "roster" in self.a and "roster" in self.b

    @property
    def pages(self) -> list[Side]:
        def people(report: dict[str, Any]) -> dict[str, int]:
            return {handle: item["paged"] for handle, item in report["roster"]["people"].items()}

        return _rows(people(self.a), people(self.b))

    @property
    def after_hours(self) -> list[Side]:
        def off_call(report: dict[str, Any]) -> Counter[str]:
            found: Counter[str] = Counter()
            for day in report["roster"]["days"]:
                found[day["person"]] += day["paged"]
            return found

        return _rows(dict(off_call(self.a)), dict(off_call(self.b)))

    @property
    def shifts(self) -> list[Side]:
        def per_shift(report: dict[str, Any]) -> dict[str, int]:
            return {
                f"{shift['team']}: {shift['person']}, {shift['start'][:16]} – {shift['end'][:16]}": shift[
                    "paged"
                ]
                for shift in report["roster"]["shifts"]
            }

        return [
            row
            for row in _rows(per_shift(self.a), per_shift(self.b))
            if row.a != "0" or row.b != "0"
        ]

    def chart(self, report: dict[str, Any], side: str) -> Chart:
        return charts.bar_chart(
            f"Escalations by rule, {side}",
            [(name, float(n)) for name, n in report["escalations_by_rule"].items()],
            heading="Rule",
            value_heading="Escalations",
        )


def render_comparison(result: dict[str, Any]) -> str:
    """The comparison as a standalone HTML page."""
    return templates.get_template("compare.html").render(
        csp_nonce="", visit=None, view=ComparisonView(result), intro=""
    )
