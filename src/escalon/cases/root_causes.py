"""Root causes: what a resolution names as the cause, checked against the policy's codes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.cases.categories import labelled_openings
from escalon.cases.models import Case, Message
from escalon.core.policy import Policy
from escalon.core.rules.fields import OTHER_CAUSE
from escalon.core.rules.words import suggest
from escalon.errors import Invalid


@dataclass(frozen=True, slots=True)
class NamedCause:
    """A root cause as stored: the policy's code (None without codes) and the words shown."""

    code: str | None
    words: str


def named_cause(
    policy: Policy, code: str | None, words: str | None, *, resolving_escalated: bool
) -> NamedCause | None:
    """The cause a request names (None: it names none); Invalid says what is missing or wrong.

    With codes in the policy, words alone are an `other` cause, and resolving an escalated case
    must name one: the numbers and the review count escalations by cause. Without codes, the
    cause is free text, as before the policy could list them.
    """
    causes = policy.root_causes
    if code is None and words is None:
        if resolving_escalated and causes:
            raise Invalid(
                "name the root cause of this escalated case: root_cause_code, one of "
                f"{', '.join(causes)}, or '{OTHER_CAUSE}' with root_cause in words"
            )
        return None
    if not causes:
        if code is not None:
            raise Invalid(
                "the case's policy lists no root-cause codes: name the cause in words (root_cause)"
            )
        assert words is not None
        return NamedCause(None, words)
    if code is None or code == OTHER_CAUSE:
        if words is None:
            raise Invalid(f"'{OTHER_CAUSE}' needs the cause in words (root_cause)")
        return NamedCause(OTHER_CAUSE, words)
    if code not in causes:
        raise Invalid(
            f"unknown root cause code {code!r}{suggest(code, causes)}; the policy lists "
            f"{', '.join(causes)} (or '{OTHER_CAUSE}' with root_cause in words)"
        )
    return NamedCause(code, words or causes[code])


def labelled_causes(session: Session, *, limit: int = 200_000) -> tuple[list[str], list[str]]:
    """Texts (subject and opening message) and root-cause codes of the latest cases resolved
    with a code of the policy (`other` is no code to learn)."""
    return labelled_openings(
        session, Case.root_cause_code, [Case.root_cause_code != OTHER_CAUSE], limit=limit
    )


def opening_text(session: Session, case_id: int) -> str:
    """The case's subject and the customer's first message: what a suggestion reads."""
    subject = session.scalar(select(Case.subject).where(Case.id == case_id)) or ""
    body = session.scalar(
        select(Message.body)
        .where(Message.case_id == case_id, Message.author_kind == "customer")
        .order_by(Message.id)
        .limit(1)
    )
    return "\n".join(part for part in (subject, body) if part)
