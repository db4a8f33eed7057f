"""Knowledge-base articles written through the API of a seeded workspace."""

from __future__ import annotations

from typing import Any

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
SHIPPING = {
    "slug": "track-a-parcel",
    "title": "Track your parcel",
    "body": "Every shipped order has a tracking number in its shipping confirmation. Open the "
    "carrier's tracking page with it to see where your parcel is and when it arrives.",
    "category": "delivery",
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
