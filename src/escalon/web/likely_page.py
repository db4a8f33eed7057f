"""The "likely escalations" page: open cases in the reader's sight that were never escalated,
highest escalation risk first, with the signals behind each (supervisors, managers, admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from escalon.core.state import from_us
from escalon.forecast import risk
from escalon.web.access import scope_of
from escalon.web.common import Parts, Visit, page, supervisor_visit

router = APIRouter(prefix="/ui", include_in_schema=False)
_WHO = "Only supervisors and managers see the likely escalations."
SHOWN = 50


@router.get("/likely-escalations", response_class=HTMLResponse)
def likely_page(request: Request, parts: Parts) -> Response:
    """The open, never escalated cases the reader may see, riskiest first."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, _WHO)
        if not isinstance(visit, Visit):
            return visit
        found = risk.likely(session, scope=scope_of(session, visit, parts), limit=SHOWN)
        model = risk.model_facts(session)
    opened = {item.id: f"{from_us(item.opened_at):%a %-d %b %H:%M} UTC" for item in found}
    return page(
        "likely.html",
        visit=visit,
        cases=found,
        opened=opened,
        model=model,
        trained=None if model is None else f"{from_us(model.trained_at):%-d %b %Y %H:%M} UTC",
        no_model=risk.NO_MODEL,
        shown=SHOWN,
    )
