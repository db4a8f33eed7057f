"""The policy what-if in the dashboard: a stored candidate replayed against the active version
over the last days' cases, told again from the audit trail. SQLite and PostgreSQL."""

from __future__ import annotations

from bs4 import BeautifulSoup

from escalon.cases.visibility import Scope
from escalon.demo import policy_text
from escalon.policies.history import history
from tests.builders.cases import open_case
from tests.builders.dashboard import signed_in
from tests.builders.workspace import Workspace

MANAGER_RULE = """  - name: customer asks for a manager
    trigger: customer.message
    if: {intent: manager_request}
    do:
      - escalate: {to: supervisor}
      - notify_customer: escalated
"""
ASKS_FOR_A_MANAGER = "Could I please speak to your manager about my order?"


def candidate(ws: Workspace) -> int:
    """Version 2: the example without the rule that escalates on a request for a manager."""
    source = policy_text()
    assert MANAGER_RULE in source
    uploaded = ws.client.post(
        "/api/v1/policies",
        json={
            "source": source.replace("\nversion: 1\n", "\nversion: 2\n").replace(MANAGER_RULE, ""),
            "filename": "candidate.yaml",
        },
        headers=ws.headers(),
    )
    assert uploaded.status_code == 201, uploaded.text
    return int(uploaded.json()["id"])


def headline(html: str) -> dict[str, tuple[str, str]]:
    table = BeautifulSoup(html, "html.parser").find("section", id="headline")
    assert table is not None
    rows = {}
    for row in table.select("tbody tr"):
        cells = [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
        rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_a_candidate_is_replayed_against_the_active_version_on_the_last_days(
    workspace: Workspace,
) -> None:
    for number in range(3):
        open_case(workspace, subject=f"Order {number}", body=ASKS_FOR_A_MANAGER)
    for number in range(2):
        open_case(workspace, subject=f"Question {number}", body="Where do I find my invoices?")
    live = workspace.client.get("/api/v1/cases?escalated=true", headers=workspace.headers())
    assert len(live.json()["items"]) == 3  # the active version escalated the three requests
    version = candidate(workspace)
    workspace.clock.advance(hours=1)

    sara = signed_in(workspace, "supervisor")
    form = sara.get(f"/ui/policy?version={version}").text
    assert 'id="what-if"' in form
    answer = sara.get(f"/ui/policy/what-if?version={version}&days=7")
    assert answer.status_code == 200, answer.text
    assert "5 cases opened in the last 7 days that you may see" in answer.text
    figures = headline(answer.text)
    assert figures["Cases"] == ("5", "5")
    # Replayed, the active version escalates what it escalated live; the candidate does not.
    assert figures["Escalated cases"] == ("3", "0")
    # Each case that ends differently links to its page.
    differing = BeautifulSoup(answer.text, "html.parser").find("section", id="differences")
    assert differing is not None
    assert len(differing.select('tbody th a[href^="/ui/cases/"]')) == 3


def test_the_history_tells_each_case_again_with_its_words(workspace: Workspace) -> None:
    case_id = open_case(workspace, subject="Broken", body="It broke.")["id"]
    workspace.client.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"author": "customer", "body": "Still broken!"},
        headers=workspace.headers("integration"),
    )
    now = workspace.clock.now_us()
    with workspace.database.read() as session:
        told = history(session, since=now - 86_400_000_000, until=now + 1)
    assert told.cases == 1
    assert not told.cut
    assert [line.count('"type": "case.opened"') for line in told.lines[:1]] == [1]
    assert '"subject": "Broken"' in told.lines[0]
    assert '"body": "It broke."' in told.lines[0]
    assert '"body": "Still broken!"' in told.lines[1]


def test_only_supervisors_compare_and_nothing_to_replay_says_so(workspace: Workspace) -> None:
    version = candidate(workspace)
    ana = signed_in(workspace, "agent")
    assert ana.get(f"/ui/policy/what-if?version={version}").status_code == 403
    assert 'id="what-if"' not in ana.get(f"/ui/policy?version={version}").text
    sara = signed_in(workspace, "supervisor")
    empty = sara.get(f"/ui/policy/what-if?version={version}&days=7")
    assert empty.status_code == 200
    assert "No case you may see was opened in the last 7 days" in empty.text
    assert sara.get("/ui/policy/what-if?version=999").status_code == 404
    assert sara.get(f"/ui/policy/what-if?version={version}&days=400").status_code == 422


def test_a_supervisor_who_sees_some_teams_replays_their_cases_only(workspace: Workspace) -> None:
    open_case(workspace, subject="Refund", body="Refund my order please", category="billing")
    open_case(workspace, subject="Broken", body="It broke.")
    now = workspace.clock.now_us()
    finance = Scope(everything=False, teams=frozenset({"finance"}))
    with workspace.database.read() as session:
        every = history(session, since=now - 86_400_000_000, until=now + 1)
        theirs = history(session, since=now - 86_400_000_000, until=now + 1, scope=finance)
    assert (every.cases, theirs.cases) == (2, 1)
    assert all('"case": "1"' in line for line in theirs.lines)  # the billing case, routed
