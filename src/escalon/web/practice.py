"""The practice mount: the dashboard's own pages, served from a practice session's sandbox.

`/ui/practice/KEY/cases/5` is the page `/ui/cases/5` of the sandbox of session KEY: the same
code, templates and forms, over the sandbox's database and clock. Before the page runs, the
person is checked against the installation (their own dashboard session, and the practice
session must be theirs) and the sandbox is brought up to its clock's now: the scenario's
customer writes what is due and the timers fire. The pages' addresses are re-addressed into
the mount on the way out, and every page carries a banner saying it is training.

Addresses that belong to the installation stay as they are (signing in and out, the training
ground's own pages), so leaving practice is one click and a sandbox never signs anyone in.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from html import escape

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escalon.auth import service as auth
from escalon.auth.access import SANDBOX_SCOPE
from escalon.auth.models import ApiToken
from escalon.composition import open_database
from escalon.core.state import from_us
from escalon.database import Database
from escalon.database.migrate import current_revision, head_revision, upgrade
from escalon.errors import NotFound
from escalon.services import Services
from escalon.training import practice, sandbox
from escalon.training.models import PracticeSession
from escalon.web.common import VISIT_SCOPE, Visit, forbidden, page, redirect, visit_of
from escalon.worker import timers

PREFIX = "/ui/practice/"
_ADDRESS = re.compile(r"^/ui/practice/([A-Za-z0-9_-]{10,40})(/[^?#]*)?$")
# Addresses of the installation's own pages, left alone in a sandbox's pages.
_OWN = r"sign-in|sign-out|training|practice/"
_LINK = re.compile(rf"(?P<quote>[\"'])/ui/(?!{_OWN})")
_LOCATION = re.compile(rf"^/ui/(?!{_OWN})")
_OWN_PAGE = re.compile(r"^/(?:sign-in|sign-out|training|practice)(?:/|$)")
# Open sandboxes kept per process (each an SQLite engine); the oldest is closed past this.
OPEN_SANDBOXES = 32
TICK_BATCH = 50


@dataclass(frozen=True, slots=True)
class Opened:
    """One open sandbox: its parts and the trainee's token inside it."""

    services: Services
    status: str
    token_id: int
    token_hash: str


class Sandboxes:
    """The sandboxes this process has open, by session key (least recently used closed first)."""

    def __init__(self, main: Services, limit: int = OPEN_SANDBOXES) -> None:
        self.main = main
        self.limit = limit
        self._open: OrderedDict[str, Opened] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, row: PracticeSession) -> Opened:
        """The open sandbox of a session (opened again when the session has ended since)."""
        with self._lock:
            found = self._open.get(row.key)
            if found is not None and found.status == row.status:
                self._open.move_to_end(row.key)
                return found
        made = self._open_one(row)
        with self._lock:
            old = self._open.pop(row.key, None)
            self._open[row.key] = made
            closing = [old] if old is not None else []
            while len(self._open) > self.limit:
                closing.append(self._open.popitem(last=False)[1])
        for gone in closing:
            gone.services.database.dispose()
        return made

    def _open_one(self, row: PracticeSession) -> Opened:
        main = self.main
        path = sandbox.sandbox_path(main.settings, row.key)
        if not path.exists():
            raise NotFound("this practice session's sandbox is gone")
        url = f"sqlite:///{path}"
        settings = sandbox.sandbox_settings(main.settings, url)
        database = open_database(settings, Database(url))
        # A sandbox made before an upgrade of Escalon is brought to this release's schema.
        if current_revision(database) != head_revision():
            upgrade(database)
        clock = sandbox.PracticeClock(
            main.clock, row.started_at, row.virtual_start, row.speed, row.finished_at
        )
        with database.read() as session:
            token_id, token_hash = session.execute(
                select(ApiToken.id, ApiToken.token_hash).where(
                    ApiToken.user_id == row.sandbox_user_id
                )
            ).one()
        services = Services(
            database=database, clock=clock, settings=settings, analyzer=main.analyzer
        )
        return Opened(services, row.status, token_id, token_hash)

    def close_all(self) -> None:
        """Close every open sandbox (at shutdown)."""
        with self._lock:
            opened, self._open = list(self._open.values()), OrderedDict()
        for one in opened:
            one.services.database.dispose()


def tick(db: Database, now: int) -> None:
    """The worker's tick on a sandbox (its timers have no worker of their own)."""
    timers.tick(db, now=now, batch=TICK_BATCH)


def bring_up_to_date(opened: Opened, row: PracticeSession) -> None:
    """Send what the scenario's customer has to say by now and fire the sandbox's timers."""
    if row.status != "running":
        return
    parts = opened.services
    sandbox.advance(
        parts.database,
        practice.play_of(row),
        now=parts.clock.now_us(),
        tick=tick,
        analyzer=parts.analyzer,
    )


