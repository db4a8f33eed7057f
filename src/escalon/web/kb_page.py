"""The knowledge base in the dashboard: articles to search and read for everyone on the team,
to write, change and archive for supervisors, and the gaps where escalations find no article."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from escalon.admin_audit import service as admin_audit
from escalon.errors import EscalonError, NotFound
from escalon.knowledge import gaps, service
from escalon.knowledge.articles import ARTICLE_ID
from escalon.knowledge.rendering import to_html
from escalon.knowledge.schemas import ArticleChange, ArticleIn, ArticleOut
from escalon.web.access import scope_of
from escalon.web.common import (
    SIGN_IN,
    Csrf,
    Parts,
    Visit,
    form_visit,
    page,
    redirect,
    supervisor_visit,
    visit_of,
)
from escalon.web.numbers_page import Param

router = APIRouter(prefix="/ui", include_in_schema=False)
KB = "/ui/kb"
WRITERS_ONLY = "Only supervisors, managers and admins write knowledge-base articles."
GAP_DAYS = 30
FormText = Annotated[str, Form(max_length=300)]
FormBody = Annotated[str, Form(max_length=200_000)]


@router.get("/kb", response_class=HTMLResponse)
def kb_page(
    request: Request, parts: Parts, q: Param = None, category: Param = None, archived: Param = None
) -> Response:
    """Articles by title, narrowed by words and category; gaps for supervisors."""
    words = (q or "").strip()[:200]
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        rows = service.listing(
            session,
            words=words,
            category=category or None,
            archived=archived == "1",
            limit=service.MAX_LIST,
        )
        found = [service.article_out(row) for row in rows]
        known = service.categories(session)
        shown_gaps, topic_gaps = [], []
        if visit.supervises:
            scope = scope_of(session, visit, parts)
            since = parts.clock.now_us() - GAP_DAYS * gaps.DAY_US
            shown_gaps = gaps.gaps(session, since=since, scope=scope)
            topic_gaps = gaps.topic_gaps(session, scope=scope)
    return page(
        "kb.html",
        visit=visit,
        articles=found,
        categories=known,
        q=words,
        category=category or "",
        archived=archived == "1",
        gaps=shown_gaps,
        topic_gaps=topic_gaps,
        gap_days=GAP_DAYS,
    )


@router.get("/kb/new", response_class=HTMLResponse)
def new_article_page(request: Request, parts: Parts) -> Response:
    """The form for a new article."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, WRITERS_ONLY)
    if isinstance(visit, Response):
        return visit
    return page("kb_edit.html", visit=visit, article=None, problem=None, values={})


