"""The knowledge base's table: help articles kept in the database, managed in the dashboard."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class KnowledgeArticle(Base):
    """One help article: Markdown with a title, a category and tags, for staff or for everyone."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # The article's name in links, imports and `kb suggest`: a Markdown file's name without `.md`.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "public": customers may read it (help page, replies, acknowledgements); "internal": staff only.
    audience: Mapped[str] = mapped_column(String(20), default="public")
    # Archived articles are kept (replies that linked them still resolve for staff) but no longer
    # suggested, listed by default or shown to customers.
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counts every change, so an edit based on an older copy is refused (If-Match).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[int] = mapped_column(Instant)
    updated_at: Mapped[int] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_kb_articles_archived_updated", "archived", "updated_at"),)
