"""The knowledge base's API: articles to read, write and archive, and those that answer a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from escalon.auth.access import STAFF, Context, Reader, Staff, Supervisor
from escalon.cases import visibility
from escalon.errors import CREATES, NotFound, error_responses
from escalon.knowledge import gaps, matching, service
from escalon.knowledge.schemas import (
    ArticleChange,
    ArticleIn,
    ArticleMatch,
    ArticleOut,
    Audience,
    Slug,
)
from escalon.request_params import IfMatch

router = APIRouter(prefix="/api/v1")
SlugPath = Annotated[Slug, Path(description="the article's name")]
Id = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]


def _tagged(response: Response, article: ArticleOut) -> ArticleOut:
    response.headers["ETag"] = f'"{article.version}"'
    return article


@router.get("/kb/articles", tags=["knowledge"], responses=error_responses(401, 403, 422))
def list_articles(
    context: Reader,
    q: Annotated[str, Query(max_length=200, description="every word must occur")] = "",
    category: Annotated[str | None, Query(max_length=100)] = None,
    audience: Audience | None = None,
    archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 100,
) -> list[ArticleOut]:
    """Articles by title (archived ones with `archived=true`); an integration, which may show
    them to customers, reads the public ones in use only."""
    if not _staff(context):
        if audience == "internal" or archived:
            return []
        audience = "public"
    with context.db.read() as session:
        rows = service.listing(
            session,
            words=q,
            category=category,
            audience=audience,
            archived=archived,
            limit=limit,
        )
        return [service.article_out(row) for row in rows]


@router.post("/kb/articles", tags=["knowledge"], **CREATES)
def create_article(body: ArticleIn, response: Response, context: Supervisor) -> ArticleOut:
    """Write a new article (supervisors and admins)."""
    with context.db.write() as session:
        row = service.create(session, body, author=context.principal.name, now=context.now())
        context.audit(session, "article.created", f"article:{row.slug}")
        return _tagged(response, service.article_out(row))


@router.get("/kb/articles/{slug}", tags=["knowledge"], responses=error_responses(401, 403, 404))
def get_article(slug: SlugPath, response: Response, context: Reader) -> ArticleOut:
    """One article, archived or not (for an integration: public and in use); its ETag is its
    version."""
    with context.db.read() as session:
        row = service.find(session, slug)
        if not _staff(context) and (row.audience != "public" or row.archived):
            raise NotFound(f"no article {slug!r}")
        return _tagged(response, service.article_out(row))


def _staff(context: Context) -> bool:
    """Whether the caller is a person on the team (not an integration, which may show what it
    reads to customers)."""
    return context.principal.role in STAFF


@router.patch(
    "/kb/articles/{slug}",
    tags=["knowledge"],
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
def change_article(
    slug: SlugPath, body: ArticleChange, response: Response, context: Supervisor, version: IfMatch
) -> ArticleOut:
    """Change an article, or archive it (`archived: true`); requires If-Match with its version."""
    with context.db.write() as session:
        row = service.change(
            session, slug, body, version=version, author=context.principal.name, now=context.now()
        )
        changed = sorted(body.model_dump(exclude_unset=True))
        action = "article.archived" if body.archived else "article.updated"
        context.audit(session, action, f"article:{slug}", {"fields": changed})
        return _tagged(response, service.article_out(row))


@router.get(
    "/cases/{case_id}/articles",
    tags=["knowledge"],
    responses=error_responses(401, 403, 404, 422),
)
def case_articles(
    case_id: Id,
    context: Staff,
    top: Annotated[int, Query(ge=1, le=10)] = 3,
) -> list[ArticleMatch]:
    """The articles that best answer the case's messages, best first, with how well."""
    with context.db.read() as session:
        visibility.require(session, context.scope(session), case_id)
        return matching.for_case(session, case_id, top=top)


@router.get("/kb/gaps", tags=["knowledge"], responses=error_responses(401, 403, 422))
def knowledge_gaps(
    context: Supervisor, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[gaps.Gap]:
    """Categories whose escalated cases of the last `days` often have no article answering
    them, then the recurring topics of the latest topic run likewise; gaps first in each."""
    with context.db.read() as session:
        scope = context.scope(session)
        by_category = gaps.gaps(session, since=context.now() - days * gaps.DAY_US, scope=scope)
        return [*by_category, *gaps.topic_gaps(session, scope=scope)]
