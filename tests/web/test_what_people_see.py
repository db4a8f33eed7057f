"""What the case page says: clocks in business or wall time, the timeline in words (one line per
act, a breach before the escalation it caused), what each action did, and no escalation or
approval offered on a resolved case."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from escalon.cases.schemas import AuditEntryOut
from escalon.web.clocks import business_left, business_target, hours_minutes
from escalon.web.timeline import describe, what_it_did
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.dashboard import case_page, post_case_form, signed_in, timeline_of
from tests.builders.workspace import Workspace

HOUR_US = 3600 * 1_000_000


def _clock_table(html: str) -> str:
    start = html.index('id="clock-caption"')
    return html[start : html.index("</table>", start)]


def _flash(html: str) -> str:
    found = re.search(r'<p class="done" role="status">(.*?)</p>', html, re.S)
    assert found is not None, "the page says nothing about the action"
    return found.group(1)


def _follow(client: Any, response: Any) -> str:
    assert response.status_code == 303, response.text
    return str(client.get(response.headers["location"]).text)


# -- clocks ---------------------------------------------------------------------------------------


def test_business_targets_read_in_business_hours_never_days() -> None:
    assert business_target(24 * HOUR_US) == "24 business hours"
    assert business_target(HOUR_US) == "1 business hour"
    assert business_target(90 * 60 * 1_000_000) == "1 h 30 min of business time"
    assert business_target(30 * 60 * 1_000_000) == "30 business minutes"
    assert business_left(130 * 60 * 1_000_000) == "2 h 10 min of business time left"
    assert business_left(-5 * 60 * 1_000_000) == "overdue by 5 min of business time"
    assert hours_minutes(50 * HOUR_US) == "50 h"


def test_a_case_under_office_hours_shows_business_time(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]  # standard tier: the office calendar
    workspace.clock.advance(minutes=50)

    table = _clock_table(case_page(signed_in(workspace, "agent"), case_id))

    assert "count business hours (calendar office)" in table
    assert "4 business hours" in table
    assert "24 business hours" in table
    assert "3 h 10 min of business time left" in table
    assert " d " not in table


def test_a_case_under_an_always_open_calendar_shows_wall_time(workspace: Workspace) -> None:
    case_id = open_case(workspace, priority="P1")["id"]  # critical: the always-open calendar
    workspace.clock.advance(minutes=5)

    table = _clock_table(case_page(signed_in(workspace, "agent"), case_id))

    assert "count every hour (wall-clock time)" in table
    assert '<td data-label="Target">15 min</td>' in table
    assert "in 10 min" in table
    assert "business" not in table


# -- the timeline ---------------------------------------------------------------------------------


def test_a_breach_comes_before_the_escalation_it_caused(workspace: Workspace) -> None:
    case_id = open_case(workspace, priority="P1")["id"]
    workspace.clock.advance(minutes=20)
    tick(workspace.database, now=workspace.clock.now_us(), batch=10)

    timeline = timeline_of(case_page(signed_in(workspace, "agent"), case_id))

    # Newest first: the escalation is above the breach that caused it, though written first.
    breach = timeline.index("SLA first response: breach")
    escalation = timeline.index("Escalated frontline → supervisor: the first response target")
    assert escalation < breach
    assert timeline.index("Notified team supervisors") < breach
    assert "sla.breach" not in timeline
    assert "{" not in timeline


def test_a_hand_escalation_is_one_line_with_its_reason(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    post_case_form(agent, case_id, "escalate", target="level:supervisor", reason="Wants a refund")

    timeline = timeline_of(case_page(agent, case_id))

    assert timeline.count("Escalated") == 1
    assert "Escalated to supervisor: Wants a refund" in timeline
    assert "case.escalated" not in timeline


def _entry(number: int, kind: str, data: dict[str, Any], **fields: Any) -> AuditEntryOut:
    moment = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return AuditEntryOut(
        id=number,
        at=moment,
        recorded_at=moment,
        actor=fields.get("actor", "escalon"),
        kind=kind,
        rule=fields.get("rule"),
        key=fields.get("key"),
        data=data,
    )


def test_audit_entries_read_as_sentences() -> None:
    notify = _entry(
        1,
        "notify",
        {"recipients": ["person:sara", "team:supervisors"], "reached": {"team:supervisors": []}},
        rule="r1",
    )
    assert describe(notify) == (
        "Notified sara, team supervisors (nobody present) (rule r1)",
        "system",
    )
    routed = _entry(2, "route", {"trigger": "case.opened", "to_team": "finance"}, rule="billing")
    assert describe(routed)[0] == "Routed to team finance: a case is opened (rule billing)"
    assign = _entry(3, "assign", {"assignee": "ana", "reason": "next in turn"}, rule="intake")
    assert describe(assign)[0] == "Assigned to ana (rule intake): next in turn"
    assert describe(_entry(4, "sla.warning", {"metric": "next_response"})) == (
        "SLA next response: warning (the target is near)",
        "sla",
    )
    # A kind the page does not know still reads as words, with its details.
    assert describe(_entry(5, "brand_new.action", {"trigger": "x", "size": 3}, rule="r1")) == (
        "brand new action (rule r1) (size 3)",
        "system",
    )


def test_a_resolution_is_one_line_with_its_root_cause(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")

    html = _follow(agent, post_case_form(agent, case_id, "resolve", root_cause="duplicate charge"))

    assert _flash(html) == "Resolved, root cause: duplicate charge."
    timeline = timeline_of(html)
    assert timeline.count("duplicate charge") == 1
    assert "Resolved, root cause: duplicate charge" in timeline


# -- what an action did ---------------------------------------------------------------------------


def test_what_an_action_did_is_read_from_what_it_wrote() -> None:
    entries = [
        _entry(1, "case.escalated", {"to": "specialist", "reason": "bug"}, actor="ana"),
        _entry(
            2,
            "escalate",
            {"trigger": "case.escalated", "from_level": "frontline", "to_level": "specialist"},
            rule="manual",
        ),
        _entry(3, "assign", {"assignee": "omar", "reason": "on call"}, rule="manual"),
        _entry(4, "notify", {"recipients": ["team:specialists"]}, rule="page specialists"),
    ]

    said = what_it_did("The case was escalated.", entries)

    assert said == (
        "Escalated to specialist: bug. Then: Assigned to omar: on call; "
        "Notified team specialists (rule page specialists)."
    )
    assert what_it_did("Your internal note was added.", []) == "Your internal note was added."


def test_an_escalation_says_where_it_went_and_what_followed(workspace: Workspace) -> None:
    changed = workspace.client.patch(
        "/api/v1/teams/supervisors",
        json={"assignment": "least_loaded"},
        headers=workspace.headers(),
    )
    assert changed.status_code == 200, changed.text
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")

    html = _follow(
        agent,
        post_case_form(agent, case_id, "escalate", target="level:supervisor", reason="A refund"),
    )

    flash = _flash(html)
    assert flash.startswith("Escalated to supervisor: A refund. Then: Assigned to Sara")
    assert "least loaded" in flash


def test_taking_a_case_says_to_whom_it_went(workspace: Workspace) -> None:
    case_id = open_case(workspace, priority="P1")["id"]
    supervisor = signed_in(workspace, "supervisor")

    flash = _flash(_follow(supervisor, post_case_form(supervisor, case_id, "take")))

    assert flash == "Assigned to Sara."  # by name, as the summary shows people


def test_a_hand_made_range_in_the_link_says_no_more_than_the_fixed_sentence(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")

    html = agent.get(f"/ui/cases/{case_id}?done=escalate&after=0&upto=100000").text

    assert _flash(html) == "The case was escalated."
    assert agent.get(f"/ui/cases/{case_id}?done=note&after=-1&upto=x").status_code == 422


# -- a resolved case ------------------------------------------------------------------------------


def test_a_resolved_case_offers_no_escalation_assignment_or_approval(
    workspace: Workspace,
) -> None:
    case_id = open_case(workspace)["id"]
    agent = signed_in(workspace, "agent")
    assert post_case_form(
        agent, case_id, "approvals", kind="refund", amount="300", note=""
    ).is_redirect
    supervisor = signed_in(workspace, "supervisor")
    assert 'value="approve"' in case_page(supervisor, case_id)
    assert post_case_form(agent, case_id, "resolve", root_cause="duplicate charge").is_redirect

    for client in (agent, supervisor):
        html = case_page(client, case_id)
        assert f"/ui/cases/{case_id}/escalate" not in html
        assert f'action="/ui/cases/{case_id}/approvals"' not in html
        assert f"/ui/cases/{case_id}/take" not in html
        assert f"/ui/cases/{case_id}/de-escalation" not in html
        assert 'value="approve"' not in html
        assert "reopen it first" in html


def test_approve_and_reject_show_only_to_those_who_may_decide(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    supervisor = signed_in(workspace, "supervisor")
    assert post_case_form(
        supervisor, case_id, "approvals", kind="refund", amount="700", note=""
    ).is_redirect
    agent = signed_in(workspace, "agent")
    assert post_case_form(
        agent, case_id, "approvals", kind="refund", amount="200", note=""
    ).is_redirect

    own, other = (
        case_page(client, case_id) for client in (supervisor, signed_in(workspace, "admin"))
    )

    # Sara asked for 700 herself (and it is above her 500): she may decide only Ana's 200.
    assert own.count('value="approve"') == 1
    assert "you asked for it" in own
    # An admin not linked to an agent holds no authority of their own: no buttons at all.
    assert 'value="approve"' not in other
    assert 'value="approve"' not in case_page(agent, case_id)
