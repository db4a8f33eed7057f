"""The case page in Chromium, as a supervisor reads it after a breach: clocks that say what time
they count, a timeline in words with the breach before the escalation it caused, a message
saying what an action did, and nothing to escalate once the case is resolved."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from escalon.worker.timers import tick
from tests.builders.browser import LAPTOP, open_case, shoot, sign_in
from tests.support.browser import Server


def test_a_supervisor_reads_a_breached_case_and_resolves_it(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    case_id = open_case(server, priority="P1")
    server.clock.advance(minutes=20)
    tick(server.database, now=server.clock.now_us(), batch=10)
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, server, server.tokens["supervisor"])

    page.goto(f"{server.url}/ui/cases/{case_id}")
    expect(page.locator("#clock-caption")).to_contain_text("wall-clock time")
    lines = page.locator("#timeline li").all_inner_texts()
    breach = next(i for i, line in enumerate(lines) if "SLA first response: breach" in line)
    escalation = next(
        i for i, line in enumerate(lines) if "Escalated frontline → supervisor" in line
    )
    assert escalation < breach  # newest first: the breach came first
    assert not any("{" in line or "sla.breach" in line for line in lines)
    shoot(page, screenshots, "20-case-after-a-breach")

    page.get_by_label("Root cause").fill("printer firmware")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_have_text("Resolved, root cause: printer firmware.")
    expect(page.locator("#case-status")).to_have_text("resolved")
    expect(page.get_by_role("button", name="Escalate")).to_have_count(0)
    expect(page.get_by_role("button", name="Request")).to_have_count(0)
    expect(page.get_by_role("button", name="Acknowledge the escalation")).to_have_count(0)
    expect(page.locator("#settled-note")).to_contain_text(re.compile("reopen it first"))
    shoot(page, screenshots, "21-case-resolved-offers-no-escalation")
    context.close()
