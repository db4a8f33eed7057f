"""The knowledge base in the database: articles written, changed, archived, imported, listed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalon.errors import Conflict, Invalid, NotFound, StaleVersion, VersionRequired
from escalon.knowledge.articles import Article
from escalon.knowledge.models import KnowledgeArticle
from escalon.knowledge.schemas import ArticleChange, ArticleIn, ArticleOut, ImportOut
from escalon.outputs import from_row

MAX_LIST = 500


def article_out(row: KnowledgeArticle) -> ArticleOut:
    """The API's view of a stored article."""
    return from_row(
        ArticleOut, row, instants=("created_at", "updated_at"), tags=list(row.tags or [])
    )


def find(session: Session, slug: str) -> KnowledgeArticle:
    """The article named `slug` (archived ones too); NotFound otherwise."""
    row = session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.slug == slug))
    if row is None:
        raise NotFound(f"no article {slug!r}")
    return row


def create(session: Session, data: ArticleIn, *, author: str, now: int) -> KnowledgeArticle:
    """Add an article; Conflict when its slug is taken (archived articles keep theirs)."""
    row = KnowledgeArticle(
        slug=data.slug,
        title=data.title,
        body=data.body,
        category=data.category,
        tags=_tags(data.tags),
        audience=data.audience,
        archived=False,
        version=1,
        created_at=now,
        updated_at=now,
        updated_by=author,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"an article named {data.slug!r} exists already") from None
    return row


def change(
    session: Session,
    slug: str,
    data: ArticleChange,
    *,
    version: int | None,
    author: str,
    now: int,
) -> KnowledgeArticle:
    """Change an article based on the copy of `version`; StaleVersion when it moved on since."""
    if version is None:
        raise VersionRequired(
            'send the article\'s version in If-Match (e.g. If-Match: "2"), so a change based '
            "on an older copy is refused"
        )
    row = find(session, slug)
    values: dict[str, Any] = data.model_dump(exclude_unset=True)
    for required in ("title", "body", "audience", "archived", "tags"):
        if required in values and values[required] is None:
            raise Invalid(f"{required} cannot be null")
    if "tags" in values:
        values["tags"] = _tags(values["tags"])
    if not values:
        return row
    # Compare and set: of two edits of the same copy, the second is refused, not lost.
    done: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(KnowledgeArticle)
        .where(KnowledgeArticle.id == row.id, KnowledgeArticle.version == version)
        .values(**values, version=version + 1, updated_at=now, updated_by=author)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise StaleVersion(
            f"article {slug!r} is at version {row.version}, not {version}: someone changed it "
            "since; reload it and make your change again"
        )
    session.refresh(row)
    return row


def listing(
    session: Session,
    *,
    words: str = "",
    category: str | None = None,
    audience: str | None = None,
    archived: bool = False,
    limit: int = 100,
) -> list[KnowledgeArticle]:
    """Articles by title; `words` must each occur in the title, body or tags."""
    query = select(KnowledgeArticle).where(KnowledgeArticle.archived.is_(archived))
    if category is not None:
        query = query.where(KnowledgeArticle.category == category)
    if audience is not None:
        query = query.where(KnowledgeArticle.audience == audience)
    for word in words.split()[:10]:
        pattern = f"%{_escaped(word.casefold())}%"
        query = query.where(
            or_(
                func.lower(KnowledgeArticle.title).like(pattern, escape="\\"),
                func.lower(KnowledgeArticle.body).like(pattern, escape="\\"),
            )
        )
    query = query.order_by(KnowledgeArticle.title, KnowledgeArticle.id).limit(min(limit, MAX_LIST))
    return list(session.scalars(query))


def categories(session: Session) -> list[str]:
    """The categories the articles in use name."""
    found = session.scalars(
        select(KnowledgeArticle.category)
        .where(KnowledgeArticle.archived.is_(False), KnowledgeArticle.category.is_not(None))
        .distinct()
    )
    return sorted(name for name in found if name)


def import_articles(
    session: Session,
    articles: Sequence[Article],
    *,
    author: str,
    now: int,
    audience: str = "public",
    archive_missing: bool = False,
) -> ImportOut:
    """Make the base hold these articles (by slug): new ones added, changed ones updated (and
    brought back if archived), the same ones left; with `archive_missing`, the others archived.
    An article's audience is kept once it exists: the folder has no say in who may read it."""
    if len({article.id for article in articles}) != len(articles):
        raise Invalid("two articles of the import have the same name")
    stored = {row.slug: row for row in session.scalars(select(KnowledgeArticle))}
    result = ImportOut(created=[], updated=[], unchanged=[], archived=[])
    for article in articles:
        values = {
            "title": article.title,
            "body": article.body,
            "category": article.category,
            "tags": _tags(list(article.tags)),
        }
        row = stored.get(article.id)
        if row is None:
            session.add(
                KnowledgeArticle(
                    slug=article.id,
                    **values,
                    audience=audience,
                    archived=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    updated_by=author,
                )
            )
            result.created.append(article.id)
        elif row.archived or any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.archived = False
            row.version += 1
            row.updated_at, row.updated_by = now, author
            result.updated.append(article.id)
        else:
            result.unchanged.append(article.id)
    if archive_missing:
        named = {article.id for article in articles}
        for slug, row in sorted(stored.items()):
            if slug not in named and not row.archived:
                row.archived = True
                row.version += 1
                row.updated_at, row.updated_by = now, author
                result.archived.append(slug)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "an article of the import was added by someone else meanwhile; run the import again"
        ) from None
    return result


def _tags(tags: Sequence[str]) -> list[str]:
    """Tags once each, in the order given."""
    return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
