"""The dashboard in a real browser: a breach escalates, a supervisor takes it, the customer sees.

Each step saves a screenshot (artifacts/screenshots/, at 1280x800 and at a phone's width) and
checks what a person relies on: every visible control has a label, nothing needs sideways
scrolling on a phone, and the keyboard alone can do the work.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect

from escalon.worker.timers import tick
from tests.builders.browser import LAPTOP, open_case, shoot, sign_in
from tests.support.browser import Server

PHONE = ViewportSize(width=390, height=844)
MINUTE_US = 60 * 1_000_000
# What the page says after a reply: saved, and where it stands (never "sent" before it is).
REPLY_SAVED = re.compile(r"^Your reply was saved\. (Queued for|Sent by|Not sent)")


def _phone(
    browser: Browser, server: Server, folder: Path, token: str, paths: dict[str, str]
) -> None:
    """Each page at a phone's width: no sideways scrolling, and a screenshot."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    sign_in(page, server, token)
    for name, path in paths.items():
        page.goto(server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px on a phone"
        shoot(page, folder, f"phone-{name}")
    context.close()


def test_a_breach_escalates_a_supervisor_acknowledges_and_replies_the_customer_sees_it(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    case_id = open_case(server, priority="P1")
    agent_context = chromium.new_context(viewport=LAPTOP)
    agent = agent_context.new_page()

    # The agent signs in: the case is in the frontline queue, due in 15 minutes.
    agent.goto(f"{server.url}/ui/sign-in")
    shoot(agent, screenshots, "01-sign-in")
    sign_in(agent, server, server.tokens["agent"])
    agent.get_by_role("link", name="frontline").first.click()
    row = agent.locator("#queue-rows tr", has_text=f"#{case_id}")
    expect(row).to_contain_text("Charged twice for my order")
    due = row.locator("td.due")
    expect(due).to_have_text("in 15 min")
    expect(due).not_to_have_class(re.compile("due-warning|due-breach"))
    # Past the SLA's warning instant (75% of 15 min) the open page turns it amber by itself.
    server.clock.advance(minutes=12)
    expect(due).to_have_class(re.compile("due-warning"))
    expect(due).to_have_text("in 3 min")
    shoot(agent, screenshots, "02-team-queue-warning")

    agent.get_by_role("link", name=f"#{case_id}").click()
    expect(agent.locator("#case-level")).to_have_text("frontline")
    expect(agent.locator("#awaiting")).to_have_count(0)
    shoot(agent, screenshots, "03-case-new")

    # Time passes past the first-response target; the worker fires the breach rule. The open
    # case page shows the breach and the escalation without a reload.
    server.clock.advance(minutes=8)
    tick(server.database, now=server.clock.now_us(), batch=10)
    expect(agent.locator("#case-level")).to_have_text("supervisor")
    expect(agent.locator("#awaiting")).to_be_visible()
    expect(agent.locator("#timeline")).to_contain_text("SLA first response: breach")
    expect(agent.locator("#timeline")).to_contain_text("Escalated frontline → supervisor")
    expect(agent.locator("td.due-breach").first).to_contain_text("overdue")
    shoot(agent, screenshots, "04-case-breached-and-escalated")
    # It has left the frontline queue for the supervisors'.
    agent.goto(f"{server.url}/ui/queue?team=frontline")
    expect(agent.locator("#queue-rows")).to_contain_text("No cases match.")
    agent.goto(f"{server.url}/ui/cases/{case_id}")

    # A supervisor acknowledges it from the escalations board and replies.
    supervisor_context = chromium.new_context(viewport=LAPTOP)
    supervisor = supervisor_context.new_page()
    sign_in(supervisor, server, server.tokens["supervisor"])
    supervisor.get_by_role("link", name="Escalations", exact=True).click()
    waiting = supervisor.get_by_role("row", name=re.compile(f"#{case_id}"))
    expect(waiting).to_contain_text("Charged twice for my order")
    shoot(supervisor, screenshots, "05-escalations-board")
    waiting.get_by_role("button", name=f"Acknowledge case {case_id}").click()
    expect(supervisor.get_by_text("Nothing waits")).to_be_visible()

    supervisor.goto(f"{server.url}/ui/cases/{case_id}")
    expect(supervisor.locator("#case-handler")).to_have_text("Sara (sara)")
    supervisor.get_by_label("Message").fill(
        "Hello Kim, I am Sara, a supervisor. The second charge is being refunded today."
    )
    supervisor.get_by_role("button", name="Send").click()
    expect(supervisor.get_by_role("status")).to_have_text(REPLY_SAVED)
    expect(supervisor.locator("#timeline li").first).to_contain_text("Replied to the customer")
    shoot(supervisor, screenshots, "06-case-acknowledged-and-replied")

    # The agent's open case page follows without a reload.
    expect(agent.locator("#case-handler")).to_have_text("Sara (sara)")
    expect(agent.locator("#awaiting")).to_have_count(0)

    # The customer's status page names the new handler and shows the reply.
    status_url = supervisor.get_by_role("link", name="The customer's status page").get_attribute(
        "href"
    )
    assert status_url is not None
    assert status_url.startswith(server.url + "/status/")
    customer_context = chromium.new_context(viewport=PHONE, is_mobile=True)
    customer = customer_context.new_page()
    customer.goto(status_url)
    expect(customer.get_by_text("Sara", exact=True)).to_be_visible()
    expect(customer.get_by_text("The second charge is being refunded today.")).to_be_visible()
    shoot(customer, screenshots, "07-customer-status-page")

    # The policy and numbers pages, for the record.
    supervisor.get_by_role("link", name="Policy").click()
    expect(supervisor.get_by_role("heading", level=1)).to_be_visible()
    shoot(supervisor, screenshots, "08-policy")
    supervisor.get_by_role("link", name="Numbers").click()
    expect(supervisor.get_by_role("heading", level=1)).to_be_visible()
    shoot(supervisor, screenshots, "09-numbers")

    _phone(
        chromium,
        server,
        screenshots,
        server.tokens["supervisor"],
        {
            "queue": "/ui/queue?team=supervisors",
            "escalations": "/ui/escalations",
            "case": f"/ui/cases/{case_id}",
            "policy": "/ui/policy",
            "numbers": "/ui/numbers",
        },
    )
    for context in (agent_context, supervisor_context, customer_context):
        context.close()


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_keyboard_alone_signs_in_and_resolves_a_case(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    case_id = open_case(server)
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{server.url}/ui/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    _tab_to(page, "#token")
    page.keyboard.type(server.tokens["agent"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/queue$"))

    page.goto(f"{server.url}/ui/cases/{case_id}")
    _tab_to(page, "#message-body")
    page.keyboard.type("Checking your account now.")
    _tab_to(page, "#send-message")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(REPLY_SAVED)

    _tab_to(page, "#root-cause")
    page.keyboard.type("duplicate charge")
    page.keyboard.press("Enter")
    expect(page.locator("#case-status")).to_have_text("resolved")
    expect(page.locator("#case-root-cause")).to_have_text("duplicate charge")
    # The focus ring is visible: a keyboard user sees where they are.
    _tab_to(page, "#message-body")
    outline = page.locator("#message-body").evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    shoot(page, screenshots, "10-case-resolved-by-keyboard")
    context.close()
