"""`GET /api/v1/topics` and the case list's `topic` filter: the latest run's topics for every
reader, each count's URL listing exactly its cases, in the caller's sight."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from escalon.learning import topic_runs
from tests.builders.topics import THEMES, escalated_themes
from tests.builders.workspace import ROLES, Workspace


def listed(client: TestClient, url: str, token: str) -> set[int]:
    response = client.get(f"{url}&limit=500", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return {case["id"] for case in response.json()["items"]}


def topics(client: TestClient, token: str) -> dict[str, Any]:
    response = client.get("/api/v1/topics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_reader_gets_the_topics_and_their_urls_list_exactly_their_cases(
    workspace: Workspace,
) -> None:
    themed = escalated_themes(workspace)
    stored = topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    admin = workspace.tokens["admin"]
    found = topics(workspace.client, admin)
    assert found["run"]["id"] == stored.run_id
    assert (found["run"]["cases"], found["run"]["period_cases"]) == (32, 19)
    assert found["run"]["period_start"] == "2026-12-15T00:00:00Z"
    assert [(t["new"], t["growing"]) for t in found["topics"]] == [
        (True, False),
        (False, True),
        (False, False),
        (False, False),
    ]
    for topic in found["topics"]:
        every = listed(workspace.client, topic["cases_url"], admin)
        theme = next(name for name in THEMES if every == themed.of(name))
        assert listed(workspace.client, topic["period_url"], admin) == set(
            themed.now.get(theme, [])
        )
        assert listed(workspace.client, topic["earlier_url"], admin) == set(
            themed.before.get(theme, [])
        )
        assert topic["cases"] == len(every)
        assert set(topic["typical_cases"]) <= every
    for role in ROLES:
        assert topics(workspace.client, workspace.tokens[role]) == found


def test_an_agent_limited_to_their_teams_gets_the_counts_and_only_their_cases(
    workspace: Workspace, teams: TestClient
) -> None:
    themed = escalated_themes(workspace)
    hers = themed.before["refund"][0]
    given = workspace.client.put(
        f"/api/v1/cases/{hers}/assignee", json={"assignee": "ana"}, headers=workspace.headers()
    )
    assert given.status_code == 200, given.text
    topic_runs.store_now(workspace.database, clock=workspace.clock, count=4)
    agent = workspace.tokens["agent"]
    seen = topics(teams, agent)
    everything = topics(teams, workspace.tokens["admin"])
    assert [t["cases"] for t in seen["topics"]] == [t["cases"] for t in everything["topics"]]
    for topic in seen["topics"]:
        assert set(topic["typical_cases"]) <= {hers}
        behind = listed(teams, topic["cases_url"], agent)
        assert behind == (
            {hers}
            if hers in listed(teams, topic["cases_url"], workspace.tokens["admin"])
            else set()
        )


def test_without_a_token_or_with_a_bad_topic_the_answer_says_why(workspace: Workspace) -> None:
    assert workspace.client.get("/api/v1/topics").status_code == 401
    for bad in ("abc", "0", str(2**63)):
        response = workspace.client.get(f"/api/v1/cases?topic={bad}", headers=workspace.headers())
        assert response.status_code == 422, bad
    unknown = workspace.client.get("/api/v1/cases?topic=12345", headers=workspace.headers())
    assert unknown.status_code == 200
    assert unknown.json()["items"] == []
