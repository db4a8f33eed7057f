"""The coaching page: what each person and team escalates, against their peers (supervisors
and managers only: it is for coaching, not for peers to compare one another)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.analytics import causes as root_causes
from escalon.analytics.clock_flags import ClockFlags, clock_flags
from escalon.analytics.coaching import Coaching, Figures, coaching
from escalon.auth.models import User
from escalon.core.state import from_us
from escalon.people.models import Agent
from escalon.web.common import Parts, Visit, page, supervisor_visit
from escalon.web.numbers_page import DAY_US, DEFAULT_DAYS, WINDOWS, Param, buckets

router = APIRouter(prefix="/ui", include_in_schema=False)
_WHO = "Only supervisors and managers see the coaching figures: they are for coaching, not for comparing peers."


@dataclass(frozen=True, slots=True)
class CoachingPage:
    """The page's content: the figures and the links to the cases behind them."""

    days: int
    windows: tuple[int, ...]
    period: str
    figures: Coaching
    opened_from: str
    opened_to: str
    cause_labels: dict[str, str]
    flags: ClockFlags
    # Agent handle -> the person's key on the training pages (their username, when they have one).
    practice_keys: dict[str, str]

    def labelled(self, pairs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
        """Root-cause counts under the names people read."""
        return tuple((self.cause_labels.get(key, key), n) for key, n in pairs)

    def practice_link(self, person: Figures) -> str:
        """Where the training pages suggest practice for a person's gaps."""
        return "/ui/training/people#" + quote(self.practice_keys.get(person.name, person.name))

    def escalated_link(self, person: Figures) -> str:
        """The cases that escalated while the person held them."""
        return "/ui/queue?" + urlencode(
            {
                "status": "any",
                "holder": person.name,
                "opened_from": self.opened_from,
                "opened_to": self.opened_to,
            }
        )


@router.get("/coaching", response_class=HTMLResponse)
def coaching_page(request: Request, parts: Parts, days: Param = None) -> Response:
    """Per person and team: escalation rate against their peers, what they escalate, time to
    resolve escalated cases, satisfaction, and training gaps."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, _WHO)
        if not isinstance(visit, Visit):
            return visit
        chosen = (days or "").strip()
        if chosen and chosen not in WINDOWS:
            return page(
                "notice.html",
                400,
                title="Cannot show these figures",
                text="The window must be 7, 30 or 90 days (for example ?days=90).",
                visit=visit,
            )
        window = WINDOWS[chosen] if chosen else DEFAULT_DAYS
        cut = buckets(parts.clock.now_us(), window, window)
        since, until = cut[0].since, cut[-1].until
        figures = coaching(session, since=since, until=until)
        labels = root_causes.labels(session)
        flags = clock_flags(session, since=since, until=until)
        keys = _practice_keys(session)
    first, last = from_us(since).date(), from_us(until - DAY_US).date()
    content = CoachingPage(
        window,
        tuple(WINDOWS.values()),
        f"{first:%-d %b %Y} – {last:%-d %b %Y}",
        figures,
        first.isoformat(),
        last.isoformat(),
        labels,
        flags,
        keys,
    )
    return page("coaching.html", visit=visit, coaching=content)


def _practice_keys(session: Session) -> dict[str, str]:
    """Each agent's username, for the links to the practice suggested for them."""
    return {
        str(handle): str(username)
        for handle, username in session.execute(
            select(Agent.handle, User.username).join(User, User.agent_id == Agent.id)
        )
    }
