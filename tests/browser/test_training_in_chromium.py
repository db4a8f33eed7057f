"""In Chromium: a trainee plays a manager-request scenario built from the TWCS threads, once
late and curt and once prompt and careful, in the dashboard's own pages marked "training"; the
two scores differ, and the feedback says why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from typer.testing import CliRunner

from escalon.cli import app
from escalon.core.training.scenario import Scenario, read_scenario
from escalon.training import library
from tests.builders.browser import shoot, sign_in
from tests.builders.paths import SHARED
from tests.support.browser import Server

TWCS_HEAD = SHARED / "data" / "twcs" / "twcs-head-5000.csv"


def _manager_request_from_twcs(folder: Path) -> Scenario:
    if not TWCS_HEAD.exists():
        pytest.skip(f"{TWCS_HEAD} is absent: the shared data sets are not on this machine")
    built = CliRunner().invoke(
        app,
        [
            "training",
            "build",
            "--events",
            str(TWCS_HEAD),
            "--out",
            str(folder),
            "--skill",
            "manager_request",
            "--salt",
            "chromium",
        ],
    )
    assert built.exit_code == 0, built.output
    found = [
        read_scenario(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(folder.glob("*.yaml"))
    ]
    chosen = [scenario for scenario in found if scenario.skill == "manager_request"]
    assert chosen, "the TWCS head has manager requests"
    return chosen[0]


def _start(page: Page, server: Server, title: str) -> None:
    page.goto(f"{server.url}/ui/training?skill=manager_request")
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Start practice").click()
    expect(page).to_have_url(re.compile(r"/ui/practice/[\w-]+/cases/\d+$"))
    expect(page.locator(".training-banner")).to_contain_text("nothing here reaches a customer")


def _reply(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply was saved")


def _finish(page: Page) -> int:
    page.get_by_role("link", name="Session and feedback").click()
    page.get_by_role("button", name="Finish and see feedback").click()
    score = page.locator("#score")
    expect(score).to_have_text(re.compile(r"^\d+$"))
    return int(score.inner_text())


def _points(page: Page, criterion: str) -> int:
    heading = page.locator(f"#criterion-{criterion} h3").inner_text()
    found = re.search(r": (\d+) of \d+", heading)
    assert found is not None, heading
    return int(found[1])


def test_a_late_answer_and_a_good_one_score_differently_for_their_reasons(
    server: Server, chromium: Browser, screenshots: Path, tmp_path: Path
) -> None:
    scenario = _manager_request_from_twcs(tmp_path / "built")
    with server.database.write() as session:
        library.add(session, scenario, by="test", now=server.clock.now_us())
    page = chromium.new_page()
    sign_in(page, server, server.tokens["agent"])

    page.goto(f"{server.url}/ui/training/scenarios/{scenario.id}")
    shoot(page, screenshots, "training-scenario")

    # Late and curt: ten practice hours pass (one real hour at 10×) before a two-word answer.
    _start(page, server, scenario.title)
    shoot(page, screenshots, "training-practice-case")
    server.clock.advance(hours=1)
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("still waiting")
    _reply(page, "DM us.")
    late = _finish(page)
    late_points = {name: _points(page, name) for name in ("response_time", "escalation", "tone")}
    expect(page.locator("#criterion-response_time")).to_contain_text("after it was due")
    shoot(page, screenshots, "training-feedback-late")

    # Prompt and careful: an answer in practice minutes that takes the request up, and an
    # escalation to the supervisor level.
    _start(page, server, scenario.title)
    server.clock.advance(seconds=30)
    page.reload()
    _reply(
        page,
        "I'm sorry about how this went, I understand how frustrating it is. I have asked my "
        "supervisor to take this over; they will write to you within the hour.",
    )
    page.get_by_label("To", exact=True).select_option("level:supervisor")
    page.locator("#escalate-reason").fill("The customer asks for a manager")
    page.get_by_role("button", name="Escalate").click()
    good = _finish(page)
    good_points = {name: _points(page, name) for name in ("response_time", "escalation", "tone")}
    shoot(page, screenshots, "training-feedback-good")

    assert good > late
    assert good_points["response_time"] > late_points["response_time"]
    assert good_points["escalation"] > late_points["escalation"]
    assert good_points["tone"] > late_points["tone"]
    expect(page.locator("#criterion-tone")).to_contain_text("I understand how frustrating")
    page.goto(f"{server.url}/ui/training")
    expect(page.locator("table").last).to_contain_text(str(late))
    shoot(page, screenshots, "training-library")
    page.goto(f"{server.url}/ui/training/progress")
    expect(page.locator("#practised")).to_be_visible()
    shoot(page, screenshots, "training-progress")
    page.close()


def test_a_supervisor_plays_the_customer_and_sees_the_trainees_reply_come_in(
    server: Server, chromium: Browser, screenshots: Path
) -> None:
    from tests.builders.training import scenario as hand_written

    chosen = hand_written()
    with server.database.write() as session:
        library.add(session, chosen, by="test", now=server.clock.now_us())
    supervisor = chromium.new_context().new_page()
    sign_in(supervisor, server, server.tokens["supervisor"])
    supervisor.goto(f"{server.url}/ui/training/scenarios/{chosen.id}")
    supervisor.get_by_label("Who plays the agent").select_option(
        label="agent (role-play: I write as the customer)"
    )
    supervisor.get_by_role("button", name="Start practice").click()
    expect(supervisor).to_have_url(re.compile(r"/ui/training/sessions/[\w-]+$"))
    supervisor.get_by_label("Message").fill("Is anybody there? I want a manager.")
    supervisor.get_by_role("button", name="Send as the customer").click()

    trainee = chromium.new_context().new_page()
    sign_in(trainee, server, server.tokens["agent"])
    trainee.goto(f"{server.url}/ui/training")
    trainee.get_by_role("link", name=re.compile(r"\d{1,2} \w{3} \d{4}")).first.click()
    trainee.get_by_role("link", name="Open the practice case").click()
    expect(trainee.locator("#timeline")).to_contain_text("I want a manager.")
    _reply(trainee, "I am sorry for the wait; my supervisor will call you within the hour.")

    # The supervisor's page follows the sandbox by itself.
    expect(supervisor.locator("#conversation-lines")).to_contain_text("my supervisor will call")
    # What the customer would have received is the reply's own words, kept, never sent.
    expect(supervisor.locator("#captured")).to_contain_text("my supervisor will call you")
    shoot(supervisor, screenshots, "training-role-play")
    supervisor.close()
    trainee.close()