@router.post("/kb/new", response_class=HTMLResponse)
def create_article(
    request: Request,
    parts: Parts,
    csrf_token: Csrf,
    slug: Annotated[str, Form(max_length=100)] = "",
    title: FormText = "",
    body: FormBody = "",
    category: FormText = "",
    tags: FormText = "",
    audience: Annotated[str, Form(max_length=20)] = "public",
) -> Response:
    """Save a new article, or show the form again saying what is wrong."""
    visit = _writer(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    values = {"slug": slug.strip(), **_fields(title, body, category, tags, audience)}
    try:
        data = ArticleIn.model_validate(values)
        with parts.database.write() as session:
            row = service.create(session, data, author=visit.principal.name, now=visit.at)
            _audit(session, visit, "article.created", row.slug)
    except (ValidationError, EscalonError) as error:
        return _form_again(visit, None, values, error)
    return redirect(f"{KB}/{data.slug}?done=created")


@router.get("/kb/{slug}", response_class=HTMLResponse)
def article_page(request: Request, slug: str, parts: Parts, done: Param = None) -> Response:
    """One article, rendered, with who changed it last."""
    with parts.database.read() as session:
        visit = visit_of(request, session, parts)
        if visit is None:
            return redirect(SIGN_IN)
        try:
            article = service.article_out(service.find(session, _checked(slug)))
        except NotFound as missing:
            return page("notice.html", 404, title="No such article", text=str(missing), visit=visit)
    base = parts.settings.public_url
    return page(
        "kb_article.html",
        visit=visit,
        article=article,
        body=to_html(article.body),
        help_url=f"{base.rstrip('/')}/help/{article.slug}" if base else "",
        done=done,
    )


@router.get("/kb/{slug}/edit", response_class=HTMLResponse)
def edit_article_page(request: Request, slug: str, parts: Parts) -> Response:
    """The form that changes an article."""
    with parts.database.read() as session:
        visit = supervisor_visit(request, session, parts, WRITERS_ONLY)
        if isinstance(visit, Response):
            return visit
        try:
            article = service.article_out(service.find(session, _checked(slug)))
        except NotFound as missing:
            return page("notice.html", 404, title="No such article", text=str(missing), visit=visit)
    return page("kb_edit.html", visit=visit, article=article, problem=None, values={})


@router.post("/kb/{slug}/edit", response_class=HTMLResponse)
def change_article(
    request: Request,
    slug: str,
    parts: Parts,
    csrf_token: Csrf,
    version: Annotated[int, Form(ge=1, le=2**31)],
    title: FormText = "",
    body: FormBody = "",
    category: FormText = "",
    tags: FormText = "",
    audience: Annotated[str, Form(max_length=20)] = "public",
    archived: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Save the changes (refused when someone saved the article since the form was opened)."""
    visit = _writer(request, parts, csrf_token)
    if isinstance(visit, Response):
        return visit
    values = {**_fields(title, body, category, tags, audience), "archived": archived == "1"}
    try:
        data = ArticleChange.model_validate(values)
        with parts.database.write() as session:
            current = service.find(session, _checked(slug))
            service.change(
                session,
                current.slug,
                data,
                version=version,
                author=visit.principal.name,
                now=visit.at,
            )
            action = (
                "article.archived" if data.archived and not current.archived else "article.updated"
            )
            _audit(session, visit, action, current.slug)
    except (ValidationError, EscalonError) as error:
        with parts.database.read() as session:
            try:
                article = service.article_out(service.find(session, _checked(slug)))
            except NotFound as missing:
                return page(
                    "notice.html", 404, title="No such article", text=str(missing), visit=visit
                )
        return _form_again(visit, article, values, error)
    return redirect(f"{KB}/{slug}?done=saved")


def _checked(slug: str) -> str:
    """The slug of a path, NotFound when it cannot name an article."""
    if not ARTICLE_ID.match(slug):
        raise NotFound(f"no article {slug[:100]!r}")
    return slug


def _writer(request: Request, parts: Parts, csrf_token: str) -> Visit | Response:
    """The supervisor behind a posted article form, or the answer to give anyone else."""
    visit = form_visit(request, parts, csrf_token)
    if isinstance(visit, Visit) and not visit.supervises:
        return page("notice.html", 403, title="Not allowed", text=WRITERS_ONLY, visit=visit)
    return visit


def _fields(title: str, body: str, category: str, tags: str, audience: str) -> dict[str, Any]:
    """An article form's fields as the schemas take them (tags are comma separated)."""
    return {
        "title": title,
        "body": body,
        "category": category.strip() or None,
        "tags": [tag.strip() for tag in tags.split(",") if tag.strip()],
        "audience": audience,
    }


def _audit(session: Session, visit: Visit, action: str, slug: str) -> None:
    admin_audit.record_by(
        session, visit.principal, via="ui", action=action, target=f"article:{slug}", at=visit.at
    )


def _form_again(
    visit: Visit, article: ArticleOut | None, values: dict[str, Any], error: Exception
) -> Response:
    """The form as the person filled it in, with what is wrong."""
    if isinstance(error, ValidationError):
        problem = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'form'}: {item['msg']}"
            for item in error.errors()
        )
        status = 422
    else:
        assert isinstance(error, EscalonError)
        problem, status = error.message, error.status
    return page(
        "kb_edit.html", status, visit=visit, article=article, problem=problem, values=values
    )
