"""The weekly review: the week's escalations, causes, slow cases, lessons and kudos, each
linked to its cases; as a dashboard page for supervisors and as a file from the CLI."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from escalon.learning.review import Week, parse_week, week_of, weekly_review
from escalon.web.review_page import render_review
from tests.builders.causes import escalated_case, resolve_with, use_cause_policy
from tests.builders.dashboard import sign_in, signed_in
from tests.builders.workspace import Workspace


def test_weeks_are_iso_weeks_in_utc() -> None:
    week = parse_week("2026-W49")
    assert (week.monday.isoformat(), week.days) == ("2026-11-30", ("2026-11-30", "2026-12-06"))
    assert week.before() == Week(2026, 48)
    assert parse_week("2027w1").before() == Week(2026, 53)
    assert week.label == "2026-W49 (30 Nov – 6 Dec 2026)"
    with pytest.raises(ValueError, match="not an ISO week such as 2026-W49"):
        parse_week("December")
    with pytest.raises(ValueError, match="2026 has no week 54"):
        parse_week("2026-W54")


def a_week(ws: Workspace) -> tuple[list[int], int]:
    """Three escalations resolved with causes, one lesson: the cases and the lesson's case."""
    use_cause_policy(ws)
    cases = [escalated_case(ws) for _ in range(3)]
    resolve_with(ws, cases[0], "billing_error")
    resolve_with(ws, cases[1], "billing_error")
    resolve_with(ws, cases[2], "product_bug")
    lesson = ws.client.post(
        f"/api/v1/cases/{cases[2]}/lessons",
        json={"text": "Catch the export bug in the release checks"},
        headers=ws.headers("agent"),
    )
    assert lesson.status_code == 201, lesson.text
    return cases, cases[2]


def test_the_review_counts_the_week_and_links_every_figure(workspace: Workspace) -> None:
    _cases, lessoned = a_week(workspace)
    now = workspace.clock.now_us()
    with workspace.database.read() as session:
        review = weekly_review(session, week_of(now), now=now)
    assert review.escalations == 3
    assert review.escalations_before == 0
    assert review.by_level == (("specialist", 3),)
    assert [(cause.key, cause.cases) for cause in review.causes] == [
        ("billing_error", 2),
        ("product_bug", 1),
    ]
    assert [lesson.case_id for lesson in review.lessons] == [lessoned]
    html = render_review(review, "https://help.example.com/")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("nav") is None  # a file or a mail: no dashboard menu
    first, last = review.week.days
    count = soup.select_one("#escalations-count a")
    assert count is not None
    assert count["href"] == (
        f"https://help.example.com/ui/queue?status=any&escalation_from={first}&escalation_to={last}"
    )
    cause_links = [str(a["href"]) for a in soup.select("#causes td a")]
    assert cause_links[0].endswith(f"resolved_from={first}&resolved_to={last}&cause=billing_error")
    assert f"https://help.example.com/ui/cases/{lessoned}" in [
        a["href"] for a in soup.select("#lessons a")
    ]
    assert "Catch the export bug in the release checks" in html


def test_the_page_is_for_supervisors_and_its_links_list_the_cases(workspace: Workspace) -> None:
    cases, _ = a_week(workspace)
    now = workspace.clock.now_us()
    name = week_of(now).name
    assert signed_in(workspace, "agent").get(f"/ui/review?week={name}").status_code == 403
    sign_in(workspace.client, workspace.tokens["supervisor"])
    response = workspace.client.get(f"/ui/review?week={name}")
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    link = soup.select_one("#by-level li a")
    assert link is not None
    listed = workspace.client.get(str(link["href"]))
    assert listed.status_code == 200
    page = BeautifulSoup(listed.text, "html.parser")
    ends = [str(a["href"]).rsplit("/", 1)[-1] for a in page.select("table a[href^='/ui/cases/']")]
    assert sorted({int(end) for end in ends if end.isdigit()}) == sorted(cases)
    bad = workspace.client.get("/ui/review?week=soon")
    assert bad.status_code == 400
    assert "not an ISO week" in bad.text
