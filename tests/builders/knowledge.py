"""Knowledge-base articles written through the API of a seeded workspace."""

from __future__ import annotations

from typing import Any

from tests.builders.cases import open_case
from tests.builders.workspace import Workspace

PASSWORD = {
    "slug": "reset-password",
    "title": "Reset your password",
    "body": "If you forgot your password or cannot sign in, open the sign-in page, choose "
    "*Forgot password* and follow the link we e-mail you. The link works for one hour.",
    "category": "account",
    "tags": ["password", "sign-in"],
}
REFUND = {
    "slug": "refund-policy",
    "title": "Refunds for cancelled orders",
    "body": "Cancelled orders are refunded to the card used within five working days. "
    "Partial refunds apply when part of an order has shipped.",
    "category": "billing",
}
INTERNAL = {
    "slug": "fraud-checks",
    "title": "How we check suspected fraud",
    "body": "Staff only: compare the billing and shipping country and the card's issuer before "
    "refunding an order above 500 euros.",
    "category": "billing",
    "audience": "internal",
}


def write_article(ws: Workspace, article: dict[str, Any], role: str = "supervisor") -> Any:
    """POST an article; the response, whatever it is."""
    return ws.client.post("/api/v1/kb/articles", json=article, headers=ws.headers(role))


def write_articles(ws: Workspace, *articles: dict[str, Any]) -> None:
    """Write each article as the supervisor (each must be accepted)."""
    for article in articles:
        answer = write_article(ws, article)
        assert answer.status_code == 201, answer.text


def cannot_sign_in(ws: Workspace) -> int:
    """A case whose customer forgot their password: the password article answers it."""
    opened = open_case(
        ws,
        subject="Cannot sign in",
        body="I forgot my password and the sign-in page keeps refusing me. How do I reset it?",
    )
    return int(opened["id"])


def archive(ws: Workspace, slug: str, version: int = 1) -> None:
    """Archive an article as the supervisor (it must be accepted)."""
    answer = ws.client.patch(
        f"/api/v1/kb/articles/{slug}",
        json={"archived": True},
        headers=ws.headers("supervisor", **{"If-Match": f'"{version}"'}),
    )
    assert answer.status_code == 200, answer.text
