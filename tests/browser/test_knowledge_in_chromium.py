"""In Chromium: a supervisor writes a help article, an agent sends it with a reply from the case
page, the customer's mail (a real SMTP server) carries its link and the link opens the article;
and a supervisor compares a candidate policy with the active one from the policy page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from escalon.config import Settings
from escalon.demo import policy_text
from escalon.notifications.delivery import deliver_due
from tests.support.browser import Server
from tests.support.smtp import SmtpServer

ASKS = "I forgot my password and the sign-in page keeps refusing me. How do I reset it?"


def _sign_in(page: Page, server: Server, token: str) -> None:
    page.goto(f"{server.url}/ui/sign-in")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/queue$"))


def _api(server: Server, method: str, path: str, **json: object) -> httpx.Response:
    return httpx.request(
        method,
        f"{server.url}/api/v1{path}",
        json=json or None,
        headers={"Authorization": f"Bearer {server.tokens['admin']}"},
        timeout=30,
    )


def test_an_article_written_in_the_dashboard_reaches_the_customer_with_a_reply(
    server: Server, chromium: Browser, smtp_server: SmtpServer, screenshots: Path
) -> None:
    boss = chromium.new_page()
    _sign_in(boss, server, server.tokens["supervisor"])
    boss.get_by_role("link", name="Knowledge").click()
    boss.get_by_role("link", name="Write an article").click()
    boss.get_by_label("Name").fill("reset-password")
    boss.get_by_label("Title").fill("Reset your password")
    boss.get_by_label("Text").fill(
        "Open the sign-in page, choose **Forgot password** and follow the link we e-mail you."
    )
    boss.get_by_label("Category").fill("account")
    boss.get_by_role("button", name="Save").click()
    expect(boss.get_by_role("status")).to_have_text("The article is saved.")
    expect(boss.locator("#article-body strong")).to_have_text("Forgot password")
    boss.screenshot(path=str(screenshots / "knowledge-article.png"), full_page=True)

    opened = _api(
        server,
        "POST",
        "/cases",
        customer={"ref": "K-1", "name": "Kim", "email": "kim@example.org"},
        subject="Cannot sign in",
        body=ASKS,
        channel="email",
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]

    agent = chromium.new_page()
    _sign_in(agent, server, server.tokens["agent"])
    agent.goto(f"{server.url}/ui/cases/{case_id}")
    expect(agent.locator("#suggested-articles")).to_contain_text("Reset your password")
    agent.get_by_label("Reset your password").check()
    agent.get_by_label("Message").fill("Here is how to get back in.")
    agent.get_by_role("button", name="Send").click()
    expect(agent.get_by_role("status")).to_have_text(
        "Your reply was saved. Queued for e-mail to kim@example.org."
    )
    expect(agent.locator("#timeline li").first).to_contain_text("With help articles")
    agent.screenshot(path=str(screenshots / "knowledge-reply.png"), full_page=True)

    settings = Settings(
        database_url=server.database.url, smtp_host=smtp_server.host, smtp_port=smtp_server.port
    )
    deliver_due(server.database, clock=server.clock, settings=settings)
    replies = [m for m in smtp_server.recorder.received if m.message["Subject"].startswith("Re:")]
    assert [m.rcpt_tos for m in replies] == [["kim@example.org"]]
    text = replies[0].message.get_content()
    link = f"{server.url}/help/reset-password"
    assert f"Reset your password: {link}" in text

    customer = chromium.new_page()  # no sign-in: what the customer's mail program opens
    customer.goto(link)
    expect(customer.get_by_role("heading", level=1)).to_have_text("Reset your password")
    customer.screenshot(path=str(screenshots / "knowledge-help-page.png"), full_page=True)


def test_a_supervisor_compares_a_candidate_policy_with_the_active_one(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    for number in range(2):
        opened = _api(
            server,
            "POST",
            "/cases",
            customer={"ref": f"C-{number}", "name": "Kim"},
            subject=f"Order {number}",
            body="Could I please speak to your manager about my order?",
            channel="email",
        )
        assert opened.status_code == 201, opened.text
    candidate = policy_text().replace("\nversion: 1\n", "\nversion: 2\n")
    uploaded = _api(server, "POST", "/policies", source=candidate, filename="candidate.yaml")
    assert uploaded.status_code == 201, uploaded.text

    page = chromium.new_page()
    _sign_in(page, server, server.tokens["supervisor"])
    page.goto(f"{server.url}/ui/policy?version={uploaded.json()['id']}")
    page.get_by_label(re.compile("What would this version have done")).select_option("7")
    page.get_by_role("button", name="Compare with the active version").click()
    expect(page).to_have_url(re.compile(r"/ui/policy/what-if\?version=\d+&days=7$"))
    expect(page.locator("#what-if-intro")).to_contain_text("2 cases opened in the last 7 days")
    expect(page.locator("#headline")).to_contain_text("Escalated cases")
    page.screenshot(path=str(screenshots / "policy-what-if.png"), full_page=True)
