"""The public help pages: the knowledge base's public articles, for customers to read.

Anyone may open them (no sign-in): they show public articles that are not archived, and
nothing else; an internal or archived article is a 404, as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from escalon.auth.access import services
from escalon.knowledge import service
from escalon.knowledge.articles import ARTICLE_ID
from escalon.knowledge.models import KnowledgeArticle
from escalon.knowledge.rendering import to_html
from escalon.ratelimits.edge import public_page
from escalon.services import Services
from escalon.templating import PAGE_HEADERS, html_page, page_templates

# Anyone may open these pages: each request counts against its client's limit (429 page).
router = APIRouter(include_in_schema=False, dependencies=[Depends(public_page)])
Parts = Annotated[Services, Depends(services)]
HEADERS = {**PAGE_HEADERS, "Referrer-Policy": "no-referrer"}

# The customer pages' own look (`escalon.channels`' base template).
_templates = page_templates("escalon.knowledge", "escalon.channels")


def _page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return html_page(_templates, name, status_code, HEADERS, **context)


def _public(row: KnowledgeArticle | None) -> bool:
    return row is not None and row.audience == "public" and not row.archived


@router.get("/help", response_class=HTMLResponse)
def help_index(parts: Parts, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The public articles by title; `q` narrows by words."""
    words = q.strip()
    with parts.database.read() as session:
        rows = service.listing(session, words=words, audience="public", limit=service.MAX_LIST)
        articles = [(row.slug, row.title, row.category) for row in rows]
    return _page("help_index.html", articles=articles, q=words)


@router.get("/help/{slug}", response_class=HTMLResponse)
def help_article(slug: str, parts: Parts) -> HTMLResponse:
    """One public article."""
    shown: dict[str, Any] | None = None
    if ARTICLE_ID.match(slug):
        with parts.database.read() as session:
            row = session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.slug == slug))
            if _public(row):
                assert row is not None
                shown = {
                    "title": row.title,
                    "body": to_html(row.body),
                    "category": row.category,
                    "tags": list(row.tags or []),
                }
    if shown is None:
        return _page(
            "notice.html",
            404,
            title="No such article",
            text="We could not find this help article. It may have been moved or retired.",
        )
    return _page("help_article.html", **shown)
