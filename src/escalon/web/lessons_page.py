"""The lessons page: what would have prevented past escalations, searchable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from escalon.errors import EscalonError
from escalon.learning.lessons import lessons
from escalon.web.access import scope_of
from escalon.web.common import SIGN_IN, Parts, page, redirect, visit_of
from escalon.web.numbers_page import Param

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/lessons", response_class=HTMLResponse)
def lessons_page(request: Request, parts: Parts, q: Param = None) -> Response:
    """The lessons of the cases in the person's sight, newest first; `q` narrows by words."""
    words = (q or "").strip()[:200]
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        try:
            found = lessons(session, scope=scope_of(session, visit, parts), words=words, limit=200)
        except EscalonError as error:
            return page("notice.html", 400, title="Cannot search", text=str(error), visit=visit)
    return page("lessons.html", visit=visit, lessons=found, q=words)
