"""The dashboard's mail review page: held mail listed for supervisors and admins, retried and
dismissed with the session's CSRF token, linked from the navigation; agents are refused."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sqlalchemy import select, update

from escalon.admin_audit.models import AdminAuditEntry
from escalon.channels.mail import receive_email
from escalon.channels.models import InboundEmail
from escalon.policies.models import PolicyVersion
from tests.builders.dashboard import csrf_of, sign_in
from tests.builders.workspace import Workspace


def held_mail(ws: Workspace, subject: str = "Printer <b>on fire</b>") -> int:
    """A mail held because no policy is active (the policy is active again afterwards)."""
    message = EmailMessage()
    message["From"] = "Kim <kim@example.org>"
    message["Subject"] = subject
    message["Message-ID"] = "<held@example.org>"
    message.set_content("<script>alert(1)</script> my printer")
    with ws.database.write() as session:
        session.execute(update(PolicyVersion).values(active=False))
    received = receive_email(ws.database, message.as_bytes(), now=ws.clock.now_us(), source="smtp")
    with ws.database.write() as session:
        session.execute(
            update(PolicyVersion).where(PolicyVersion.id == ws.policy_id).values(active=True)
        )
    assert received.outcome == "held"
    return received.inbound_id


def test_a_supervisor_sees_held_mail_escaped_and_linked_from_the_navigation(
    workspace: Workspace,
) -> None:
    inbound_id = held_mail(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])

    listed = workspace.client.get("/ui/mail-review")
    detail = workspace.client.get(f"/ui/mail-review/{inbound_id}")

    assert listed.status_code == 200
    assert 'href="/ui/mail-review"' in listed.text
    assert f'href="/ui/mail-review/{inbound_id}"' in listed.text
    assert "Printer &lt;b&gt;on fire&lt;/b&gt;" in listed.text
    assert "<b>on fire</b>" not in listed.text
    assert detail.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.text
    assert "<script>alert(1)" not in detail.text


def test_an_agent_is_refused_and_not_shown_the_link(workspace: Workspace) -> None:
    held_mail(workspace)
    sign_in(workspace.client, workspace.tokens["agent"])

    refused = workspace.client.get("/ui/mail-review")
    queue = workspace.client.get("/ui/queue")

    assert refused.status_code == 403
    assert 'href="/ui/mail-review"' not in queue.text


def test_retry_from_the_page_takes_the_mail_and_is_audited(workspace: Workspace) -> None:
    inbound_id = held_mail(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    listed = workspace.client.get("/ui/mail-review")

    refused = workspace.client.post(
        f"/ui/mail-review/{inbound_id}/retry", data={"csrf_token": "0" * 64}
    )
    retried = workspace.client.post(
        f"/ui/mail-review/{inbound_id}/retry",
        data={"csrf_token": csrf_of(listed.text)},
        follow_redirects=False,
    )

    assert refused.status_code == 403
    assert retried.status_code == 303
    told = workspace.client.get(retried.headers["location"])
    assert re.search(rf"Mail {inbound_id} is now opened \(case #\d+\)", told.text)
    with workspace.database.read() as session:
        status = session.scalar(select(InboundEmail.status).where(InboundEmail.id == inbound_id))
        via = session.scalar(
            select(AdminAuditEntry.via).where(AdminAuditEntry.action == "inbound_email.retried")
        )
    assert (status, via) == ("opened", "ui")


def test_dismiss_from_the_page_keeps_the_mail_stored(workspace: Workspace) -> None:
    inbound_id = held_mail(workspace)
    sign_in(workspace.client, workspace.tokens["admin"])
    detail = workspace.client.get(f"/ui/mail-review/{inbound_id}")

    dismissed = workspace.client.post(
        f"/ui/mail-review/{inbound_id}/dismiss",
        data={"csrf_token": csrf_of(detail.text), "note": "a test"},
        follow_redirects=False,
    )
    raw = workspace.client.get(f"/ui/mail-review/{inbound_id}/raw")

    assert dismissed.status_code == 303
    assert "dismissed" in workspace.client.get("/ui/mail-review?status=dismissed").text
    assert raw.headers["content-disposition"].startswith("attachment")
    assert b"<held@example.org>" in raw.content
