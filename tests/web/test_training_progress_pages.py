"""The progress pages of the training ground: a person's own progress and certificate, the
supervisors' overview of who needs which practice, and who may see what."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.builders.dashboard import signed_in
from tests.builders.progress import DAY_US, billing_month, finished, listed
from tests.builders.workspace import Workspace


def _soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def _cells(soup: BeautifulSoup, selector: str) -> list[str]:
    row = soup.select_one(selector)
    assert row is not None, selector
    return [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"], recursive=False)]


def test_my_progress_shows_scores_by_skill_with_links_to_the_sessions(
    workspace: Workspace,
) -> None:
    listed(workspace, "manager-one", "manager_request")
    now = workspace.clock.now_us()
    early = finished(workspace, "agent", "manager-one", lost={"tone": 20}, at=now - 7 * DAY_US)
    late = finished(workspace, "agent", "manager-one", lost={"tone": 5}, at=now)
    answer = signed_in(workspace, "agent").get("/ui/training/progress")
    assert answer.status_code == 200, answer.text
    soup = _soup(answer.text)
    assert _cells(soup, "#skill-manager_request") == [
        "a customer asks for a manager",
        "2",
        "95",
        "95",
        "88",
        "tone: 25 of 50 points",
        "yes",
    ]
    best = soup.select_one("#skill-manager_request a")
    assert best is not None
    assert best["href"] == f"/ui/training/sessions/{late}"
    assert soup.select_one("#finished").get_text(strip=True) == "2"  # type: ignore[union-attr]
    assert soup.select_one("#practised").get_text(strip=True) == "20 min"  # type: ignore[union-attr]
    over_time = soup.select_one("#over-time")
    assert over_time is not None
    assert over_time.select_one("svg") is not None
    weeks = [a["href"] for a in over_time.select("table a")]
    assert weeks == [f"/ui/training/sessions/{early}", f"/ui/training/sessions/{late}"]
    link = soup.select_one("#certificate-link")
    assert link is not None
    assert link["href"] == "/ui/training/certificate"


def test_my_progress_suggests_practice_with_a_reason_and_a_scenario(
    workspace: Workspace,
) -> None:
    billing_month(workspace)
    listed(workspace, "refund-one", "refund_above_authority")
    soup = _soup(signed_in(workspace, "agent").get("/ui/training/progress").text)
    suggestion = soup.select_one("#suggested li.suggestion")
    assert suggestion is not None
    text = suggestion.get_text(" ", strip=True)
    assert "12 of 15 billing cases escalated from ana in the last 30 days (80 %)" in text
    assert "against 20 % for their peers" in text
    offered = suggestion.select_one("a")
    assert offered is not None
    assert offered["href"] == "/ui/training/scenarios/refund-one"


def test_supervisors_see_who_needs_which_practice(workspace: Workspace) -> None:
    billing_month(workspace)
    listed(workspace, "refund-one", "refund_above_authority")
    listed(workspace, "manager-one", "manager_request")
    now = workspace.clock.now_us()
    key = finished(workspace, "agent", "manager-one", lost={"tone": 25, "escalation": 25}, at=now)
    answer = signed_in(workspace, "supervisor").get("/ui/training/people")
    assert answer.status_code == 200, answer.text
    soup = _soup(answer.text)
    cells = _cells(soup, "tr#agent")
    assert cells[:5] == [
        "Ana (agent)",
        "1",
        "50",
        "50",
        "a refund above your authority; a customer asks for a manager",
    ]
    row = soup.select_one("tr#agent")
    assert row is not None
    links = [a["href"] for a in row.select("a")]
    assert links[0] == "/ui/training/progress?person=agent"
    assert f"/ui/training/sessions/{key}" in links
    assert "/ui/training/scenarios/refund-one" in links
    reasons = [item.get_text(" ", strip=True) for item in row.select(".reason")]
    assert reasons[1].startswith("Best score 50 in 1 session of a customer asks for a manager")
    # A supervisor may open that person's progress and certificate.
    supervisor = signed_in(workspace, "supervisor")
    theirs = supervisor.get("/ui/training/progress?person=agent")
    assert theirs.status_code == 200
    assert "Training progress: Ana (agent)" in theirs.text
    assert supervisor.get("/ui/training/certificate?person=agent").status_code == 200


def test_the_coaching_page_links_a_gap_to_the_practice_for_it(workspace: Workspace) -> None:
    billing_month(workspace)
    soup = _soup(signed_in(workspace, "supervisor").get("/ui/coaching?days=7").text)
    link = soup.select_one("#gaps li.gap a.practice")
    assert link is not None
    assert link["href"] == "/ui/training/people#agent"
    assert link.get_text(" ", strip=True).startswith("Practice for this")


def test_agents_see_only_their_own(workspace: Workspace) -> None:
    listed(workspace, "manager-one", "manager_request")
    finished(workspace, "supervisor", "manager-one", lost={}, at=workspace.clock.now_us())
    agent = signed_in(workspace, "agent")
    assert agent.get("/ui/training/people").status_code == 403
    assert agent.get("/ui/training/progress?person=supervisor").status_code == 403
    assert agent.get("/ui/training/certificate?person=supervisor").status_code == 403
    # Naming oneself is one's own page.
    assert agent.get("/ui/training/progress?person=agent").status_code == 200
    anonymous = workspace.client.get("/ui/training/progress", follow_redirects=False)
    assert anonymous.status_code == 303


def test_the_certificate_counts_finished_sessions_and_prints_without_navigation(
    workspace: Workspace,
) -> None:
    listed(workspace, "manager-one", "manager_request")
    listed(workspace, "refund-one", "refund_above_authority")
    now = workspace.clock.now_us()
    finished(workspace, "agent", "manager-one", lost={}, at=now - DAY_US, minutes=25)
    key = finished(
        workspace, "agent", "refund-one", lost={"authority": 15}, at=now, mode="role_play"
    )
    finished(workspace, "agent", "refund-one", lost={}, at=now, running=True)
    answer = signed_in(workspace, "agent").get("/ui/training/certificate")
    assert answer.status_code == 200, answer.text
    soup = _soup(answer.text)
    assert soup.select_one("#sessions").get_text(strip=True) == "2"  # type: ignore[union-attr]
    assert soup.select_one("#practised").get_text(strip=True) == "35 min"  # type: ignore[union-attr]
    assert soup.select_one("#passed-count").get_text(strip=True) == "2"  # type: ignore[union-attr]
    assert _cells(soup, "#skill-refund_above_authority") == [
        "a refund above your authority",
        "85",
        "30 November 2026",
        "1",
        "passed",
    ]
    best = soup.select_one("#skill-refund_above_authority a")
    assert best is not None
    assert best["href"] == f"/ui/training/sessions/{key}"
    assert "@media print" in answer.text
    assert "header, .skip, .no-print { display: none" in answer.text
