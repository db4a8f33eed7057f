"""The numbers page: KPIs of the cases opened in a window, as figures, charts and data tables."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest
from bs4 import BeautifulSoup, Tag

from escalon.core.state import to_us
from escalon.web.numbers_page import DAY_US, buckets
from tests.builders.cases import open_case
from tests.builders.dashboard import sign_in
from tests.builders.workspace import Workspace

DAY_HOURS = 24


def _version(ws: Workspace, case_id: int) -> str:
    response = ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers())
    assert response.status_code == 200, response.text
    return str(response.headers["ETag"])


def _escalate(ws: Workspace, case_id: int, level: str) -> None:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/escalations",
        json={"kind": "hierarchical", "to_level": level, "reason": "the customer needs more"},
        headers=ws.headers("agent", **{"If-Match": _version(ws, case_id)}),
    )
    assert response.status_code == 200, response.text


def _reply(ws: Workspace, case_id: int) -> None:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "agent", "body": "Fixed it."},
        headers=ws.headers("agent"),
    )
    assert response.status_code == 201, response.text


def _resolve(ws: Workspace, case_id: int) -> None:
    response = ws.client.patch(
        f"/api/v1/cases/{case_id}",
        json={"status": "resolved"},
        headers=ws.headers("agent", **{"If-Match": _version(ws, case_id)}),
    )
    assert response.status_code == 200, response.text


def _survey(ws: Workspace, case_id: int, score: int) -> None:
    response = ws.client.post(
        f"/api/v1/cases/{case_id}/survey",
        json={"score": score},
        headers=ws.headers("integration"),
    )
    assert response.status_code == 200, response.text


def _numbers(ws: Workspace, query: str = "") -> BeautifulSoup:
    response = ws.client.get(f"/ui/numbers{query}")
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def _section(soup: BeautifulSoup, key: str) -> Tag:
    found = soup.find("section", id=key)
    assert isinstance(found, Tag), key
    return found


def _table(soup: BeautifulSoup, key: str) -> dict[str, dict[str, str]]:
    """A chart's data table: row name → column heading → cell text."""
    table = _section(soup, key).find("table")
    assert isinstance(table, Tag)
    columns = [th.get_text(strip=True) for th in table.select("thead th")]
    rows: dict[str, dict[str, str]] = {}
    for tr in table.select("tbody tr"):
        cells = [cell.get_text(strip=True) for cell in tr.find_all(["th", "td"])]
        rows[cells[0]] = dict(zip(columns[1:], cells[1:], strict=True))
    return rows


def _figure(soup: BeautifulSoup, key: str) -> tuple[str, str]:
    found = soup.find(id=f"figure-{key}")
    assert isinstance(found, Tag), key
    value, detail = found.find_all("dd")
    return value.get_text(strip=True), detail.get_text(strip=True)


@pytest.fixture
def history(workspace: Workspace) -> Workspace:
    """A week of cases, signed in as a supervisor. Monday 30 Nov: one escalated to supervisor and
    resolved (CSAT 2), one resolved on first contact (CSAT 5). Tuesday 1 Dec: one, left alone.
    Wednesday 2 Dec: none. Thursday 3 Dec: one escalated to specialist, one not; both open."""
    ws = workspace
    escalated = open_case(ws)["id"]
    _escalate(ws, escalated, "supervisor")
    _resolve(ws, escalated)
    _survey(ws, escalated, 2)
    quick = open_case(ws)["id"]
    _reply(ws, quick)
    _resolve(ws, quick)
    _survey(ws, quick, 5)
    ws.clock.advance(hours=DAY_HOURS)
    open_case(ws)
    ws.clock.advance(hours=2 * DAY_HOURS)
    _escalate(ws, open_case(ws)["id"], "specialist")
    open_case(ws)
    ws.clock.advance(hours=1)
    sign_in(ws.client, ws.tokens["supervisor"])
    return ws


