"""The weekly escalation review as a page: in the dashboard, in a file, in a manager's mail."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from escalon.learning.review import Review, Week, last_full_week, parse_week, weekly_review
from escalon.web import charts
from escalon.web.charts import Chart
from escalon.web.common import Parts, Visit, page, supervisor_visit, templates
from escalon.web.numbers_page import Param

router = APIRouter(prefix="/ui", include_in_schema=False)
_WHO = "Only supervisors and managers see the weekly review."
METRIC_NAMES = {
    "first_response": "First response",
    "next_response": "Next response",
    "periodic_update": "Periodic update",
    "resolution": "Resolution",
}


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review with its charts, and where its links point (absolute in a file or a mail)."""

    review: Review
    base: str

    def cases(self, **wanted: str) -> str:
        """The dashboard's list of the cases a figure counted."""
        return f"{self.base}/ui/queue?{urlencode({'status': 'any', **wanted})}"

    def case(self, case_id: int) -> str:
        return f"{self.base}/ui/cases/{case_id}"

    def escalated(self, week: Week | None = None, **wanted: str) -> str:
        """The cases with an escalation in the week matching `wanted`."""
        first, last = (week or self.review.week).days
        return self.cases(escalation_from=first, escalation_to=last, **wanted)

    def resolved(self, **wanted: str) -> str:
        first, last = self.review.week.days
        return self.cases(resolved_from=first, resolved_to=last, **wanted)

    def opened(self, week: Week | None = None) -> str:
        first, last = (week or self.review.week).days
        return self.cases(opened_from=first, opened_to=last)

    def four_weeks(self, holder: str) -> str:
        """A person's escalated cases over the four weeks the training gaps read."""
        first = self.review.week.before().before().before().days[0]
        return self.cases(
            holder=holder, escalation_from=first, escalation_to=self.review.week.days[1]
        )

    def bars(self, title: str, pairs: tuple[tuple[str, int], ...], heading: str) -> Chart:
        return charts.bar_chart(
            title,
            [(name, float(n)) for name, n in pairs],
            heading=heading,
            value_heading="Escalations",
        )

    @property
    def metrics(self) -> list[tuple[str, str, str]]:
        """Each SLA metric's compliance this week and the week before, in words."""
        found = []
        for metric, name in METRIC_NAMES.items():
            now, before = self.review.kpis.sla.get(metric), self.review.kpis_before.sla.get(metric)
            if now is None and before is None:
                continue
            found.append((name, _compliance(now), _compliance(before)))
        return found


def _compliance(figures: object) -> str:
    compliance = getattr(figures, "compliance", None)
    if compliance is None:
        return "—"
    return f"{compliance:.0%} ({figures.met} met, {figures.breached} breached)"  # type: ignore[attr-defined]


def render_review(review: Review, base: str) -> str:
    """The review as a standalone HTML document, its links starting with `base`."""
    view = ReviewView(review, base.rstrip("/"))
    return templates.get_template("review.html").render(
        csp_nonce="", visit=None, view=view, standalone=True
    )


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, parts: Parts, week: Param = None) -> Response:
    """The weekly escalation review (supervisors and managers); `week` is an ISO week."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, _WHO)
        if not isinstance(visit, Visit):
            return visit
        now = parts.clock.now_us()
        try:
            chosen = parse_week(week) if week and week.strip() else last_full_week(now)
        except ValueError as error:
            return page("notice.html", 400, title="No such week", text=str(error), visit=visit)
        review = weekly_review(session, chosen, now=now)
    return page("review.html", visit=visit, view=ReviewView(review, ""), standalone=False)
