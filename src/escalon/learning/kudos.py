"""Celebrating successes: kudos for escalations resolved well, and kudos people give by hand.

An escalated case resolved in the window earns kudos when its resolution clock never breached, when
the customer's survey says 4 or 5, or when the customer thanked us after it escalated (a thank-
you the detector's grammar reads as sincere: "thanks for nothing" is not one). They go to the
people who handled it: whoever held it at resolution and whoever acknowledged its escalations.
A person may also give kudos by hand to someone who handled a case (never to themselves).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases import visibility
from escalon.cases.acting import Actor
from escalon.cases.models import Case, ClockEvent, Escalation, Message
from escalon.cases.updating import require_active_agent
from escalon.core.state import from_us
from escalon.errors import Conflict, Forbidden, Invalid, NotFound
from escalon.learning.models import Kudos
from escalon.triage.grammar import sincere_thanks
from escalon.triage.text import clean, fold

MAX_NOTE = 500
_THANKS_CHARS = 2_000  # a thank-you is said at the start of a message


class KudosIn(BaseModel):
    """Kudos by hand, for how someone handled a case."""

    case_id: int = Field(ge=1, le=2**62)
    person: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE)] = ""


class KudosOut(BaseModel):
    """Kudos for a case: to whom, why, and (given by hand) from whom."""

    case_id: int
    subject: str
    people: list[str]
    reasons: list[str]
    at: datetime
    giver: str | None = None


@dataclass(frozen=True, slots=True)
class Board:
    """Every kudos of a window, newest first, and how many each person earned."""

    kudos: tuple[KudosOut, ...]
    per_person: tuple[tuple[str, int], ...]


def handlers(session: Session, case_id: int) -> list[str]:
    """Who handled a case: its assignee and whoever acknowledged or held its escalations."""
    return handlers_of(session, [case_id]).get(case_id, [])


def handlers_of(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """`handlers` of many cases in two queries (cases nobody handled are left out)."""
    found: dict[int, dict[str, None]] = {}
    for start in range(0, len(case_ids), 1000):
        chunk = case_ids[start : start + 1000]
        for case_id, assignee in session.execute(
            select(Case.id, Case.assignee).where(Case.id.in_(chunk), Case.assignee.is_not(None))
        ):
            found.setdefault(case_id, {})[str(assignee)] = None
        for case_id, acknowledged, holder in session.execute(
            select(Escalation.case_id, Escalation.acknowledged_by, Escalation.holder).where(
                Escalation.case_id.in_(chunk)
            )
        ):
            for handle in (acknowledged, holder):
                if handle:
                    found.setdefault(case_id, {})[handle] = None
    return {case_id: list(people) for case_id, people in found.items()}


def give(
    session: Session,
    request: KudosIn,
    *,
    actor: Actor,
    now: int,
    scope: visibility.Scope = visibility.EVERYTHING,
) -> KudosOut:
    """Give kudos by hand: to an active person who handled a case in the giver's sight."""
    visibility.require(session, scope, request.case_id)
    subject = session.scalar(select(Case.subject).where(Case.id == request.case_id))
    if subject is None:
        raise NotFound(f"case {request.case_id} does not exist")
    if request.person in (actor.agent, actor.name):
        raise Forbidden("kudos are for someone else: nobody gives them to themselves")
    require_active_agent(session, request.person)
    handled = handlers(session, request.case_id)
    if request.person not in handled:
        raise Invalid(
            f"{request.person} did not handle case {request.case_id} "
            f"(who did: {', '.join(handled) or 'nobody yet'})"
        )
    row = Kudos(
        case_id=request.case_id,
        person=request.person,
        giver=actor.name,
        note=request.note,
        at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(
            f"you gave {request.person} kudos for case {request.case_id} already"
        ) from None
    reason = f"kudos from {actor.name}" + (f": {request.note}" if request.note else "")
    return KudosOut(
        case_id=request.case_id,
        subject=subject,
        people=[request.person],
        reasons=[reason],
        at=from_us(now),
        giver=actor.name,
    )


def board(
    session: Session, *, since: int, until: int, scope: visibility.Scope = visibility.EVERYTHING
) -> Board:
    """Kudos earned (escalated cases resolved well) and given (by hand) in [since, until)."""
    earned = _earned(session, since, until, scope)
    given = _given(session, since, until, scope)
    every = sorted([*earned, *given], key=lambda kudos: (kudos.at, kudos.case_id), reverse=True)
    counts: Counter[str] = Counter(person for kudos in every for person in kudos.people)
    return Board(tuple(every), tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))))


def _earned(session: Session, since: int, until: int, scope: visibility.Scope) -> list[KudosOut]:
    query = select(Case.id, Case.subject, Case.resolved_at, Case.survey_score).where(
        Case.escalations > 0,
        Case.resolved_at >= since,
        Case.resolved_at < until,
    )
    condition = scope.where()
    if condition is not None:
        query = query.where(condition)
    cases = {row.id: row for row in session.execute(query)}
    if not cases:
        return []
    ids = list(cases)
    breached = set(
        session.scalars(
            select(ClockEvent.case_id).where(
                ClockEvent.case_id.in_(ids),
                ClockEvent.metric == "resolution",
                ClockEvent.kind == "breach",
            )
        )
    )
    thanked = _thanked(session, ids)
    people_of = handlers_of(session, ids)
    found = []
    for case_id, row in cases.items():
        reasons = []
        if case_id not in breached:
            reasons.append("resolved within its resolution target")
        if row.survey_score is not None and row.survey_score >= 4:
            reasons.append(f"the customer rated it {row.survey_score} of 5")
        if case_id in thanked:
            reasons.append("the customer said thank you")
        if not reasons:
            continue
        people = people_of.get(case_id, [])
        if people:
            found.append(
                KudosOut(
                    case_id=case_id,
                    subject=row.subject,
                    people=people,
                    reasons=reasons,
                    at=from_us(row.resolved_at),
                )
            )
    return found


def _thanked(session: Session, ids: list[int]) -> set[int]:
    """The cases whose customer sincerely thanked us after the case first escalated."""
    first = (
        select(Escalation.case_id, func.min(Escalation.at).label("at"))
        .where(Escalation.case_id.in_(ids), Escalation.action == "escalate")
        .group_by(Escalation.case_id)
        .subquery()
    )
    rows = session.execute(
        select(Message.case_id, Message.body)
        .join(first, and_(first.c.case_id == Message.case_id, Message.at >= first.c.at))
        .where(Message.author_kind == "customer")
    )
    found: set[int] = set()
    for case_id, body in rows:
        if case_id not in found and sincere_thanks(fold(clean((body or "")[:_THANKS_CHARS]))):
            found.add(case_id)
    return found


def _given(session: Session, since: int, until: int, scope: visibility.Scope) -> list[KudosOut]:
    query = (
        select(Kudos, Case.subject)
        .join(Case, Case.id == Kudos.case_id)
        .where(Kudos.at >= since, Kudos.at < until)
    )
    condition = scope.where()
    if condition is not None:
        query = query.where(condition)
    return [
        KudosOut(
            case_id=row.case_id,
            subject=subject,
            people=[row.person],
            reasons=[f"kudos from {row.giver}" + (f": {row.note}" if row.note else "")],
            at=from_us(row.at),
            giver=row.giver,
        )
        for row, subject in session.execute(query)
    ]