def test_the_headline_figures_count_the_cases_of_the_window(history: Workspace) -> None:
    soup = _numbers(history, "?days=7")
    assert _figure(soup, "cases")[0] == "5"
    assert _figure(soup, "escalation-rate") == ("40%", "2 of 5 cases escalated")
    assert _figure(soup, "escalations")[0] == "2"
    assert _figure(soup, "first-contact")[0] == "50%"
    assert _figure(soup, "csat-escalated") == ("2", "mean score (1–5) of 1 response")
    assert _figure(soup, "csat-other") == ("5", "mean score (1–5) of 1 response")
    assert _figure(soup, "resolve-escalated")[1].endswith("of 1 resolved case")
    assert _figure(soup, "resolve-other")[1].endswith("of 1 resolved case")
    assert _figure(soup, "sla-resolution") == ("100%", "2 met, 0 breached")
    assert "27 Nov 2026 – 3 Dec 2026" in soup.get_text()


def test_escalations_are_counted_by_rule_and_by_level(history: Workspace) -> None:
    soup = _numbers(history, "?days=7")
    assert _table(soup, "by-rule") == {"manual": {"Escalations": "2"}}
    assert _table(soup, "by-level") == {
        "specialist": {"Escalations": "1"},
        "supervisor": {"Escalations": "1"},
    }
    over_time = _table(soup, "by-level-over-time")
    assert over_time["Mon 30 Nov 2026"] == {"specialist": "0", "supervisor": "1", "Total": "1"}
    assert over_time["Thu 3 Dec 2026"] == {"specialist": "1", "supervisor": "0", "Total": "1"}
    assert over_time["Wed 2 Dec 2026"]["Total"] == "0"
    bars = _section(soup, "by-level").find("svg")
    assert isinstance(bars, Tag)
    assert len(bars.find_all("rect")) == 2


def test_days_without_cases_are_gaps_not_zeros(history: Workspace) -> None:
    soup = _numbers(history, "?days=7")
    rate = _table(soup, "escalation-rate")
    column = "Escalated cases / cases opened"
    assert list(rate) == [
        "Fri 27 Nov 2026",
        "Sat 28 Nov 2026",
        "Sun 29 Nov 2026",
        "Mon 30 Nov 2026",
        "Tue 1 Dec 2026",
        "Wed 2 Dec 2026",
        "Thu 3 Dec 2026",
    ]
    assert [row[column] for row in rate.values()] == ["—", "—", "—", "50%", "0%", "—", "50%"]
    assert rate["Mon 30 Nov 2026"]["Opened"] == "2"
    chart = _section(soup, "escalation-rate").find("svg")
    assert isinstance(chart, Tag)
    assert chart["role"] == "img"
    assert "3 days without data" not in str(chart["aria-label"])
    assert "4 days without data" in str(chart["aria-label"])
    # Three days with data, and the empty Wednesday cuts the line in two.
    assert len(chart.find_all("circle")) == 3
    assert len(chart.find_all("polyline")) == 1
    csat = _table(soup, "satisfaction")
    assert csat["Mon 30 Nov 2026"] == {
        "Escalated": "2",
        "Not escalated": "5",
        "Responses, escalated": "1",
        "Responses, other": "1",
    }
    assert csat["Tue 1 Dec 2026"]["Escalated"] == "—"


def test_ninety_days_are_shown_in_thirteen_weeks_with_the_same_totals(
    history: Workspace,
) -> None:
    soup = _numbers(history, "?days=90")
    rate = _table(soup, "escalation-rate")
    assert len(rate) == 13
    weeks = list(rate.values())
    assert sum(int(week["Opened"]) for week in weeks) == 5
    assert weeks[-1]["Escalated cases / cases opened"] == "40%"
    assert weeks[-2]["Escalated cases / cases opened"] == "—"
    assert _figure(soup, "escalation-rate")[0] == "40%"
    assert list(rate)[-1] == "27 Nov – 3 Dec 2026"
    daily = _table(_numbers(history, "?days=90&bucket=day"), "escalation-rate")
    assert len(daily) == 90


