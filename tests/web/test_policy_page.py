"""The policy page: the active policy as levels, SLA targets and rules in words; its versions."""

from __future__ import annotations

import html
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from escalon.core.policy import parse_policy
from escalon.core.policy.model import TRIGGERS, ActionSpec, Conditions, RuleSpec
from escalon.demo import policy_text
from escalon.policies.models import PolicyVersion
from escalon.web.policy_page import target_rows
from escalon.web.policy_text import (
    action_phrase,
    authority,
    condition_phrase,
    opening_hours,
    rule_sentence,
    span,
    trigger_clause,
)
from tests.builders.dashboard import sign_in, submit_sign_in
from tests.builders.workspace import Workspace

# -- reading the page ----------------------------------------------------------------------------


def _section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, flags=re.S)
    assert found is not None, f"no section {heading_id!r} in the page"
    return found.group(1)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _rows(fragment: str) -> list[list[str]]:
    """The cells' text of every body row of the tables in a fragment."""
    rows = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", fragment, flags=re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
            rows.append(
                [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            )
    return rows


def _rules(page: str) -> dict[str, str]:
    """Each rule's name and its sentence, from the rules section."""
    items = re.findall(r"<li>(.*?)</li>", _section(page, "rules"), flags=re.S)
    rules = {}
    for item in items:
        name = re.search(r"<strong>(.*?)</strong>", item, flags=re.S)
        assert name is not None, item
        sentence = re.search(r"</span>:(.*)$", item, flags=re.S)
        assert sentence is not None, item
        rules[_text(name.group(1))] = _text(sentence.group(1))
    return rules


def _signed_in_page(workspace: Workspace, path: str = "/ui/policy", role: str = "agent") -> str:
    sign_in(workspace.client, workspace.tokens[role])
    response = workspace.client.get(path)
    text: str = response.text
    assert response.status_code == 200, text
    return text


def _upload(workspace: Workspace, text: str, *, activate: bool = False) -> int:
    response = workspace.client.post(
        "/api/v1/policies",
        json={"source": text, "filename": "next.yaml", "activate": activate},
        headers=workspace.headers("admin"),
    )
    assert response.status_code == 201, response.text
    version_id: int = response.json()["id"]
    return version_id


def _second_version() -> str:
    text = policy_text().replace("version: 1", "version: 2", 1)
    text = text.replace("authority: {refund: 50}", "authority: {refund: 75, credit: 20}", 1)
    assert "version: 2" in text
    assert "credit: 20" in text
    return text


# -- the page ------------------------------------------------------------------------------------


def test_the_page_shows_every_level_with_its_team_authority_and_staff(
    workspace: Workspace,
) -> None:
    page = _signed_in_page(workspace)
    assert "<h1>Policy acme-support, version 1</h1>" in page
    assert _rows(_section(page, "levels")) == [
        ["frontline", "1", "frontline", "refund up to 50", "Ana"],
        ["supervisor", "2", "supervisors", "refund up to 500", "Sara"],
        ["specialist", "3", "specialists", "refund up to 5,000", "Omar"],
        ["management", "4", "management", "refund without limit", "Mia"],
    ]
    assert "Other teams (reached by routing, not by a level): finance." in _text(
        _section(page, "levels")
    )


def test_the_page_shows_the_sla_targets_of_each_priority_with_their_calendar(
    workspace: Workspace,
) -> None:
    section = _section(_signed_in_page(workspace), "targets")
    enterprise = ["enterprise", "tier is enterprise", "1 h", "2 h", "4 h", "8 h"]
    standard = ["standard", "every other case", "4 h", "8 h", "—", "24 h"]
    office = "office (Europe/Berlin)"
    targets = [row for row in _rows(section) if row[0] in ("P1", "P2", "P3", "P4")]
    assert targets == [
        ["P1", "critical", "every case", "15 min", "30 min", "1 h", "4 h", "always (UTC)"],
        ["P2", *enterprise, office],
        ["P2", *standard, office],
        ["P3", *enterprise, office],
        ["P3", *standard, office],
        ["P4", *enterprise, office],
        ["P4", *standard, office],
    ]
    calendars = {row[0]: row[1:] for row in _rows(section) if row[0] in ("office", "always")}
    assert calendars["office"] == [
        "Europe/Berlin",
        "mon–fri 09:00-17:00",
        "2026-12-24, 2026-12-25, 2026-12-26, 2027-01-01",
    ]
    assert calendars["always"] == ["UTC", "open at every hour of every day", "none"]
    head = re.search(r"<thead>(.*?)</thead>", section, flags=re.S)
    assert head is not None
    assert "First response Next response Periodic update Resolution" in _text(head.group(1))


def test_each_rule_of_the_example_policy_reads_as_a_sentence(workspace: Workspace) -> None:
    rules = _rules(_signed_in_page(workspace))
    assert list(rules) == [rule.name for rule in parse_policy(policy_text()).rules]
    assert rules["first response breached"] == (
        "When the first response target is breached, escalate one level up, notify the "
        "assignee and the level's team, then send the customer the “escalated” message."
    )
    assert rules["resolution at risk"] == (
        "When the resolution target is about to be breached, notify the assignee and the team "
        "of the level above."
    )
    assert rules["customer asks for a manager"] == (
        "When the customer sends a message, if the customer's text asks for a manager, "
        "escalate to supervisor, then send the customer the “escalated” message."
    )
    assert rules["public complaint"] == (
        "When a case is opened, if the channel is social and the customer's sentiment is below "
        "-0.3, set the priority to P2, then escalate to supervisor."
    )
    assert rules["billing goes to finance"] == (
        "When a case is opened, if the category is billing or refund, route the case to the "
        "finance team."
    )
    assert rules["refund above authority"] == (
        "When an agent asks for approval to grant something (such as a refund), if the amount "
        "asked for is above the current level's refund authority, escalate to the lowest level "
        "whose refund authority covers the amount."
    )
    assert rules["escalation not acknowledged"] == (
        "When an escalation is still not acknowledged after 30 min, escalate one level up, "
        "then notify the level's team."
    )
    assert (
        rules["stuck at a level"]
        == "When a case has stayed at its level for 8 h, escalate one level up."
    )
    assert "raise the priority one step" in rules["resolution breached"]
    assert "reopened at least 2 times" in rules["reopened again"]
    assert "sentiment is below -0.6" in rules["frustrated customer"]


def test_the_page_says_the_stored_version_is_valid_and_lists_its_warnings(
    workspace: Workspace,
) -> None:
    page = _signed_in_page(workspace)
    assert "Valid: the policy check found no errors and no warnings." in _text(
        _section(page, "validation")
    )
    warned = _second_version().replace(
        "intent: manager_request", "intent: [manager_request, angry]"
    )
    version_id = _upload(workspace, warned)
    section = _text(
        _section(workspace.client.get(f"/ui/policy?version={version_id}").text, "validation")
    )
    assert "Valid, with 1 warning from the policy check:" in section
    assert "rules[3].if.intent[1]" in section
    assert "intent 'angry' is not one the default detector finds" in section


def test_the_versions_list_links_every_version_and_shows_a_version_that_is_not_active(
    workspace: Workspace,
) -> None:
    sign_in(workspace.client, workspace.tokens["supervisor"])
    newer = _upload(workspace, _second_version())

    active_page = workspace.client.get("/ui/policy").text
    versions = _section(active_page, "versions")
    assert _rows(versions) == [
        [f"#{newer}", "acme-support", "2", "2026-11-30 09:00 UTC", "not active"],
        [f"#{workspace.policy_id}", "acme-support", "1", "2026-11-30 09:00 UTC", "active (shown)"],
    ]
    assert f'href="/ui/policy?version={newer}"' in versions
    assert f'href="/ui/policy?version={workspace.policy_id}" aria-current="page"' in versions
    assert "refund up to 50" in active_page
    assert "credit" not in _section(active_page, "levels")

    response = workspace.client.get(f"/ui/policy?version={newer}")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Policy acme-support, version 2</h1>" in page
    assert f"You are looking at stored version #{newer}, which is not active." in _text(page)
    assert "New cases are opened under acme-support version 1" in _text(page)
    assert _rows(_section(page, "levels"))[0] == [
        "frontline",
        "1",
        "frontline",
        "refund up to 75; credit up to 20",
        "Ana",
    ]
    assert "Uploaded 2026-11-30 09:00 UTC by admin, from next.yaml" in _text(page)
    assert f'href="/ui/policy?version={newer}" aria-current="page"' in _section(page, "versions")


def test_an_unknown_version_is_a_404_page(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    for wanted in ("999", "0", str(2**62 + 1)):
        response = workspace.client.get(f"/ui/policy?version={wanted}")
        assert response.status_code == 404, wanted
        assert "No such policy version" in response.text
        assert f"Policy version {wanted} does not exist." in response.text


def test_a_version_that_is_not_a_number_is_a_400_page(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["agent"])
    for wanted in ("abc", "-1", "1.5", "1e3", "9" * 40, "%C2%B2"):
        response = workspace.client.get(f"/ui/policy?version={wanted}")
        assert response.status_code == 400, wanted
        assert "is not a policy version id" in response.text
        assert response.headers["content-type"].startswith("text/html")


def test_without_an_active_policy_the_page_says_so_and_lists_the_versions(
    workspace: Workspace,
) -> None:
    with workspace.database.write() as session:
        session.execute(update(PolicyVersion).values(active=False))
    page = _signed_in_page(workspace)
    assert "No policy is active." in page
    assert _rows(_section(page, "versions")) == [
        [f"#{workspace.policy_id}", "acme-support", "1", "2026-11-30 09:00 UTC", "not active"]
    ]


def test_the_policy_page_needs_a_signed_in_staff_member(workspace: Workspace) -> None:
    for path in ("/ui/policy", "/ui/policy?version=1", "/ui/policy?version=abc"):
        response = workspace.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/ui/sign-in"
    assert submit_sign_in(workspace.client, workspace.tokens["integration"]).status_code == 403
    assert workspace.client.get("/ui/policy", follow_redirects=False).status_code == 303


# -- the words, without HTTP ---------------------------------------------------------------------


def _rule(**data: Any) -> RuleSpec:
    return RuleSpec.model_validate({"name": "a rule", **data})


def test_a_breach_on_a_priority_reads_with_its_condition_and_recipients() -> None:
    rule = _rule(
        trigger="sla.breach",
        metric="first_response",
        **{"if": {"priority": ["P1", "P2"]}},
        do=[{"escalate": {"to": "supervisor"}}, {"notify": ["on_call:specialists"]}],
    )
    assert rule_sentence(rule) == (
        "When the first response target is breached, if the priority is P1 or P2, escalate to "
        "supervisor, then notify whoever is on call in specialists."
    )


def test_a_rule_without_a_metric_speaks_of_any_sla() -> None:
    rule = _rule(trigger="sla.warning", do=[{"tag": ["at-risk"]}])
    assert rule_sentence(rule) == (
        "When any SLA target is about to be breached, tag the case “at-risk”."
    )


def test_every_action_kind_has_its_own_words() -> None:
    rule = _rule(
        trigger="survey.answered",
        **{"if": {"score_below": 3}},
        do=[
            {"escalate": {"up": 2}},
            {"set_priority": {"raise": 2}},
            {"assign": {"strategy": "least_loaded"}},
            {"notify": ["team:finance", "person:7", "webhook:ops", "supervisor"]},
            {"tag": ["unhappy", "survey"]},
        ],
    )
    assert rule_sentence(rule) == (
        "When the customer answers the satisfaction survey, if the survey score is below 3, "
        "escalate 2 levels up, raise the priority 2 steps, assign the case to the least loaded "
        "agent, notify the finance team, person 7, the ops webhook and the team of the level "
        "above, then tag the case “unhappy” and “survey”."
    )


def test_conditions_on_the_customers_text_and_the_case_read_as_clauses() -> None:
    rule = _rule(
        trigger="customer.message",
        **{
            "if": {
                "tier": "gold",
                "level": ["frontline"],
                "intent": ["complaint", "legal_threat"],
                "contains": ["lawyer", "court"],
            }
        },
        do=[{"assign": {"strategy": "on_call"}}],
    )
    assert rule_sentence(rule) == (
        "When the customer sends a message, if the customer's tier is gold, the level is "
        "frontline, the customer's text is a complaint or shows the intent “legal_threat” and "
        "the customer's text contains “lawyer” or “court”, assign the case to whoever is on call."
    )


def test_every_trigger_condition_and_action_of_the_format_has_words() -> None:
    # A new trigger, condition or action in the format should get words, not the fallback.
    for trigger in TRIGGERS:
        assert "the event" not in trigger_clause(trigger), trigger
    for name in Conditions.model_fields:
        assert not condition_phrase(name, ["x"]).startswith(f"{name}:"), name
    samples = {"escalate": {"up": 1}, "route": {"team": "x"}, "assign": {"strategy": "x"}}
    for name, field in ActionSpec.model_fields.items():
        key = field.alias or name
        assert not action_phrase(key, samples.get(key, {"to": "x"})).startswith(f"{key}:"), key


def test_unknown_parts_of_a_rule_fall_back_to_key_and_value() -> None:
    sentence = rule_sentence(
        {
            "name": "from a newer format",
            "trigger": "case.merged",
            "after": 90 * 60 * 1_000_000,
            "if": {"vip": True, "priority": "P1"},
            "do": [{"page": {"who": "cto"}}, {"escalate": {"sideways": 1}}, "shout"],
            "weight": 3,
        }
    )
    assert sentence == (
        "When the event “case.merged” happens (after: 1 h 30 min), if vip: True and the priority "
        "is P1, page: {who: cto}, escalate (sideways: 1), then shout (weight: 3)."
    )


def test_a_rule_with_nothing_usable_still_reads() -> None:
    assert rule_sentence({}) == "When the event “None” happens, do nothing."
    assert rule_sentence({"trigger": "sla.breach", "if": "sometimes", "do": 5}) == (
        "When any SLA target is breached, if conditions: sometimes, 5."
    )


_plain_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(["name", "trigger", "metric", "after", "if", "do", "other"]),
        _plain_data,
    )
)
def test_any_rule_shape_gives_a_sentence(rule: dict[str, Any]) -> None:
    sentence = rule_sentence(rule)
    assert sentence.startswith("When ")
    assert sentence.endswith(".")


