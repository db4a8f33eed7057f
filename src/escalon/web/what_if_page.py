"""The policy what-if in the dashboard: a stored candidate version replayed against the active
one over the cases opened in the last days, as the `replay compare` report shows it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from escalon.core.policy import Policy, PolicyInvalid
from escalon.errors import NotFound
from escalon.policies import service
from escalon.policies.history import MAX_CASES, History, history
from escalon.replay.compare import compare_files
from escalon.replay.local import needs_detector
from escalon.web.access import scope_of
from escalon.web.common import Parts, Visit, page, supervisor_visit
from escalon.web.compare_report import ComparisonView
from escalon.web.policy_page import MAX_ID

router = APIRouter(prefix="/ui", include_in_schema=False)
DAY_US = 86_400_000_000
CHOICES = (7, 30, 90)
ONLY_SUPERVISORS = "Only supervisors, managers and admins compare policy versions."


@router.get("/policy/what-if", response_class=HTMLResponse)
def what_if_page(
    request: Request,
    parts: Parts,
    version: Annotated[int, Query(ge=1, le=MAX_ID)],
    days: Annotated[int, Query(ge=1, le=max(CHOICES))] = 30,
) -> Response:
    """What stored version `version` would have done with the last `days` days' cases, side
    by side with what the active version did (both replayed)."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, ONLY_SUPERVISORS)
        if isinstance(visit, Response):
            return visit
        try:
            candidate = service.get(session, version)
            active = service.active(session)
            if active is None:
                return _notice(visit, 409, "No active version", "Activate a version first.")
            proposed = service.compiled(session, candidate.id, candidate.fingerprint)
        except NotFound as missing:
            return _notice(visit, 404, "No such policy version", str(missing).capitalize())
        except PolicyInvalid as error:
            return _notice(visit, 409, "This version cannot be replayed", str(error))
        now = parts.clock.now_us()
        # A supervisor who sees some teams' cases replays those (ESCALON_CASE_VISIBILITY).
        scope = scope_of(session, visit, parts)
        past = history(session, since=now - days * DAY_US, until=now + 1, scope=scope)
    if not past.cases:
        return _notice(
            visit,
            200,
            "Nothing to replay",
            f"No case you may see was opened in the last {days} days: there is no history to "
            "compare on.",
        )
    result = _compare(parts, active, proposed, past, now)
    return page(
        "compare.html",
        visit=visit,
        view=ComparisonView(result),
        intro=_intro(past, days, candidate.id),
    )


def _compare(
    parts: Parts, active: Policy, proposed: Policy, past: History, now: int
) -> dict[str, Any]:
    """Both versions over the history's events, in this process, up to now."""
    skipped: list[str] = []
    reads_text = needs_detector(active, None) or needs_detector(proposed, None)
    return compare_files(
        [active, proposed],
        enumerate(past.lines, start=1),
        parts.analyzer if reads_text else None,
        now,
        [None, None],
        lambda number, why: skipped.append(f"{number}: {why}"),
    )


def _intro(past: History, days: int, version_id: int) -> str:
    cut = f" (the newest {MAX_CASES:,}: more were opened)" if past.cut else ""
    return (
        f"A is the active version, B stored version #{version_id}. Both replayed the "
        f"{past.cases:,} cases opened in the last {days} days that you may see{cut}, told again "
        "from the audit "
        "trail: what customers and people did stays as it happened, what the policy decided "
        "is decided anew. Replies and resolutions happened at their recorded times whatever "
        "B would have decided, so B's later effects are an estimate."
    )


def _notice(visit: Visit, status_code: int, title: str, text: str) -> HTMLResponse:
    return page("notice.html", status_code, title=title, text=text, visit=visit)