class PracticeMount:
    """ASGI middleware serving `/ui/practice/KEY/...` from the session's sandbox."""

    def __init__(self, app: ASGIApp, sandboxes: Sandboxes) -> None:
        self.app = app
        self.sandboxes = sandboxes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        match = _ADDRESS.match(path)
        if match is None:
            await _answer(
                page("notice.html", 404, title="Not found", text="No such page.", visit=None),
                scope,
                receive,
                send,
            )
            return
        key, rest = match[1], match[2] or "/queue"
        if _OWN_PAGE.match(rest):
            # The installation's own pages are never served from a sandbox.
            missing = page("notice.html", 404, title="Not found", text="No such page.", visit=None)
            await _answer(missing, scope, receive, send)
            return
        entered = await run_in_threadpool(self._enter, Request(scope), key, scope["method"])
        if isinstance(entered, Response):
            await _answer(entered, scope, receive, send)
            return
        opened, visit, row = entered
        inner = dict(scope)
        inner["path"] = "/ui" + rest
        inner["raw_path"] = inner["path"].encode()
        inner[SANDBOX_SCOPE] = opened.services
        inner[VISIT_SCOPE] = visit
        banner = _banner(row, opened.services.clock.now_us())
        try:
            await self.app(inner, receive, _readdressing(send, key, banner))
        finally:
            if scope["method"] not in ("GET", "HEAD"):
                # What a form's work queued is captured before anything could pick it up (a
                # page that only reads queues nothing; bringing it up to date captured the rest).
                await run_in_threadpool(_capture, opened.services.database)

    def _enter(
        self, request: Request, key: str, method: str
    ) -> Response | tuple[Opened, Visit, PracticeSession]:
        """The sandbox and the trainee's visit inside it, or the answer to give instead."""
        main = self.sandboxes.main
        with main.database.read() as session:
            visit = visit_of(request, session, main)
            if visit is None:
                return redirect("/ui/sign-in")
            try:
                row = practice.by_key(session, key)
            except NotFound:
                return page(
                    "notice.html",
                    404,
                    title="Not found",
                    text="No such practice session.",
                    visit=visit,
                )
        if row.trainee_user_id != visit.principal.user_id:
            return forbidden(
                "This practice session is someone else's: only its trainee works its case. "
                "Supervisors follow it from its page in the training ground."
            )
        if row.status != "running" and method not in ("GET", "HEAD"):
            return page(
                "notice.html",
                409,
                title="This practice session has ended",
                text="Its case can still be read, but no longer changed. Start the scenario "
                "again from the training ground to practise once more.",
                visit=visit,
            )
        opened = self.sandboxes.of(row)
        bring_up_to_date(opened, row)
        principal = auth.Principal(
            row.sandbox_user_id,
            visit.principal.username,
            visit.principal.role,
            row.trainee,
            opened.token_id,
            opened.token_hash,
            None,
        )
        inside = Visit(principal, visit.session, visit.csrf, visit.at)
        return opened, inside, row


def _capture(database: Database) -> None:
    with database.write() as session:
        sandbox.capture_outbox(session)


async def _answer(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)


def _banner(row: PracticeSession, now: int) -> str:
    """The strip every sandbox page starts with."""
    moment = from_us(now)
    state = "running" if row.status == "running" else "ended"
    return (
        '<div class="training-banner" role="note">'
        "<strong>Training</strong>: a practice case in its own sandbox; nothing here reaches a "
        f"customer. Practice clock {moment:%a %d %b %H:%M} UTC "
        f"({row.speed:g}× real time, {state}). "
        f'<a href="/ui/training/sessions/{escape(row.key)}">Session and feedback</a>'
        "</div>"
    )


def _readdressing(send: Send, key: str, banner: str) -> Send:
    """A `send` that points the page's own addresses into the mount and adds the banner."""
    into = f"/ui/practice/{key}/"
    start: Message | None = None
    chunks: list[bytes] = []

    async def readdressed(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            location = headers.get("location")
            if location is not None:
                headers["location"] = _LOCATION.sub(into, location)
            if not headers.get("content-type", "").startswith("text/html"):
                await send(message)
                return
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        text = b"".join(chunks).decode("utf-8")
        text = _LINK.sub(lambda found: f"{found['quote']}{into}", text)
        text = text.replace("<title>", "<title>Training · ", 1)
        body_at = text.find("<body>")
        if body_at >= 0:
            cut = body_at + len("<body>")
            text = text[:cut] + banner + text[cut:]
        body = text.encode("utf-8")
        headers = MutableHeaders(scope=start)
        headers["content-length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return readdressed
