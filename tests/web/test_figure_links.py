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


def listed_cases(ws: Workspace, href: str) -> set[int]:
    listed = BeautifulSoup(ws.client.get(href).text, "html.parser")
    ends = [str(a["href"]).rsplit("/", 1)[-1] for a in listed.select("table a[href^='/ui/cases/']")]
    return {int(end) for end in ends if end.isdigit()}


def test_each_day_of_a_chart_leads_to_the_cases_opened_that_day(workspace: Workspace) -> None:
    yesterday = int(open_case(workspace)["id"])
    workspace.clock.advance(hours=24)
    today = [int(open_case(workspace)["id"]), escalated_case(workspace)]
    sign_in(workspace.client, workspace.tokens["supervisor"])
    page = BeautifulSoup(workspace.client.get("/ui/numbers?days=7").text, "html.parser")
    charts = page.select("section:has(svg.chart-svg)")
    by_day = [section for section in charts if section.select("details tbody tr th a[href]")]
    assert len(by_day) >= 3  # escalation rate, time to resolve, SLA... (not by rule or level)
    for section in by_day:
        rows = section.select("details tbody tr th a[href]")
        assert len(rows) == 7  # one link per day of the window
        assert listed_cases(workspace, str(rows[-1]["href"])) == set(today)
        assert listed_cases(workspace, str(rows[-2]["href"])) == {yesterday}
        # The points and bars of the chart itself lead to the same lists.
        drawn = {str(a["href"]) for a in section.select("svg a[href]")}
        assert drawn <= {str(row["href"]) for row in rows}
    assert any(section.select("svg a[href]") for section in charts)