def test_durations_and_authority_read_as_people_say_them() -> None:
    minute = 60 * 1_000_000
    assert [span(us) for us in (45 * 1_000_000, 15 * minute, 240 * minute, 90 * minute, 0)] == [
        "45 s",
        "15 min",
        "4 h",
        "1 h 30 min",
        "0 s",
    ]
    # Business hours, not days: 24 h of an office calendar is three working days.
    assert span(24 * 60 * minute) == "24 h"
    assert authority({"refund": 50.0, "credit": 12.5, "waiver": float("inf")}) == [
        "refund up to 50",
        "credit up to 12.5",
        "waiver without limit",
    ]


def test_opening_hours_group_days_with_the_same_hours() -> None:
    hours = {
        "mon": ["09:00-17:00"],
        "tue": ["09:00-17:00"],
        "wed": ["09:00-12:00", "13:00-17:00"],
        "sat": ["10:00-14:00"],
    }
    assert opening_hours(hours) == [
        "mon–tue 09:00-17:00",
        "wed 09:00-12:00, 13:00-17:00",
        "sat 10:00-14:00",
    ]
    assert opening_hours("always") == ["open at every hour of every day"]


def test_priorities_that_some_cases_reach_without_an_sla_are_reported() -> None:
    text = policy_text()
    start = text.index("  - name: standard")
    end = text.index("rules:")
    policy = parse_policy(text[:start] + text[end:])
    rows, unmatched = target_rows(policy)
    assert [(row.priority, row.sla, row.applies) for row in rows] == [
        ("P1", "critical", "every case"),
        ("P2", "enterprise", "tier is enterprise"),
        ("P3", "enterprise", "tier is enterprise"),
        ("P4", "enterprise", "tier is enterprise"),
    ]
    assert unmatched == ["P2", "P3", "P4"]
