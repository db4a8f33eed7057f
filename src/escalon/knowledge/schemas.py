"""What the knowledge base's API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalon.core.fields import Name, Trimmed
from escalon.knowledge.articles import ARTICLE_ID, MAX_ARTICLE_BYTES

Slug = Annotated[str, StringConstraints(pattern=ARTICLE_ID.pattern)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=300), Trimmed]
Body = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ARTICLE_BYTES), Trimmed]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50), Trimmed]
Audience = Literal["public", "internal"]
MAX_TAGS = 20
# A reply carries a few articles, not a help centre.
MAX_ATTACHED = 3


class ArticleIn(BaseModel):
    """A new article."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug = Field(description="its name in links and imports: letters, digits, _ - .")
    title: Title
    body: Body = Field(description="Markdown")
    category: Name | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    audience: Audience = Field(
        "public", description="public: customers may be sent it; internal: staff only"
    )


class ArticleChange(BaseModel):
    """What to change of an article (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    category: Name | None = None
    tags: list[Tag] | None = Field(None, max_length=MAX_TAGS)
    audience: Audience | None = None
    archived: bool | None = Field(
        None, description="true: no longer suggested or shown to customers"
    )


class ArticleOut(BaseModel):
    """An article as stored."""

    id: int
    slug: str
    title: str
    body: str
    category: str | None
    tags: list[str]
    audience: Audience
    archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


class ArticleMatch(BaseModel):
    """An article that answers a text, and how well (cosine similarity, 0 to 1)."""

    slug: str
    title: str
    category: str | None
    audience: Audience
    score: float


class ImportOut(BaseModel):
    """What an import did."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]
    archived: list[str]
