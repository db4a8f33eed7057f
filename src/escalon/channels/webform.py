"""Intake from the public contact form: each post opens a case with channel `web`.

The function commits nothing: it writes in the caller's transaction. How often a client or an
address may post is `escalon.ratelimits.edge`'s business, before this is called.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.cases.acting import Actor
from escalon.cases.models import Customer
from escalon.cases.schemas import CustomerIn
from escalon.channels import intake
from escalon.channels.schemas import ContactForm
from escalon.core.signals import TextAnalyzer

WEB_FORM = Actor(user_id=None, name="web-form", role="integration")


def receive_contact_form(
    session: Session, *, form: ContactForm, now: int, analyzer: TextAnalyzer | None
) -> int:
    """Open a case (channel `web`) from the contact form; returns its id.

    The customer is the one whose ref or e-mail address is the form's address, else a new one
    with that address as ref. A known customer's record is not changed: the form is not
    authenticated, and anyone may type anyone's address.
    """
    known = _known_customer(session, form.email.lower())
    customer = (
        {"customer_id": known}
        if known is not None
        else {"customer": CustomerIn(ref=form.email.lower(), name=form.name, email=form.email)}
    )
    return intake.open_case(
        session,
        actor=WEB_FORM,
        now=now,
        analyzer=analyzer,
        details={"form": "contact", "name": form.name, "email": form.email},
        **customer,
        subject=form.subject.strip() or intake.subject("Contact form", form.message),
        body=form.message,
        channel="web",
        category=form.category,
    )


def _known_customer(session: Session, ref: str) -> int | None:
    """The customer whose ref is the address, else the first whose e-mail address it is."""
    known = session.scalar(select(Customer.id).where(Customer.ref == ref))
    if known is None:
        known = session.scalar(
            select(Customer.id)
            .where(func.lower(Customer.email) == ref)
            .order_by(Customer.id)
            .limit(1)
        )
    return known
