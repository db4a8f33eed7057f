"""In Chromium: a customer's e-mail comes in through intake, the agent replies on the case page,
and a real SMTP server receives the reply in the customer's thread with the status link; a
failed delivery shows its reason; the API docs render with the network cut off."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, Route, expect

from escalon.channels.mail import receive_email
from escalon.config import Settings
from escalon.notifications.delivery import deliver_due
from tests.builders.mail import mail
from tests.support.browser import Server
from tests.support.smtp import SmtpServer


def _sign_in(page: Page, server: Server, token: str) -> None:
    page.goto(f"{server.url}/")
    expect(page).to_have_url(re.compile(r"/ui/sign-in$"))  # the front door leads here
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/queue$"))


def _deliver(server: Server, smtp: SmtpServer) -> None:
    settings = Settings(
        database_url=server.database.url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        outbox_max_attempts=1,
    )
    deliver_due(server.database, clock=server.clock, settings=settings)


def _reply(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


def test_an_agent_replies_to_a_mail_and_the_customer_gets_it_in_their_thread(
    server: Server,
    chromium: Browser,
    smtp_server: SmtpServer,
) -> None:
    admin = {"Authorization": f"Bearer {server.tokens['admin']}"}
    changed = httpx.patch(
        f"{server.url}/api/v1/teams/frontline",
        json={"support_address": "help@shop.example"},
        headers=admin,
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    received = receive_email(
        server.database,
        mail("My order never came.", subject="Where is my order?").as_bytes(),
        now=server.clock.now_us(),
        source="smtp",
    )
    case_id = received.case_id
    _deliver(server, smtp_server)  # the acknowledgement goes first
    smtp_server.recorder.received.clear()

    page = chromium.new_page()
    _sign_in(page, server, server.tokens["agent"])
    page.goto(f"{server.url}/ui/cases/{case_id}")
    _reply(page, "Hello Kim,\nyour parcel left today.\nAna")
    expect(page.get_by_role("status")).to_have_text(
        "Your reply was saved. Queued for e-mail to kim@example.org."
    )
    expect(page.locator("#timeline li").first).to_contain_text("Queued for e-mail")

    _deliver(server, smtp_server)
    (sent,) = smtp_server.recorder.received
    message = sent.message
    assert sent.rcpt_tos == ["kim@example.org"]
    assert message["In-Reply-To"] == "<m1@example.org>"
    assert message["Subject"] == f"Re: [#{case_id}] Where is my order?"
    assert message["From"] == "help@shop.example"
    assert message["Auto-Submitted"] is None
    text = message.get_content().replace("\r\n", "\n")
    assert text.startswith("Hello Kim,\nyour parcel left today.\nAna\n")
    link = re.search(rf"{re.escape(server.url)}/status/\S+", text)
    assert link is not None
    # The link opens the customer's status page, which shows the reply.
    status = chromium.new_page()
    status.goto(link[0])
    expect(status.get_by_text("your parcel left today.")).to_be_visible()
    status.close()

    page.reload()
    expect(page.locator("#timeline li").first).to_contain_text("Sent by e-mail to kim@example.org.")

    # The mail server refuses the next one for good: the agent sees why, on the case and queue.
    smtp_server.recorder.replies.append("550 5.1.1 mailbox unavailable")
    _reply(page, "One more thing.")
    _deliver(server, smtp_server)
    page.reload()
    failed = page.locator("#timeline li").first.locator(".delivery")
    expect(failed).to_have_text(re.compile(r"^Not delivered to kim@example.org: SMTP .* 550$"))
    page.goto(f"{server.url}/ui/queue?team=frontline")
    expect(page.get_by_role("row", name=re.compile(f"#{case_id}"))).to_contain_text(
        "reply not delivered"
    )
    page.close()


def test_the_api_docs_render_with_the_network_cut_off(server: Server, chromium: Browser) -> None:
    page = chromium.new_page()
    refused: list[str] = []
    problems: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.route("**/*", only_loopback)
    page.on("console", console)
    page.goto(f"{server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Escalon")
    expect(page.get_by_text("/api/v1/cases/{case_id}/messages").first).to_be_visible()
    page.goto(f"{server.url}/redoc")
    expect(page.get_by_role("heading", name=re.compile("Escalon")).first).to_be_visible()
    assert refused == []
    # ReDoc's sidebar asks for its maker's logo from the internet: the page's policy stops it
    # before any request (the image is all that is missing). Nothing else may go wrong.
    logo = "Loading the image 'https://cdn.redoc.ly/"
    assert [problem for problem in problems if not problem.startswith(logo)] == []
    page.close()
