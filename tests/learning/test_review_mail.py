"""The weekly review mailed to the managers: queued by the worker once per week and manager (on
SQLite and PostgreSQL, two workers at once, a failed write), opted out of and back in, and
delivered over real SMTP with links into the dashboard's case lists."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from escalon.auth import service as auth
from escalon.channels.mail import receive_email
from escalon.channels.models import InboundEmail
from escalon.composition import build_services
from escalon.config import Settings
from escalon.learning import review_mail
from escalon.learning.models import ReviewMail
from escalon.notifications.delivery import deliver_due
from escalon.notifications.models import OutboxMessage
from escalon.worker.runner import Worker
from tests.builders.causes import escalated_case
from tests.builders.dashboard import csrf_of, signed_in
from tests.builders.mail import mail
from tests.builders.notifications import outbox
from tests.builders.workspace import Workspace
from tests.support.smtp import SmtpServer

BASE = "https://help.example.com"
# Cookies without Secure: the test client speaks plain HTTP while the public address is https.
WORKSPACE_SETTINGS: dict[str, Any] = {
    "review_mail": True,
    "public_url": BASE,
    "cookie_secure": "never",
}
# Monday 7 December 2026, 08:00 UTC: the review of 2026-W49 (30 November to 6 December) is due.
DUE = datetime(2026, 12, 7, 8, tzinfo=UTC)
SUBJECT = "Escalation review, week 2026-W49"


def settings(ws: Workspace, **overrides: Any) -> Settings:
    return Settings(database_url=ws.database.url, **{**WORKSPACE_SETTINGS, **overrides})


def worker(ws: Workspace) -> Worker:
    """A worker over the workspace that runs only the review mail."""
    services = build_services(settings(ws), database=ws.database, clock=ws.clock)
    return Worker(services, timers=False, outbox=False, topics=False, review=True)


def add_user(ws: Workspace, username: str, role: str, email: str | None = None) -> int:
    with ws.database.write() as session:
        return auth.create_user(
            session, username=username, role=role, email=email, now=ws.clock.now_us()
        ).id


def add_managers(ws: Workspace) -> None:
    """An admin and a supervisor with their own addresses, and people who get no review: a
    disabled supervisor and an agent. The seeded supervisor gets it at their agent's address
    (sara); the seeded admin has no address."""
    add_user(ws, "boss", "admin", "boss@example.org")
    add_user(ws, "vera", "supervisor", "Vera@Example.org")
    add_user(ws, "vera-again", "supervisor", "vera@example.org")  # the same mailbox: one mail
    gone = add_user(ws, "old", "supervisor", "old@example.org")
    add_user(ws, "andy", "agent", "andy@example.org")
    with ws.database.write() as session:
        auth.update_user(session, username="old", now=ws.clock.now_us(), active=False)
    assert gone


def queued_to(ws: Workspace) -> list[str]:
    """The addresses of the review mails in the outbox, sorted."""
    return sorted(row.address for row in outbox(ws, kind="review"))


def test_the_due_review_is_queued_once_for_each_manager_with_an_address(
    workspace: Workspace,
) -> None:
    add_managers(workspace)
    escalated_case(workspace)
    workspace.clock.set(DUE)
    running = worker(workspace)
    assert [loop.name for loop in running.loops] == ["review-mail"]
    wait = running.review_mail_step()
    assert wait == 60.0  # looks again in a minute, for managers added meanwhile
    assert queued_to(workspace) == ["Vera@Example.org", "boss@example.org", "sara@example.org"]
    rows = outbox(workspace, kind="review")
    assert {(row.subject, row.case_id, row.channel, row.status) for row in rows} == {
        (SUBJECT, None, "email", "pending")
    }
    assert all(row.body and row.payload["html"] for row in rows)
    running.review_mail_step()
    workspace.clock.advance(hours=30)
    running.review_mail_step()
    assert len(outbox(workspace, kind="review")) == 3
    add_user(workspace, "newcomer", "supervisor", "new@example.org")
    running.review_mail_step()
    assert queued_to(workspace)[-2:] == ["new@example.org", "sara@example.org"]
    assert len(outbox(workspace, kind="review")) == 4
    with workspace.database.read() as session:
        records = session.execute(
            select(ReviewMail.week, ReviewMail.sends, ReviewMail.outbox_key)
        ).all()
    assert {(week, sends) for week, sends, _ in records} == {("2026-W49", 1)}
    assert {key for *_, key in records} == {row.key for row in outbox(workspace, kind="review")}


def test_two_workers_at_the_same_instant_queue_it_once(workspace: Workspace) -> None:
    add_managers(workspace)
    workspace.clock.set(DUE)
    workers = [worker(workspace), worker(workspace)]
    start = threading.Barrier(len(workers))
    failures: list[BaseException] = []

    def step(running: Worker) -> None:
        try:
            start.wait()
            running.review_mail_step()
        except BaseException as error:  # the test fails on it below
            failures.append(error)

    threads = [threading.Thread(target=step, args=(running,)) for running in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert queued_to(workspace) == ["Vera@Example.org", "boss@example.org", "sara@example.org"]
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(ReviewMail)) == 3


def test_a_write_that_fails_leaves_nothing_and_the_next_step_sends_it(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_managers(workspace)
    workspace.clock.set(DUE)
    running = worker(workspace)

    def crash(*_: object) -> None:
        raise RuntimeError("the worker died mid-write")

    monkeypatch.setattr(review_mail, "_remember_keys", crash)
    with pytest.raises(RuntimeError):
        running.review_mail_step()
    assert queued_to(workspace) == []
    with workspace.database.read() as session:
        assert session.scalar(select(func.count()).select_from(ReviewMail)) == 0
    monkeypatch.undo()
    running.review_mail_step()
    assert len(queued_to(workspace)) == 3


def test_a_manager_who_opts_out_gets_none_until_they_opt_back_in(workspace: Workspace) -> None:
    workspace.clock.set(DUE)
    mine = workspace.client.get("/api/v1/review-mail", headers=workspace.headers("supervisor"))
    assert mine.status_code == 200, mine.text
    assert mine.json() == {
        "subscribed": True,
        "address": "sara@example.org",
        "enabled": True,
        "schedule": "Mondays at 08:00 (UTC)",
    }
    out = workspace.client.put(
        "/api/v1/review-mail", json={"subscribed": False}, headers=workspace.headers("supervisor")
    )
    assert out.status_code == 200, out.text
    assert out.json()["subscribed"] is False
    running = worker(workspace)
    running.review_mail_step()
    assert queued_to(workspace) == []
    back = workspace.client.put(
        "/api/v1/review-mail", json={"subscribed": True}, headers=workspace.headers("supervisor")
    )
    assert back.json()["subscribed"] is True
    running.review_mail_step()
    assert queued_to(workspace) == ["sara@example.org"]
    # Agents get no review, so they have nothing to opt out of; a wrong body is a 422.
    agent = workspace.client.get("/api/v1/review-mail", headers=workspace.headers("agent"))
    assert agent.status_code == 403
    for body in ({"subscribed": "perhaps"}, {"subscribed": True, "address": "x@evil.example"}):
        wrong = workspace.client.put(
            "/api/v1/review-mail", json=body, headers=workspace.headers("supervisor")
        )
        assert wrong.status_code == 422, wrong.text


def test_the_review_page_lets_a_supervisor_stop_and_restart_the_mail(
    workspace: Workspace,
) -> None:
    client = signed_in(workspace, "supervisor")
    page = client.get("/ui/review?week=2026-W49")
    assert page.status_code == 200
    form = BeautifulSoup(page.text, "html.parser").select_one("#review-mail")
    assert form is not None
    assert "comes to sara@example.org on Mondays at 08:00 (UTC)" in form.get_text(" ")
    stop = {"subscribed": "no", "week": "2026-W49", "csrf_token": csrf_of(page.text)}
    answer = client.post("/ui/review/mail", data=stop, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/review?week=2026-W49"
    again = client.get("/ui/review?week=2026-W49")
    assert "Mail it to me each week" in again.text
    with workspace.database.read() as session:
        assert not review_mail.subscription(
            session, user_id=2, settings=settings(workspace)
        ).subscribed
    # A forged form (no token) changes nothing; a strange week sends back to the plain page.
    forged = client.post("/ui/review/mail", data={"subscribed": "yes"}, follow_redirects=False)
    assert forged.status_code == 403
    restart = {"subscribed": "yes", "week": "//evil.example", "csrf_token": csrf_of(again.text)}
    answer = client.post("/ui/review/mail", data=restart, follow_redirects=False)
    assert answer.headers["location"] == "/ui/review"
    assert "Stop the weekly mail" in client.get("/ui/review").text
    agent = signed_in(workspace, "agent")
    token = csrf_of(agent.get("/ui/queue").text)
    refused = agent.post(
        "/ui/review/mail", data={"subscribed": "no", "csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_the_mail_arrives_over_smtp_with_text_html_and_links_to_the_cases(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    add_user(workspace, "boss", "admin", "boss@example.org")
    cases = [escalated_case(workspace), escalated_case(workspace)]
    workspace.clock.set(DUE)
    worker(workspace).review_mail_step()
    delivery = settings(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    while deliver_due(workspace.database, clock=workspace.clock, settings=delivery).claimed:
        pass
    mails = [m for m in smtp_server.recorder.received if m.message["Subject"] == SUBJECT]
    assert sorted(address for m in mails for address in m.rcpt_tos) == [
        "boss@example.org",
        "sara@example.org",
    ]
    message = mails[0].message
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text_part is not None
    assert html_part is not None
    text = text_part.get_content()
    assert "Escalations: 2 (the week before: 0)" in text
    assert f"{BASE}/ui/review?week=2026-W49" in text
    escalated = f"{BASE}/ui/queue?status=any&escalation_from=2026-11-30&escalation_to=2026-12-06"
    lines = text.splitlines()
    # Each figure is followed by the list of its cases; the last line says how to stop it.
    assert lines[lines.index("Escalations: 2 (the week before: 0)") + 1] == f"  {escalated}"
    assert lines[-1] == review_mail.OPT_OUT_NOTE
    soup = BeautifulSoup(html_part.get_content(), "html.parser")
    assert soup.select_one("#mail-note") is not None
    # Every link but the page's own "skip to content" opens the dashboard from a mail program.
    links = [str(a["href"]) for a in soup.select("a[href]") if a["href"] != "#main"]
    assert links
    assert all(link.startswith(f"{BASE}/ui/") for link in links)
    count = soup.select_one("#escalations-count a")
    assert count is not None
    assert count["href"] == escalated
    # The figure's link, opened in the dashboard, lists the cases it counted.
    address = urlsplit(escalated)
    listed = signed_in(workspace, "supervisor").get(f"{address.path}?{address.query}")
    assert listed.status_code == 200
    page = BeautifulSoup(listed.text, "html.parser")
    shown = {str(a["href"]).rsplit("/", 1)[-1] for a in page.select("a[href^='/ui/cases/']")}
    assert {int(end) for end in shown if end.isdigit()} == set(cases)
    with workspace.database.read() as session:
        statuses = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == "review")
        ).all()
    assert statuses == ["delivered", "delivered"]


def test_the_worker_runs_the_review_mail_only_when_switched_on(workspace: Workspace) -> None:
    def loops(**overrides: Any) -> list[str]:
        services = build_services(
            settings(workspace, **overrides), database=workspace.database, clock=workspace.clock
        )
        return [loop.name for loop in Worker(services).loops]

    assert loops() == ["timers", "outbox", "topics", "breach-model", "review-mail"]
    assert loops(review_mail=False) == ["timers", "outbox", "topics", "breach-model"]
    services = build_services(settings(workspace), database=workspace.database)
    without_timers = Worker(services, timers=False, topics=False)
    assert [loop.name for loop in without_timers.loops] == ["outbox"]


def test_a_managers_reply_to_the_review_is_held_not_opened_as_a_customers_case(
    workspace: Workspace,
) -> None:
    escalated_case(workspace)
    workspace.clock.set(DUE)
    worker(workspace).review_mail_step()
    [sent, *_] = outbox(workspace, kind="review")
    assert sent.message_id
    cases_before = workspace.client.get("/api/v1/cases", headers=workspace.headers()).json()
    answer = mail(
        "Thanks, let's talk about the crash on Monday.",
        subject=f"Re: {SUBJECT}",
        sender="Sara <sara@example.org>",
        message_id="<reply-to-review@example.org>",
        In_Reply_To=sent.message_id,
        References=sent.message_id,
    )
    received = receive_email(
        workspace.database, answer.as_bytes(), now=workspace.clock.now_us(), source="smtp"
    )
    assert (received.outcome, received.case_id) == ("held", None)
    with workspace.database.read() as session:
        reason = session.scalar(
            select(InboundEmail.hold_reason).where(InboundEmail.id == received.inbound_id)
        )
    assert reason == "staff_reply"
    cases_after = workspace.client.get("/api/v1/cases", headers=workspace.headers()).json()
    assert len(cases_after["items"]) == len(cases_before["items"])
