"""Articles on their way to a customer: attached to a reply, or with an acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.errors import Invalid
from escalon.knowledge import matching
from escalon.knowledge.models import KnowledgeArticle
from escalon.knowledge.schemas import MAX_ATTACHED


def help_url(public_url: str, slug: str) -> str:
    """Where a customer reads a public article (`/help/{slug}` on the public address)."""
    return f"{public_url.rstrip('/')}/help/{slug}"


def payload_of(row: KnowledgeArticle, public_url: str) -> dict[str, Any]:
    """What a message records of an article: as sent (later edits do not rewrite the past), with
    the link to it when customers can reach Escalon, else its text to read in the message."""
    found: dict[str, Any] = {"slug": row.slug, "title": row.title, "version": row.version}
    if public_url:
        found["url"] = help_url(public_url, row.slug)
    else:
        found["text"] = row.body
    return found


def attachable(session: Session, slugs: Sequence[str], public_url: str) -> list[dict[str, Any]]:
    """The payloads of the articles an agent attaches to a reply; Invalid names an article
    that does not exist, is archived, or is for staff only."""
    wanted = list(dict.fromkeys(slugs))
    if len(wanted) > MAX_ATTACHED:
        raise Invalid(f"attach at most {MAX_ATTACHED} articles to a reply")
    if not wanted:
        return []
    rows = {
        row.slug: row
        for row in session.scalars(
            select(KnowledgeArticle).where(KnowledgeArticle.slug.in_(wanted))
        )
    }
    for slug in wanted:
        row = rows.get(slug)
        if row is None or row.archived:
            raise Invalid(f"no article {slug!r} to attach")
        if row.audience != "public":
            raise Invalid(f"article {slug!r} is for staff only: it cannot be sent to a customer")
    return [payload_of(rows[slug], public_url) for slug in wanted]


def for_acknowledgement(
    session: Session, text: str, *, min_match: float, public_url: str
) -> dict[str, Any] | None:
    """The public article that answers a first message at least `min_match` well, if any."""
    found = matching.suggest(session, [text], top=1, public_only=True)[0]
    if not found or found[0].score < min_match:
        return None
    row = session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.slug == found[0].slug))
    return None if row is None else payload_of(row, public_url)
