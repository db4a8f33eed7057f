"""Every headline number of the numbers page leads to the cases it counts."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.builders.cases import open_case
from tests.builders.causes import escalated_case
from tests.builders.dashboard import sign_in
from tests.builders.workspace import Workspace


def cases_behind(ws: Workspace, figure: str) -> list[int]:
    page = BeautifulSoup(ws.client.get("/ui/numbers?days=7").text, "html.parser")
    link = page.select_one(f"#figure-{figure} a")
    assert link is not None, figure
    listed = BeautifulSoup(ws.client.get(str(link["href"])).text, "html.parser")
    ends = [str(a["href"]).rsplit("/", 1)[-1] for a in listed.select("table a[href^='/ui/cases/']")]
    return sorted({int(end) for end in ends if end.isdigit()})


def test_the_headline_figures_link_to_their_cases(workspace: Workspace) -> None:
    quiet = int(open_case(workspace)["id"])
    loud = escalated_case(workspace)
    sign_in(workspace.client, workspace.tokens["supervisor"])
    assert cases_behind(workspace, "cases") == sorted([quiet, loud])
    assert cases_behind(workspace, "escalations") == [loud]
    assert cases_behind(workspace, "escalation-rate") == [loud]
    assert cases_behind(workspace, "resolve-escalated") == []  # none resolved yet
