"""Customers as case openings meet them: found by reference or created, in one upsert, and
what a request says of a known customer that differs from what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.cases import search
from escalon.cases.models import Customer
from escalon.cases.schemas import CustomerIn
from escalon.database.dialect import insert_ignoring_conflict

# Who may change a known customer's name, address or tier by opening a case with other values.
CUSTOMER_EDITORS = ("admin", "supervisor")
CUSTOMER_FIELDS = ("name", "email", "tier", "timezone")

# A customer field: (stored, given) where a request differs from the stored customer.
Differences = dict[str, tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What a case needs of its customer."""

    id: int
    ref: str
    name: str | None
    email: str | None
    tier: str | None
    timezone: str | None = None


def find_or_create(session: Session, *, data: CustomerIn, now: int) -> tuple[CustomerFacts, bool]:
    """The customer with `data.ref`, created from `data` if new, and whether it was created now;
    a known one is not changed (changing a customer is `PATCH /customers/{id}`, a supervisor's
    act). Of two requests creating one customer at once, one creates it and the other finds it.
    """
    created = session.execute(
        insert_ignoring_conflict(session, Customer)
        .values(**data.model_dump(), created_at=now, updated_at=now)
        .returning(Customer.id)
    ).first()
    if created is not None:
        return CustomerFacts(
            created[0], data.ref, data.name, data.email, data.tier, data.timezone
        ), True
    # Created meanwhile by a concurrent request: use that one.
    found = session.execute(
        select(
            Customer.id,
            Customer.ref,
            Customer.name,
            Customer.email,
            Customer.tier,
            Customer.timezone,
        ).where(Customer.ref == data.ref)
    ).one()
    return CustomerFacts(*found), False


def differences(found: CustomerFacts, data: CustomerIn) -> Differences:
    """How the request's customer data differs from the stored customer's."""
    return {
        name: (getattr(found, name), getattr(data, name))
        for name in CUSTOMER_FIELDS
        if getattr(data, name) is not None and getattr(data, name) != getattr(found, name)
    }


def take_changes(
    session: Session, found: CustomerFacts, differing: Differences, now: int
) -> CustomerFacts:
    """Store the request's values where they differ (a supervisor's or admin's opening)."""
    changed = {name: given for name, (_stored, given) in differing.items()}
    session.execute(
        update(Customer)
        .where(Customer.id == found.id)
        .values(**changed, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = CustomerFacts(
        found.id,
        found.ref,
        changed.get("name", found.name),
        changed.get("email", found.email),
        changed.get("tier", found.tier),
        changed.get("timezone", found.timezone),
    )
    if search.CUSTOMER_FIELDS & changed.keys():
        search.customer_changed(
            session, customer_id=found.id, ref=found.ref, name=result.name, email=result.email
        )
    return result


def audit_entry(role: str, differing: Differences, at: int) -> dict[str, Any]:
    """The case's audit entry for customer data that differed from the stored customer's:
    `customer.updated` when the actor may change customers, else `customer.differs` (kept)."""
    if role in CUSTOMER_EDITORS:
        data = {name: {"from": stored, "to": given} for name, (stored, given) in differing.items()}
        return {"kind": "customer.updated", "at": at, "data": data}
    data = {name: {"kept": stored, "given": given} for name, (stored, given) in differing.items()}
    return {"kind": "customer.differs", "at": at, "data": data}
