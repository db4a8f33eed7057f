"""Opening a case: from a request (API, e-mail, chat, web form, phone) to the written case.

The hot path of intake: one statement reads everything it needs (active policy, new id,
customer, an earlier request with the same Idempotency-Key), the writes go out in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from psycopg.errors import UniqueViolation
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.cases import acting, categories, customers, idempotency, service
from escalon.cases.acting import Actor
from escalon.cases.customers import CustomerFacts, Differences
from escalon.cases.models import IdempotencyKey
from escalon.cases.schemas import CaseCreate
from escalon.core import engine
from escalon.core.events import CaseOpened
from escalon.core.policy import Policy
from escalon.core.signals import TextAnalyzer
from escalon.core.state import from_us
from escalon.database.base import table_of
from escalon.errors import Conflict, Invalid
from escalon.forecast import breach as breach_forecast
from escalon.organisations import service as organisations
from escalon.policies import service as policies


class Opened(NamedTuple):
    """What opening a case gave: its id, whether an earlier request had made it, and (when this
    one did) the case row as written, joined to its customer and policy, for the answer."""

    case_id: int
    replayed: bool
    row: dict[str, Any] | None


def open_case(
    session: Session,
    *,
    request: CaseCreate,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    idempotency_key: str | None = None,
    tags: Sequence[str] = (),
    message_details: dict[str, Any] | None = None,
) -> Opened:
    """Open a case under the active policy.

    `tags` start the case's tags (a channel flags a case for review so); `message_details` are
    stored with the opening message (what the channel knows of it: e-mail headers, a chat's
    conversation).
    """
    key = idempotency_key if idempotency_key is not None and actor.user_id is not None else None
    facts = service.opening_facts(
        session,
        customer_ref=request.customer.ref if request.customer is not None else None,
        customer_id=request.customer_id,
        user_id=actor.user_id,
        idempotency_key=key,
    )
    earlier = (
        None
        if facts is None
        else idempotency.replayed(idempotency_key, facts.replay_case_id, facts.replay_hash, request)
    )
    if earlier is not None:
        return Opened(earlier, True, None)
    if facts is None:
        raise Conflict("no policy is active: upload one and activate it (POST /api/v1/policies)")
    policy = policies.compiled(session, facts.policy_version_id, facts.policy_fingerprint)
    customer, differing = _customer_of(session, request, facts, now, actor)
    acting.check_names(
        policy,
        priority=request.priority,
        team=request.team,
        impact=request.impact,
        urgency=request.urgency,
    )
    change = _opening_change(
        session, request, facts, policy, customer, actor, now=now, analyzer=analyzer, tags=tags
    )
    if differing:
        change.entries.append(customers.audit_entry(actor.role, differing, now))
    if request.body or request.subject:
        change.messages.append(
            acting.message_row(
                at=now,
                author_kind="customer",
                author=customer.ref,
                public=True,
                channel=request.channel,
                subject=request.subject or None,
                body=request.body,
                details=message_details,
            )
        )
    _write_keyed(session, change, request, actor, key, now)
    row = dict(change.columns or {})
    row.update(
        customer_ref=customer.ref,
        customer_name=customer.name,
        policy_name=policy.name,
        policy_version=policy.version,
        tags=change.state.tags,
    )
    return Opened(facts.case_id, False, row)


def _opening_change(
    session: Session,
    request: CaseCreate,
    facts: service.OpeningFacts,
    policy: Policy,
    customer: CustomerFacts,
    actor: Actor,
    *,
    now: int,
    analyzer: TextAnalyzer | None,
    tags: Sequence[str],
) -> service.Change:
    """The new case as the engine opens it (its opening rules fired), with its audit entry."""
    case_id = facts.case_id
    categorized = categories.at_intake(
        policy,
        given=request.category,
        subject=request.subject,
        body=request.body,
        reader=analyzer,
    )
    # The customer's organisation (placed by hand, else by mail domain) gives the case its
    # calendar, and its tier when neither the request nor the customer has one.
    found = organisations.of_customer(
        session, customer_id=customer.id, email=customer.email or customer.ref
    )
    organisation = None if found is None else found[0]
    tier = request.tier if request.tier is not None else customer.tier
    if tier is None and organisation is not None:
        tier = organisation.tier
    event = CaseOpened(
        at=from_us(now),
        case=str(case_id),
        customer=customer.ref,
        tier=tier,
        organisation=None if organisation is None else organisation.name,
        calendar=None if organisation is None else organisations.calendar_of(organisation),
        channel=request.channel,
        category=categorized.category,
        priority=request.priority,
        impact=request.impact,
        urgency=request.urgency,
        team=request.team,
        subject=request.subject,
        body=request.body,
    )
    try:
        decision = engine.open_case(
            policy,
            event,
            analyzer=analyzer,
            at_us=now,
            staffing=acting.crew(session),
            foresight=breach_forecast.foresight(session, policy),
        )
    except engine.EventRejected as error:
        raise Invalid(str(error)) from None
    loaded = service.LoadedCase(
        id=case_id,
        version=0,
        policy_version_id=facts.policy_version_id,
        customer_id=customer.id,
        subject=request.subject,
        customer_ref=customer.ref,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_timezone=customer.timezone,
        state=decision.state,
        policy=policy,
    )
    if tags:
        decision.state.tags = tuple(dict.fromkeys((*decision.state.tags, *tags)))
    change = service.Change(loaded, decision.state, actor.name, new=True)
    change.category_origin = (categorized.source, categorized.confidence)
    change.add(decision)
    opening = acting.event_data(event, skip=("subject", "body", "calendar"))
    opening |= categorized.entry_data()
    change.entries.append({"kind": "case.opened", "at": now, "data": opening})
    return change


def _write_keyed(
    session: Session,
    change: service.Change,
    request: CaseCreate,
    actor: Actor,
    key: str | None,
    now: int,
) -> None:
    """Write the new case, and its Idempotency-Key with it when the request came with one.

    IdempotencyRace when a concurrent request with the same key committed first.
    """
    also: list[tuple[Table, list[dict[str, Any]]]] = []
    if key is not None:
        assert actor.user_id is not None  # a key is kept for a user only
        row = idempotency.key_row(
            user_id=actor.user_id, key=key, request=request, case_id=change.case.id, now=now
        )
        also.append((table_of(IdempotencyKey), [row]))
    try:
        acting.write(session, [change], now, also=also)
    except (IntegrityError, UniqueViolation) as error:
        if key is not None and "idempotency" in str(error):
            # A concurrent request with the same key committed first: this one is dropped.
            raise idempotency.IdempotencyRace(key) from None
        raise


def _customer_of(
    session: Session, request: CaseCreate, facts: service.OpeningFacts, now: int, actor: Actor
) -> tuple[CustomerFacts, Differences]:
    """The case's customer, found by the opening facts or created from the request, and how
    the request's customer data differs from a known customer's (field: (stored, given)).

    Only supervisors and admins change a known customer so; for anyone else (an integration, a
    channel, an agent) the stored values stay: anyone may type anyone's reference, and a
    changed address would send that customer's replies to a stranger.
    """
    data = request.customer
    if facts.customer_id is None:
        if data is None:
            raise Invalid(f"customer {request.customer_id} does not exist")
        found, created = customers.find_or_create(session, data=data, now=now)
        if created:
            return found, {}
    else:
        assert facts.customer_ref is not None
        found = CustomerFacts(
            facts.customer_id,
            facts.customer_ref,
            facts.customer_name,
            facts.customer_email,
            facts.customer_tier,
            facts.customer_timezone,
        )
    if data is None:
        return found, {}
    differing = customers.differences(found, data)
    if not differing or actor.role not in customers.CUSTOMER_EDITORS:
        return found, differing
    return customers.take_changes(session, found, differing, now), differing
