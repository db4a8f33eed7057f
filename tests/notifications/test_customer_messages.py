"""What the customer hears by themselves: an acknowledgement with the expected first answer, who
handles an escalated case, the resolution and a follow-up; by e-mail in their own thread."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from escalon.channels.mail import receive_email
from escalon.config import Settings
from escalon.notifications.delivery import deliver_due
from escalon.notifications.outbox import CustomerMessages
from tests.builders.cases import open_case
from tests.builders.mail import mail
from tests.builders.notifications import outbox
from tests.builders.workspace import Workspace
from tests.support.smtp import SmtpServer

HOUR = 3600 * 1_000_000


def deliver(ws: Workspace, server: SmtpServer, templates_dir: Path | None = None) -> None:
    settings = Settings(
        database_url=ws.database.url,
        smtp_host=server.host,
        smtp_port=server.port,
        templates_dir=templates_dir,
    )
    deliver_due(ws.database, clock=ws.clock, settings=settings)


def resolve(ws: Workspace, case: dict[str, Any]) -> None:
    response = ws.client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"status": "resolved"},
        headers=ws.headers("agent", **{"If-Match": f'"{case["version"]}"'}),
    )
    assert response.status_code == 200, response.text


def test_a_new_case_is_acknowledged_with_its_expected_first_answer(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    deliver(workspace, smtp_server)
    (sent,) = smtp_server.recorder.received
    assert sent.rcpt_tos == ["kim@example.org"]
    assert sent.message["Subject"] == f"[#{case['id']}] Printer on fire"
    text = sent.message.get_content()
    assert f"opened case #{case['id']}" in text
    # The standard SLA: a first answer within 4 office hours of Monday 10:00 in Berlin.
    assert "You will have a first answer by Monday 30 November 2026, 14:00 CET" in text


def test_a_mail_is_answered_in_the_customers_own_thread(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    receive_email(
        workspace.database, mail().as_bytes(), now=workspace.clock.now_us(), source="smtp"
    )
    deliver(workspace, smtp_server)
    (sent,) = smtp_server.recorder.received
    assert sent.message["In-Reply-To"] == "<m1@example.org>"
    assert sent.message["References"] == "<m1@example.org>"


def test_an_escalation_notice_names_who_now_handles_the_case(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    workspace.client.patch(
        "/api/v1/teams/supervisors",
        json={"assignment": "least_loaded"},
        headers=workspace.headers(),
    )
    case = open_case(workspace)
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "customer", "body": "This is useless, I want to speak to a manager."},
        headers=workspace.headers("integration"),
    )
    deliver(workspace, smtp_server)
    notices = [
        m.message.get_content()
        for m in smtp_server.recorder.received
        if "now handled by" in m.message.get_content()
    ]
    (notice,) = notices
    assert "now handled by Sara of our supervisors team" in notice
    assert "You can reach Sara at sara@example.org" in notice


def test_resolving_tells_the_customer_and_schedules_a_follow_up(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    resolve(workspace, case)
    (resolved,) = outbox(workspace, kind="resolved")
    (follow_up,) = outbox(workspace, kind="follow_up")
    now = workspace.clock.now_us()
    assert resolved.subject == f"Resolved: [#{case['id']}] Printer on fire"
    assert follow_up.next_attempt_at == now + 72 * HOUR
    deliver(workspace, smtp_server)
    assert len(smtp_server.recorder.received) == 2  # the acknowledgement and the resolution
    workspace.clock.advance(hours=73)
    deliver(workspace, smtp_server)
    assert "Is everything working" in smtp_server.recorder.received[-1].message.get_content()


def test_a_follow_up_is_dropped_when_the_case_opens_again(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    resolve(workspace, case)
    workspace.client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"author": "customer", "body": "It happened again."},
        headers=workspace.headers("integration"),
    )
    workspace.clock.advance(hours=73)
    deliver(workspace, smtp_server)
    (follow_up,) = outbox(workspace, kind="follow_up")
    assert follow_up.status == "cancelled"
    assert all(
        "Is everything working" not in m.message.get_content()
        for m in smtp_server.recorder.received
    )


def test_automatic_customer_messages_can_be_switched_off(workspace: Workspace) -> None:
    info = workspace.database.info
    wanted = CustomerMessages.of_info(info)
    assert wanted.acknowledgement  # what the workspace's settings say by default
    replace(wanted, acknowledgement=False, resolution=False, follow_up_hours=0).install(info)
    case = open_case(workspace)
    resolve(workspace, case)
    assert outbox(workspace) == []


def test_the_resolution_carries_a_survey_link_that_opens_the_survey(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    case = open_case(workspace)
    resolve(workspace, case)
    deliver(workspace, smtp_server)
    resolution = smtp_server.recorder.received[-1].message.get_content()
    link = next(line for line in resolution.splitlines() if "/survey/" in line).split()[-1]
    page = workspace.client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert f"#{case['id']}" in page.text


def test_a_teams_own_template_replaces_escalons(
    workspace: Workspace, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    (tmp_path / "customer_acknowledgement.txt").write_text(
        "Hallo {{ case.customer_name }}, wir haben Ihren Fall #{{ case.id }} eröffnet.\n",
        encoding="utf-8",
    )
    case = open_case(workspace)
    deliver(workspace, smtp_server, templates_dir=tmp_path)
    (sent,) = smtp_server.recorder.received
    assert sent.message.get_content().strip() == (
        f"Hallo Kim, wir haben Ihren Fall #{case['id']} eröffnet."
    )
