"""The coaching page: rates against peers with intervals, what people escalate, training gaps;
for supervisors and managers only."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from escalon.analytics.coaching import coaching
from tests.builders.cases import open_case
from tests.builders.dashboard import sign_in, signed_in
from tests.builders.workspace import Workspace


def hire(ws: Workspace, handle: str) -> None:
    response = ws.client.post(
        "/api/v1/agents",
        json={
            "handle": handle,
            "name": handle.title(),
            "email": f"{handle}@example.org",
            "level": "frontline",
            "teams": ["frontline"],
        },
        headers=ws.headers(),
    )
    assert response.status_code == 201, response.text


def handled_case(ws: Workspace, holder: str, category: str, *, escalate: bool) -> int:
    """A case given to `holder`, escalated by hand while theirs when `escalate`."""
    case_id = int(open_case(ws, category=category)["id"])
    given = ws.client.put(
        f"/api/v1/cases/{case_id}/assignee", json={"assignee": holder}, headers=ws.headers()
    )
    assert given.status_code == 200, given.text
    if escalate:
        moved = ws.client.post(
            f"/api/v1/cases/{case_id}/escalations",
            json={"kind": "hierarchical", "to_level": "supervisor", "reason": "stuck"},
            headers=ws.headers("supervisor"),
        )
        assert moved.status_code == 200, moved.text
    return case_id


def frontline_month(ws: Workspace) -> list[int]:
    """ana escalates 12 of 15 (billing), ben and cleo 1 of 15 each: ana's escalated cases."""
    for handle in ("ben", "cleo"):
        hire(ws, handle)
    escalated = [handled_case(ws, "ana", "billing", escalate=number < 12) for number in range(15)]
    for handle in ("ben", "cleo"):
        for number in range(15):
            handled_case(ws, handle, "billing" if number < 5 else "how-to", escalate=number == 0)
    return escalated[:12]


def test_a_rate_clearly_apart_from_the_rest_of_the_team_is_called_so(workspace: Workspace) -> None:
    frontline_month(workspace)
    now = workspace.clock.now_us()
    with workspace.database.read() as session:
        found = coaching(session, since=now - 86_400_000_000, until=now + 1)
    people = {person.name: person for person in found.people}
    ana, ben = people["ana"], people["ben"]
    assert (ana.handled, ana.escalated, ana.peers) == (15, 12, 2 / 30)
    assert ana.apart == "above"
    assert ana.rate is not None
    assert ana.rate.low > 2 / 30
    assert ana.by_category == (("billing", 12),)
    assert ana.by_rule == (("manual", 12),)
    # ben's 1 of 15 against ana's and cleo's 13 of 30: clearly below.
    assert (ben.escalated, ben.apart) == (1, "below")
    # cleo's 1 of 15 against 13 of 30 is apart too; with only 3 cases it would not be.
    assert [gap.category for gap in ana.gaps] == ["billing"]
    assert ana.gaps[0].escalated == 12
    teams = {team.name: team for team in found.teams}
    assert (teams["frontline"].handled, teams["frontline"].escalated) == (45, 14)


def test_few_cases_never_single_anyone_out(workspace: Workspace) -> None:
    hire(workspace, "ben")
    handled_case(workspace, "ana", "billing", escalate=True)
    handled_case(workspace, "ana", "billing", escalate=True)
    for _ in range(3):
        handled_case(workspace, "ben", "billing", escalate=False)
    now = workspace.clock.now_us()
    with workspace.database.read() as session:
        found = coaching(session, since=now - 86_400_000_000, until=now + 1)
    ana = next(person for person in found.people if person.name == "ana")
    assert (ana.handled, ana.escalated, ana.peers) == (2, 2, 0.0)
    # 2 of 2 is 34 %-100 %, which excludes ben's 0 of 3; yet two cases are two cases.
    assert ana.apart is None
    assert ana.gaps == ()


def test_the_page_shows_it_to_supervisors_and_links_the_cases(workspace: Workspace) -> None:
    escalated = frontline_month(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    response = workspace.client.get("/ui/coaching?days=7")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    row = soup.select_one("#person-ana")
    assert row is not None
    cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
    assert cells[:4] == ["Ana (ana)", "frontline", "15", "12"]
    assert "clearly above" in cells
    gaps = [item.get_text(" ", strip=True) for item in soup.select("#gaps li.gap")]
    assert (
        "Ana (ana): billing , 12 of 15 escalated (80 %, peers 20 %) · Practice for this : Ana (ana)"
    ) in gaps
    link = row.select_one("a")
    assert link is not None
    listed = workspace.client.get(str(link["href"]))
    assert listed.status_code == 200
    page = BeautifulSoup(listed.text, "html.parser")
    ends = [str(a["href"]).rsplit("/", 1)[-1] for a in page.select("table a[href^='/ui/cases/']")]
    assert sorted({int(end) for end in ends if end.isdigit()}) == sorted(escalated)


def test_agents_see_neither_the_page_nor_a_peers_escalations(workspace: Workspace) -> None:
    agent: TestClient = signed_in(workspace, "agent")
    page = agent.get("/ui/coaching")
    assert page.status_code == 403
    assert "Only supervisors and managers" in page.text
    assert 'href="/ui/coaching"' not in agent.get("/ui/queue").text
    peer = agent.get("/ui/queue?holder=sara&status=any")
    assert peer.status_code == 403
    assert agent.get("/ui/queue?holder=ana&status=any").status_code == 200
