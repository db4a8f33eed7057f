"""The case page's "whose time" section: the team's OLA deadline and time per team and party."""

from __future__ import annotations

import re

from tests.builders.dashboard import case_page, post_case_form, signed_in
from tests.builders.workspace import Workspace
from tests.cases.test_ola_live import _activate


def _section(html: str) -> str:
    found = re.search(r'<section aria-labelledby="time-title" id="whose-time">(.*?)</section>',
                      html, re.S)  # fmt: skip
    assert found is not None, "no whose-time section"
    return found.group(1)


def test_the_page_shows_the_ola_deadline_and_whose_time_it_was(workspace: Workspace) -> None:
    _activate(workspace)
    opened = workspace.client.post(
        "/api/v1/cases",
        json={"customer": {"ref": "K-1", "name": "Kim"}, "subject": "Export", "body": "broken"},
        headers=workspace.headers("integration"),
    )
    case_id = opened.json()["id"]
    supervisor = signed_in(workspace, "supervisor")
    workspace.clock.advance(minutes=20)
    assert post_case_form(
        supervisor, case_id, "escalate", target="level:specialist", reason="deep dive"
    ).is_redirect
    workspace.clock.advance(minutes=40)
    assert post_case_form(supervisor, case_id, "update", status="pending_third_party").is_redirect
    workspace.clock.advance(minutes=30)

    html = case_page(supervisor, case_id)
    assert 'value="pending_third_party" selected' in html  # the status control offers it
    shown = _section(html)
    assert re.search(r'<tr id="ola-row">\s*<td[^>]*>specialists</td>\s*<td[^>]*>2 h</td>'
                     r'\s*<td[^>]*>running</td>', shown)  # fmt: skip
    assert "in 50 min" in shown  # 70 of its 120 minutes gone, the third-party wait included
    assert re.search(r"a third party&#39;s move</td>\s*<td[^>]*>30 min</td>\s*<td[^>]*>33%", shown)
    assert re.search(r">frontline</td>\s*<td[^>]*>20 min</td>", shown)
    assert re.search(r">specialists</td>\s*<td[^>]*>1 h 10 min</td>", shown)


def test_a_case_without_an_ola_shows_only_whose_time_it_was(workspace: Workspace) -> None:
    opened = workspace.client.post(
        "/api/v1/cases",
        json={"customer": {"ref": "K-2", "name": "Ana"}, "subject": "Hi", "body": "hello"},
        headers=workspace.headers("integration"),
    )
    workspace.clock.advance(minutes=15)
    shown = _section(case_page(signed_in(workspace, "agent"), opened.json()["id"]))
    assert 'id="ola-row"' not in shown
    assert re.search(r"our move</td>\s*<td[^>]*>15 min</td>\s*<td[^>]*>100%", shown)
