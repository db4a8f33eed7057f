"""Searching cases by text through the API, on SQLite (FTS5) and PostgreSQL (tsvector): the
customer, the subject and the messages; the index follows every write; any query text is
served, never an error; visibility applies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from escalon.cases import queries, search
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace

CASES = "/api/v1/cases"


def found(ws: Workspace, q: str, headers: dict[str, str] | None = None, **params: Any) -> set[int]:
    response = ws.client.get(
        CASES, params={"q": q, "limit": 500, **params}, headers=headers or ws.headers()
    )
    assert response.status_code == 200, response.text
    return {case["id"] for case in response.json()["items"]}


@pytest.fixture
def three(workspace: Workspace) -> dict[str, int]:
    """A printer case of Kim's, a refund case of Jo Müller's, a login case of Kim's."""
    printer = open_case(workspace)["id"]
    refund = open_case(
        workspace,
        customer={"ref": "CRM-7781", "name": "Jo Müller", "email": "jo.mueller@firma.example"},
        subject="Refund for order 5521",
        body="I was charged twice, please refund the duplicate.",
    )["id"]
    login = open_case(
        workspace, subject="Cannot log in", body="The password reset mail never came."
    )["id"]
    return {"printer": printer, "refund": refund, "login": login}


def test_cases_are_found_by_subject_message_and_customer(
    workspace: Workspace, three: dict[str, int]
) -> None:
    assert found(workspace, "printer") == {three["printer"]}
    assert found(workspace, "charged twice") == {three["refund"]}
    assert found(workspace, "CRM-7781") == {three["refund"]}
    assert found(workspace, "jo.mueller@firma.example") == {three["refund"]}
    assert found(workspace, "müller") == {three["refund"]}
    assert found(workspace, "kim") == {three["printer"], three["login"]}
    # Every word must occur, in any part of the case.
    assert found(workspace, "kim password") == {three["login"]}
    assert found(workspace, "kim refund") == set()


def test_a_posted_message_is_found_at_once(workspace: Workspace, three: dict[str, int]) -> None:
    posted = workspace.client.post(
        f"{CASES}/{three['login']}/messages",
        json={"author": "customer", "body": "Still locked out of the dashboard."},
        headers=workspace.headers("integration"),
    )
    assert posted.status_code == 201, posted.text
    note = workspace.client.post(
        f"{CASES}/{three['printer']}/messages",
        json={"author": "agent", "body": "Toner supplier contacted.", "public": False},
        headers=workspace.headers("agent"),
    )
    assert note.status_code == 201, note.text
    assert found(workspace, "locked dashboard") == {three["login"]}
    assert found(workspace, "toner") == {three["printer"]}


def test_a_changed_customer_is_found_by_the_new_name_not_the_old(
    workspace: Workspace, three: dict[str, int]
) -> None:
    customer = workspace.client.get(f"{CASES}/{three['printer']}", headers=workspace.headers())
    customer_id = customer.json()["customer"]["id"]
    changed = workspace.client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"name": "Kimberly Lund", "email": "k.lund@example.org"},
        headers=workspace.headers("supervisor"),
    )
    assert changed.status_code == 200, changed.text
    assert found(workspace, "lund") == {three["printer"], three["login"]}
    assert found(workspace, "kim") == set()


def test_search_combines_with_the_other_filters(
    workspace: Workspace, three: dict[str, int]
) -> None:
    taken = workspace.client.put(
        f"{CASES}/{three['login']}/assignee",
        json={"assignee": "ana"},
        headers=workspace.headers("supervisor"),
    )
    assert taken.status_code == 200
    assert found(workspace, "kim", unassigned="true") == {three["printer"]}
    assert found(workspace, "kim", assignee="ana") == {three["login"]}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"printer',
        "printer*",
        "*",
        "NEAR(printer fire)",
        "printer OR refund",
        "subject:printer",
        "-printer",
        "printer & | ! ( ) :*",
        "' OR 1=1 --",
        "\\",
        "^printer",
        "{printer}",
        "printer\u0000",
        "ａｂｃ 🔥 printer",
        "x²y printer",
        "x" * 200,
        "a " * 100,
    ],
)
def test_hostile_query_text_is_searched_as_words_never_an_error(
    workspace: Workspace, three: dict[str, int], query: str
) -> None:
    response = workspace.client.get(CASES, params={"q": query}, headers=workspace.headers())
    assert response.status_code == 200, response.text
    ids = {case["id"] for case in response.json()["items"]}
    words = search.query_words(query)
    if words == ["printer"]:
        assert ids == {three["printer"]}
    elif not words:
        assert ids == set()


def test_a_query_longer_than_the_limit_is_refused(workspace: Workspace) -> None:
    response = workspace.client.get(CASES, params={"q": "x" * 201}, headers=workspace.headers())
    assert response.status_code == 422
    assert "q" in response.json()["message"]


def test_search_finds_only_cases_the_caller_may_see(
    workspace: Workspace, three: dict[str, int], teams: TestClient
) -> None:
    moved = workspace.client.post(
        f"{CASES}/{three['refund']}/escalations",
        json={"kind": "functional", "to_team": "finance", "reason": "billing"},
        headers=workspace.headers(),
    )
    assert moved.status_code == 200, moved.text
    response = teams.get(CASES, params={"q": "refund"}, headers=workspace.headers("agent"))
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert found(workspace, "refund") == {three["refund"]}  # an admin sees it


def test_the_index_can_be_rebuilt_from_the_cases(
    workspace: Workspace, three: dict[str, int]
) -> None:
    with workspace.database.write() as session:
        assert search.rebuild(session.connection()) == 3
    assert found(workspace, "duplicate") == {three["refund"]}
    assert found(workspace, "kim") == {three["printer"], three["login"]}


def test_words_are_letters_and_digits_in_lower_case_each_once() -> None:
    assert search.words("Jo.Mueller@Firma.example, JO; x²y CRM-0042 Straße_1") == [
        "jo",
        "mueller",
        "firma",
        "example",
        "x",
        "y",
        "crm",
        "0042",
        "strasse",
        "1",
    ]
    assert search.query_words("a b c d e f g h i j k l m n") == list("abcdefghijkl")


def test_a_search_with_more_matches_than_the_id_list_holds_finds_them_all(
    workspace: Workspace, three: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "SEARCH_IDS", 1)
    assert found(workspace, "kim") == {three["printer"], three["login"]}
    assert found(workspace, "kim", sort="due") == {three["printer"], three["login"]}
    assert found(workspace, "refund") == {three["refund"]}


def test_a_supervisor_renaming_a_customer_at_intake_renames_them_in_every_case(
    workspace: Workspace, three: dict[str, int]
) -> None:
    renamed = open_case(
        workspace,
        role="supervisor",
        customer={"ref": "K-1", "name": "Kim Sørensen", "email": "kim@example.org"},
    )["id"]
    assert found(workspace, "sørensen") == {three["printer"], three["login"], renamed}
