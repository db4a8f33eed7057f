"""The case page shows the category and where it came from, and staff change it there."""

from __future__ import annotations

from sqlalchemy import update

from escalon.cases.models import Case
from tests.builders.cases import open_case
from tests.builders.dashboard import case_page, post_case_form, signed_in
from tests.builders.workspace import Workspace


def test_the_page_shows_a_guessed_category_with_its_confidence(workspace: Workspace) -> None:
    case_id = open_case(workspace, category="billing")["id"]
    with workspace.database.write() as session:
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(category_source="classifier", category_confidence=0.8712)
        )
    html = case_page(signed_in(workspace, "agent"), case_id)
    assert 'id="case-category">billing <span' in html
    assert "(guessed from the text, 87 % sure)" in html


def test_an_agent_changes_the_category_and_it_is_recorded_as_theirs(workspace: Workspace) -> None:
    case_id = open_case(workspace, category="billing")["id"]
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    assert "(given when the case was opened)" in html
    assert 'name="category" list="categories" required maxlength="100" value="billing"' in html
    done = post_case_form(agent, case_id, "update", category="delivery")
    assert done.status_code == 303, done.text
    html = case_page(agent, case_id)
    assert 'id="case-category">delivery <span' in html
    assert "(set by a person)" in html
    assert "?done=update&after=" in done.headers["location"]


def test_a_supervisor_may_change_it_too_and_a_blank_one_is_refused(workspace: Workspace) -> None:
    case_id = open_case(workspace)["id"]
    supervisor = signed_in(workspace, "supervisor")
    assert 'id="case-category">—<' in case_page(supervisor, case_id)
    refused = post_case_form(supervisor, case_id, "update", category="   ")
    assert refused.status_code == 422
    assert "nothing changed" in refused.text
    too_long = post_case_form(supervisor, case_id, "update", category="x" * 101)
    assert too_long.status_code == 422
    assert post_case_form(supervisor, case_id, "update", category="refund").status_code == 303
    assert 'id="case-category">refund <span' in case_page(supervisor, case_id)


def test_a_changed_category_does_not_fire_the_opening_rules_again(workspace: Workspace) -> None:
    case = open_case(workspace)
    agent = signed_in(workspace, "agent")
    assert post_case_form(agent, case["id"], "update", category="billing").status_code == 303
    # "billing goes to finance" listens to case.opened only: a later change does not route.
    assert 'id="case-team">frontline<' in case_page(agent, case["id"])
