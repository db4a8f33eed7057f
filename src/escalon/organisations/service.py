"""Customer organisations in the database: written, changed, removed, and found for a customer.

Services take keyword-only arguments and do not commit: the request or the command owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import func, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases.models import Customer
from escalon.cases.schemas import OrganisationRef
from escalon.core.organisations import domain_of
from escalon.core.state import from_us
from escalon.errors import Conflict, NotFound
from escalon.organisations.models import Organisation, OrganisationDomain
from escalon.organisations.schemas import OrganisationIn, OrganisationOut, OrganisationPatch

By = Literal["assignment", "domain"]


def calendar_of(organisation: Organisation) -> dict[str, Any]:
    """The organisation's calendar in a policy calendar's shape (timezone, hours, holidays)."""
    return {
        "timezone": organisation.timezone,
        "hours": organisation.hours,
        "holidays": list(organisation.holidays),
    }


def by_name(session: Session, name: str) -> Organisation:
    """The organisation called `name`; NotFound otherwise."""
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is None:
        raise NotFound(f"organisation {name!r} does not exist")
    return found


def listed(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def create(session: Session, *, data: OrganisationIn, now: int) -> Organisation:
    """A new organisation; Conflict when its name or one of its domains is taken."""
    _name_free(session, data.name)
    domains = _unique(data.domains)
    _domains_free(session, domains, None)
    organisation = Organisation(
        name=data.name,
        tier=data.tier,
        timezone=data.timezone,
        hours=data.hours,
        holidays=sorted({day.isoformat() for day in data.holidays}),
        created_at=now,
        updated_at=now,
        domains=[OrganisationDomain(domain=domain) for domain in domains],
    )
    session.add(organisation)
    _flush(session)
    return organisation


def change(
    session: Session, *, name: str, data: OrganisationPatch, now: int
) -> tuple[Organisation, dict[str, list[Any]]]:
    """Change an organisation; returns it and each changed field as [before, after]."""
    organisation = by_name(session, name)
    changes: dict[str, list[Any]] = {}
    given = data.model_fields_set
    if "name" in given and data.name is not None and data.name != organisation.name:
        _name_free(session, data.name)
        changes["name"] = [organisation.name, data.name]
        organisation.name = data.name
    for field in ("tier", "timezone", "hours"):
        value = getattr(data, field)
        # A null tier clears it; a null zone or hours means "unchanged".
        wanted = field in given and (value is not None or field == "tier")
        if wanted and value != getattr(organisation, field):
            changes[field] = [getattr(organisation, field), value]
            setattr(organisation, field, value)
    if "holidays" in given and data.holidays is not None:
        holidays = sorted({day.isoformat() for day in data.holidays})
        if holidays != list(organisation.holidays):
            changes["holidays"] = [list(organisation.holidays), holidays]
            organisation.holidays = holidays
    if "domains" in given and data.domains is not None:
        domains = _unique(data.domains)
        before = [item.domain for item in organisation.domains]
        if sorted(domains) != sorted(before):
            _domains_free(session, domains, organisation.id)
            kept = {item.domain: item for item in organisation.domains}
            organisation.domains = [
                kept.get(domain) or OrganisationDomain(domain=domain) for domain in domains
            ]
            changes["domains"] = [before, domains]
    if changes:
        organisation.updated_at = now
        _flush(session)
    return organisation, changes


def remove(session: Session, *, name: str) -> None:
    """Remove an organisation: its customers belong to none (open cases keep their calendar)."""
    organisation = by_name(session, name)
    session.execute(
        update(Customer)
        .where(Customer.organisation_id == organisation.id)
        .values(organisation_id=None)
        .execution_options(synchronize_session=False)
    )
    session.delete(organisation)
    session.flush()


def place(
    session: Session, *, customer: Customer, organisation: str | None, now: int
) -> tuple[str | None, str | None]:
    """Place a customer in an organisation by hand (None: back to their e-mail domain's);
    returns the organisation's name before and after."""
    before = None
    if customer.organisation_id is not None:
        before = session.scalar(
            select(Organisation.name).where(Organisation.id == customer.organisation_id)
        )
    target = None if organisation is None else by_name(session, organisation)
    customer.organisation_id = None if target is None else target.id
    customer.updated_at = now
    session.flush()
    return before, None if target is None else target.name


def of_customer(
    session: Session, *, customer_id: int | None, email: str | None
) -> tuple[Organisation, By] | None:
    """The customer's organisation: the one they were placed in, else their mail domain's."""
    placed = (
        select(Customer.organisation_id).where(Customer.id == customer_id).scalar_subquery()
        if customer_id is not None
        else None
    )
    domain = domain_of(email)
    owner = (
        select(OrganisationDomain.organisation_id)
        .where(OrganisationDomain.domain == domain)
        .scalar_subquery()
        if domain is not None
        else None
    )
    if placed is None and owner is None:
        return None
    # One round trip: the placement wins, the domain is the fallback.
    parts = [part for part in (placed, owner) if part is not None]
    # SQLite's coalesce() takes two arguments at least.
    wanted = parts[0] if len(parts) == 1 else func.coalesce(*parts)
    found = session.execute(
        select(Organisation, placed if placed is not None else null()).where(
            Organisation.id == wanted
        )
    ).first()
    if found is None:
        return None
    organisation, placed_id = found
    return organisation, "assignment" if placed_id == organisation.id else "domain"


def of_known_customer(session: Session, customer_id: int) -> tuple[Organisation, By] | None:
    """A stored customer's organisation (by placement, else by their address's domain)."""
    row = session.execute(
        select(Customer.email, Customer.ref).where(Customer.id == customer_id)
    ).first()
    if row is None:
        return None
    return of_customer(session, customer_id=customer_id, email=row[0] or row[1])


def ref(found: tuple[Organisation, By] | None) -> OrganisationRef | None:
    """A customer's organisation as a case shows it."""
    if found is None:
        return None
    organisation, by = found
    return OrganisationRef(
        name=organisation.name, tier=organisation.tier, timezone=organisation.timezone, by=by
    )


def out(session: Session, organisation: Organisation) -> OrganisationOut:
    """An organisation as the API shows it."""
    customers = session.scalar(
        select(func.count())
        .select_from(Customer)
        .where(Customer.organisation_id == organisation.id)
    )
    return OrganisationOut(
        id=organisation.id,
        name=organisation.name,
        tier=organisation.tier,
        timezone=organisation.timezone,
        hours=organisation.hours,
        holidays=list(organisation.holidays),
        domains=[item.domain for item in organisation.domains],
        customers=int(customers or 0),
        created_at=from_us(organisation.created_at),
        updated_at=from_us(organisation.updated_at),
    )


def _unique(domains: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(domains))


def _name_free(session: Session, name: str) -> None:
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise Conflict(f"an organisation called {name!r} already exists")


def _domains_free(session: Session, domains: list[str], organisation_id: int | None) -> None:
    if not domains:
        return
    query = (
        select(OrganisationDomain.domain, Organisation.name)
        .join(Organisation, Organisation.id == OrganisationDomain.organisation_id)
        .where(OrganisationDomain.domain.in_(domains))
    )
    if organisation_id is not None:
        query = query.where(OrganisationDomain.organisation_id != organisation_id)
    taken = session.execute(query.order_by(OrganisationDomain.domain)).first()
    if taken is not None:
        raise Conflict(f"the domain {taken[0]!r} already belongs to organisation {taken[1]!r}")


def _flush(session: Session) -> None:
    """Write now, so that a name or domain taken meanwhile by another request is a Conflict."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "another request took this organisation's name or one of its domains meanwhile"
        ) from None
