"""Who may write into a case by e-mail: its customer, and the participants the case knows.

A participant is an address besides the customer's: one staff added, or one the customer copied
in (Cc) on a mail of their own. Their mail joins the case under their own address. Everyone else
who answers a case's thread opens a case of their own (see `escalon.channels.mail`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from escalon.cases.models import Case, Customer
from escalon.channels.email import normalise_address
from escalon.channels.models import CaseParticipant
from escalon.database.dialect import insert_ignoring_conflict

Writer = Literal["customer", "participant"]
# How many participants one customer mail may add by copying people in.
CC_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Participant:
    """An address that may write into a case."""

    address: str
    source: str  # staff, cc
    added_by: str
    added_at: int


def writer_of(session: Session, case_id: int, sender: str | None) -> Writer | None:
    """Whether `sender` (a normalised address) is the case's customer, a participant, or neither."""
    if not sender:
        return None
    customer_email = session.scalar(
        select(Customer.email).join(Case, Case.customer_id == Customer.id).where(Case.id == case_id)
    )
    if customer_email and normalise_address(customer_email) == sender:
        return "customer"
    known = session.scalar(
        select(CaseParticipant.id).where(
            CaseParticipant.case_id == case_id, CaseParticipant.address == sender
        )
    )
    return "participant" if known is not None else None


def listed(session: Session, case_id: int) -> list[Participant]:
    """The case's participants, in the order they were added."""
    rows = session.execute(
        select(
            CaseParticipant.address,
            CaseParticipant.source,
            CaseParticipant.added_by,
            CaseParticipant.added_at,
        )
        .where(CaseParticipant.case_id == case_id)
        .order_by(CaseParticipant.id)
    ).all()
    return [Participant(*row) for row in rows]


def add(
    session: Session, *, case_id: int, addresses: list[str], source: str, by: str, now: int
) -> list[str]:
    """Add addresses (normalised already) to the case; returns those that were new."""
    added = []
    for address in dict.fromkeys(addresses):
        created = session.execute(
            insert_ignoring_conflict(session, CaseParticipant)
            .values(case_id=case_id, address=address, source=source, added_by=by, added_at=now)
            .returning(CaseParticipant.id)
        ).first()
        if created is not None:
            added.append(address)
    return added


def remove(session: Session, *, case_id: int, address: str) -> bool:
    """Take an address off the case; whether it was there."""
    result: Any = session.execute(
        delete(CaseParticipant).where(
            CaseParticipant.case_id == case_id, CaseParticipant.address == address
        )
    )
    return bool(result.rowcount)
