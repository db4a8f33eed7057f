"""Handing out work in a real browser: a supervisor reassigns a case to a named person and assigns
several at once from the queue; a case waiting overnight goes to the agent whose shift starts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from escalon.worker.timers import tick
from tests.builders.browser import LAPTOP, open_case, shoot, sign_in
from tests.builders.people import OFFICE
from tests.support.browser import Server


def _api(server: Server, method: str, path: str, body: dict[str, Any]) -> None:
    response = httpx.request(
        method,
        f"{server.url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {server.tokens['admin']}"},
        timeout=30,
    )
    assert response.is_success, response.text


def test_a_supervisor_reassigns_one_case_and_assigns_several_at_once(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    single = open_case(server, subject="Wrong size delivered")
    several = [open_case(server, subject=f"Parcel lost {n}") for n in range(3)]
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, server, server.tokens["supervisor"])

    # From the case page: the picker says who is here and how full they are.
    page.goto(f"{server.url}/ui/cases/{single}")
    picker = page.get_by_label("To", exact=True).and_(page.locator("#assign-to"))
    expect(picker).to_contain_text("Omar (omar) · present · 0/20 open cases")
    picker.select_option("omar")
    shoot(page, screenshots, "handout-01-picker")
    page.locator("#assign-button").click()
    expect(page.get_by_role("status")).to_have_text("Assigned to Omar.")
    expect(page.locator("#case-handler")).to_have_text("Omar (omar)")

    # From the queue: the unassigned lost parcels, found by a word, ticked and given to Ana.
    page.goto(f"{server.url}/ui/queue")
    page.get_by_label("unassigned only").check()
    page.get_by_label("Search").fill("parcel")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"unassigned=1.*q=parcel"))
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(3)
    for case_id in several[:2]:
        page.get_by_label(f"Select case #{case_id}").check()
    page.get_by_label("Assign the selected cases to").select_option("ana")
    shoot(page, screenshots, "handout-02-bulk")
    page.get_by_role("button", name="Assign selected").click()
    results = page.locator("#assign-results")
    expect(results).to_contain_text(f"#{several[0]}")
    expect(results.get_by_text("done")).to_have_count(2)
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.locator("#queue-rows tr")).to_have_count(1)
    expect(page.locator("#queue-rows")).to_contain_text(f"#{several[2]}")
    page.goto(f"{server.url}/ui/queue?assignee=ana")
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    context.close()


def test_a_waiting_case_goes_to_the_agent_whose_shift_starts(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    # Monday, 06:00 in Berlin: Ana starts at 09:00; frontline hands out cases in turn.
    server.clock.set(datetime(2026, 11, 30, 5, 0, tzinfo=UTC))
    _api(server, "PATCH", "/agents/ana", {"timezone": "Europe/Berlin", "working_hours": OFFICE})
    _api(server, "PATCH", "/teams/frontline", {"assignment": "round_robin"})
    case_id = open_case(server, subject="When will my order ship?", priority="P4")
    tick(server.database, now=server.clock.now_us(), batch=10)

    # Ana signs in a little before her shift: her queue is empty, the case waits unassigned.
    server.clock.set(datetime(2026, 11, 30, 7, 55, tzinfo=UTC))
    tick(server.database, now=server.clock.now_us(), batch=10)
    context = chromium.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, server, server.tokens["agent"])
    expect(page.locator("#queue-rows")).to_contain_text("No cases match.")
    page.goto(f"{server.url}/ui/queue?unassigned=1")
    expect(page.locator("#queue-rows")).to_contain_text(f"#{case_id}")

    # The shift starts; the worker's tick (run here, on the moved clock) hands the case out and
    # Ana's own queue shows it at its next refresh.
    page.goto(f"{server.url}/ui/queue")
    server.clock.set(datetime(2026, 11, 30, 8, 0, 1, tzinfo=UTC))
    report = tick(server.database, now=server.clock.now_us(), batch=10)
    assert report.handed_out == 1
    expect(page.locator("#queue-rows")).to_contain_text(f"#{case_id}")
    page.goto(f"{server.url}/ui/cases/{case_id}")
    expect(page.locator("#case-handler")).to_have_text("Ana (ana)")
    expect(page.locator("#timeline")).to_contain_text("Assigned to Ana")
    expect(page.locator("#timeline")).to_contain_text("handed out from the queue")
    shoot(page, screenshots, "handout-03-handed-out")
    context.close()