def test_the_default_window_is_thirty_days_by_day(history: Workspace) -> None:
    soup = _numbers(history)
    assert len(_table(soup, "escalation-rate")) == 30
    current = soup.find("a", attrs={"aria-current": "page"})
    assert current is not None
    assert current.get_text(strip=True) == "Last 30 days"


def test_cases_opened_before_the_window_are_left_out(workspace: Workspace) -> None:
    open_case(workspace)
    workspace.clock.advance(hours=8 * DAY_HOURS)
    open_case(workspace)
    sign_in(workspace.client, workspace.tokens["agent"])
    assert _figure(_numbers(workspace, "?days=7"), "cases")[0] == "1"
    assert _figure(_numbers(workspace, "?days=30"), "cases")[0] == "2"


def test_an_empty_window_shows_dashes_and_no_charts(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    soup = _numbers(workspace, "?days=7")
    assert _figure(soup, "escalation-rate") == ("—", "0 of 0 cases escalated")
    assert soup.find("svg") is None
    assert "No data in this window." in soup.get_text()


@pytest.mark.parametrize("query", ["?days=14", "?days=abc", "?days=-30", "?bucket=month"])
def test_an_unknown_window_gets_a_notice(workspace: Workspace, query: str) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    response = workspace.client.get(f"/ui/numbers{query}")
    assert response.status_code == 400
    assert "Cannot show these numbers" in response.text


def test_without_a_session_the_page_sends_you_to_sign_in(workspace: Workspace) -> None:
    response = workspace.client.get("/ui/numbers", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in"


def test_ninety_days_are_cut_into_weeks_counted_back_from_today() -> None:
    cut = buckets(to_us(datetime(2026, 12, 3, 10, tzinfo=UTC)), 90, 7)
    assert len(cut) == 13
    assert cut[-1].until == to_us(datetime(2026, 12, 4, tzinfo=UTC))
    assert cut[0].since == cut[-1].until - 90 * DAY_US
    assert all(a.until == b.since for a, b in pairwise(cut))
    assert {b.until - b.since for b in cut[1:]} == {7 * DAY_US}
    assert cut[0].until - cut[0].since == 6 * DAY_US  # what is left of the 90 days
    assert (cut[-1].short, cut[-1].long) == ("27 Nov", "27 Nov – 3 Dec 2026")


def test_a_week_across_new_year_names_both_years() -> None:
    (week,) = buckets(to_us(datetime(2027, 1, 2, 23, tzinfo=UTC)), 7, 7)
    assert week.long == "27 Dec 2026 – 2 Jan 2027"
    days = buckets(to_us(datetime(2027, 1, 2, 23, tzinfo=UTC)), 7, 1)
    assert [day.long for day in days][-2:] == ["Fri 1 Jan 2027", "Sat 2 Jan 2027"]


def test_root_causes_are_counted_for_all_and_for_escalated_cases(workspace: Workspace) -> None:
    causes = {"expired card": 2, "outage": 1}
    ids = []
    for cause, count in causes.items():
        for _ in range(count):
            case_id = open_case(workspace)["id"]
            ids.append(case_id)
            if cause == "outage":
                _escalate(workspace, case_id, "specialist")
            response = workspace.client.patch(
                f"/api/v1/cases/{case_id}",
                json={"status": "resolved", "root_cause": cause},
                headers=workspace.headers("agent", **{"If-Match": _version(workspace, case_id)}),
            )
            assert response.status_code == 200, response.text
    sign_in(workspace.client, workspace.tokens["supervisor"])
    soup = _numbers(workspace, "?days=7")
    assert _table(soup, "root-causes") == {
        "expired card": {"Cases": "2"},
        "outage": {"Cases": "1"},
    }
    assert _table(soup, "root-causes-escalated") == {"outage": {"Escalated cases": "1"}}
