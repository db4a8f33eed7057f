"""The weekly escalation review as a page: in the dashboard, in a file, in a manager's mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from escalon.learning import review_mail
from escalon.learning.review import (
    Links,
    Review,
    last_full_week,
    parse_week,
    sla_words,
    weekly_review,
)
from escalon.web import charts
from escalon.web.charts import Chart
from escalon.web.common import (
    Csrf,
    Parts,
    Visit,
    forbidden,
    form_visit,
    page,
    redirect,
    supervisor_visit,
    templates,
)
from escalon.web.numbers_page import Param

router = APIRouter(prefix="/ui", include_in_schema=False)
_WHO = "Only supervisors and managers see the weekly review."


@dataclass(frozen=True, slots=True)
class ReviewView(Links):
    """A review with its charts, and where its links point (absolute in a file or a mail)."""

    review: Review

    @classmethod
    def of(cls, review: Review, base: str) -> ReviewView:
        """The review's view, its links starting with `base`."""
        return cls(review.week, base.rstrip("/"), review)

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
        return sla_words(self.review)


def render_review(review: Review, base: str, *, note: str | None = None) -> str:
    """The review as a standalone HTML document, its links starting with `base`; `note` closes
    it (a mail says why it came)."""
    view = ReviewView.of(review, base)
    return templates.get_template("review.html").render(
        csp_nonce="", visit=None, view=view, standalone=True, note=note, mail=None
    )


def render_review_mail(review: Review, base: str) -> str:
    """The review as the HTML part of a manager's weekly mail."""
    return render_review(review, base, note=review_mail.OPT_OUT_NOTE)


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
        mail = review_mail.subscription(
            session, user_id=visit.principal.user_id, settings=parts.settings
        )
    return page(
        "review.html",
        visit=visit,
        view=ReviewView.of(review, ""),
        standalone=False,
        note=None,
        mail=mail,
    )


@router.post("/review/mail", response_class=HTMLResponse)
def review_mail_choice(
    request: Request,
    parts: Parts,
    subscribed: Annotated[Literal["yes", "no"], Form()],
    week: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """A supervisor's own choice: the weekly review by mail, or not; back to the review."""
    visit = form_visit(request, parts, csrf_token)
    if not isinstance(visit, Visit):
        return visit
    if not visit.supervises:
        return forbidden(_WHO)
    with parts.database.write() as session:
        review_mail.set_subscribed(
            session,
            user_id=visit.principal.user_id,
            subscribed=subscribed == "yes",
            now=parts.clock.now_us(),
        )
    try:
        back = f"/ui/review?week={parse_week(week).name}"
    except ValueError:
        back = "/ui/review"  # only a week this page names goes into the address
    return redirect(back)
