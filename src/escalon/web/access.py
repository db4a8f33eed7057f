"""Which cases a signed-in person sees and acts on in the dashboard: the same scope as the API's
(`escalon.cases.visibility`, set by ESCALON_CASE_VISIBILITY)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.acting import Actor
from escalon.cases.views import By
from escalon.services import Services
from escalon.web.common import Visit


def acting(visit: Visit, parts: Services) -> Actor:
    """The person as the case use cases see them, limited to the cases they may see."""
    return replace(visit.actor, visibility=parts.settings.case_visibility)


def by(visit: Visit, parts: Services) -> By:
    """The person and the current instant, passed on to a use case as `**by(visit, parts)`."""
    return By(actor=acting(visit, parts), now=parts.clock.now_us())


def scope_of(session: Session, visit: Visit, parts: Services) -> visibility.Scope:
    """The cases the person may see."""
    principal = visit.principal
    return visibility.scope(
        session,
        role=principal.role,
        agent=principal.agent,
        mode=parts.settings.case_visibility,
    )
