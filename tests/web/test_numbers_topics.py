"""The numbers page's recurring topics among escalated cases: new and growing ones first, each
count a link to exactly its cases, and nothing misleading before the first run."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient

from escalon.learning import topic_runs
from tests.builders.dashboard import sign_in, signed_in
from tests.builders.topics import Themed, escalated_themes
from tests.builders.workspace import Workspace

THEMES = ("refund", "password", "parcel", "crash")


def topic_rows(client: TestClient) -> list[Tag]:
    response = client.get("/ui/numbers")
    assert response.status_code == 200, response.text
    section = BeautifulSoup(response.text, "html.parser").find("section", id="topics")
    assert isinstance(section, Tag)
    return section.select("tbody tr")


def listed(client: TestClient, href: str) -> set[int]:
    """The cases the queue page lists behind a link (following its next pages)."""
    found: set[int] = set()
    response = client.get(href)
    assert response.status_code == 200, response.text
    page = BeautifulSoup(response.text, "html.parser")
    for link in page.select("table a[href^='/ui/cases/']"):
        end = str(link["href"]).rsplit("/", 1)[-1]
        if end.isdigit():
            found.add(int(end))
    return found


def cells(row: Tag) -> list[Tag]:
    return row.find_all(["th", "td"])


def href(cell: Tag) -> str:
    """Where a cell's link leads (it must have one)."""
    link = cell.a
    assert link is not None
    return str(link["href"])


def theme_of(themed: Themed, cases: set[int]) -> str:
    return next(theme for theme in THEMES if cases and cases <= themed.of(theme))


def test_new_and_growing_topics_come_first_and_each_count_lists_exactly_its_cases(
    workspace: Workspace,
) -> None:
    themed = escalated_themes(workspace)
    topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    rows = topic_rows(workspace.client)
    assert len(rows) == 4
    seen = []
    for row in rows:
        name, period, before, _typical = cells(row)
        mark = name.select_one(".mark")
        now_cases = listed(workspace.client, href(period)) if period.a else set()
        then_cases = listed(workspace.client, href(before)) if before.a else set()
        theme = theme_of(themed, now_cases | then_cases)
        # Exactly the theme's cases of each part of the window, no other case.
        assert now_cases == set(themed.now.get(theme, []))
        assert then_cases == set(themed.before.get(theme, []))
        assert period.get_text(strip=True) == str(len(now_cases))
        assert before.get_text(strip=True) == str(len(then_cases))
        seen.append((theme, None if mark is None else mark.get_text(strip=True)))
    assert seen == [("parcel", "new"), ("crash", "growing"), ("refund", None), ("password", None)]
    run = BeautifulSoup(workspace.client.get("/ui/numbers").text, "html.parser").find(
        id="topics-run"
    )
    assert run is not None
    words = " ".join(run.get_text().split())
    assert "by escalon topics --store" in words
    assert "32 escalated cases opened 20 Oct 2026 – 11 Jan 2027" in words
    assert "This period is 15 Dec 2026 – 11 Jan 2027" in words


def test_a_topic_link_names_the_topic_above_the_list(workspace: Workspace) -> None:
    escalated_themes(workspace)
    topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    name, period, _before, _typical = cells(topic_rows(workspace.client)[0])
    page = BeautifulSoup(workspace.client.get(href(period)).text, "html.parser")
    counted = page.find(id="counted")
    assert counted is not None
    assert f"in the recurring topic “{name.contents[0].get_text(strip=True)}”" in (
        counted.get_text()
    )


def test_before_any_run_the_page_says_how_to_get_topics(workspace: Workspace) -> None:
    escalated_themes(workspace)  # cases, but no run yet
    sign_in(workspace.client, workspace.tokens["agent"])
    response = workspace.client.get("/ui/numbers")
    page = BeautifulSoup(response.text, "html.parser")
    none = page.find(id="topics-none")
    assert none is not None
    assert "No topics yet: run escalon topics --store, or wait for the worker" in " ".join(
        none.get_text().split()
    )
    section = page.find("section", id="topics")
    assert isinstance(section, Tag)
    assert section.find("table") is None


def test_an_agent_sees_the_teams_counts_but_only_typical_cases_in_sight(
    workspace: Workspace, teams: TestClient
) -> None:
    themed = escalated_themes(workspace)
    hers = themed.now["crash"][:2]
    for case_id in hers:
        given = workspace.client.put(
            f"/api/v1/cases/{case_id}/assignee",
            json={"assignee": "ana"},
            headers=workspace.headers(),
        )
        assert given.status_code == 200, given.text
    topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    sign_in(teams, workspace.tokens["agent"])
    manager = signed_in(workspace, "supervisor")
    for row, full in zip(topic_rows(teams), topic_rows(manager), strict=True):
        # The counts are the whole team's, as every figure of the numbers page.
        counts = [cell.get_text(strip=True) for cell in cells(row)[1:3]]
        assert counts == [cell.get_text(strip=True) for cell in cells(full)[1:3]]
        typical = {int(a.get_text().lstrip("#")) for a in cells(row)[3].find_all("a")}
        assert typical <= set(hers)
        period = cells(row)[1].a
        if period is not None:  # the list behind a count shows only the cases in sight
            assert listed(teams, str(period["href"])) <= set(hers)
    crash = next(row for row in topic_rows(teams) if "growing" in cells(row)[0].get_text())
    assert listed(teams, href(cells(crash)[1])) == set(hers)


def test_a_topic_no_run_keeps_or_a_bad_one_gets_a_notice(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["supervisor"])
    for asked, says in (
        ("99", "no stored topic 99"),
        ("x1", "topic is the number of a topic"),
        ("-3", "topic is the number of a topic"),
        ("9" * 30, "topic is the number of a topic"),
    ):
        response = workspace.client.get(f"/ui/queue?status=any&topic={asked}")
        assert response.status_code == 400, asked
        assert says in response.text
