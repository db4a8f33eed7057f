"""Triage of an opening e-mail, sent over real SMTP: a manager request escalates at once, and the
case gets its category from the policy's keywords or the team's classifier (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from escalon.demo import policy_text
from escalon.policies import service as policies
from escalon.triage.category import CategoryClassifier, save_category_model, train_categories
from escalon.triage.lazy import LazyAnalyzer
from escalon.triage.trained import TrainingData
from tests.builders.cases import cases
from tests.builders.mail import Endpoint, mail
from tests.builders.workspace import Workspace

# The example policy routes billing and refund cases to finance when they open.
CATEGORIES = """
categories:
  billing:
    keywords: [invoice, charged twice]
  refund: {}
"""


def use_policy(ws: Workspace, text: str) -> None:
    with ws.database.write() as session:
        version, _ = policies.upload(
            session, text=text, filename="policy.yaml", user_id=None, now=ws.clock.now_us()
        )
        policies.activate(session, version_id=version.id, user_id=None, now=ws.clock.now_us())


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    texts = [f"please give my money back for order {n}" for n in range(20)] + [
        f"the parcel for order {n} never arrived" for n in range(20)
    ]
    labels = ["refund"] * 20 + ["delivery"] * 20
    path = tmp_path / "categories.model"
    save_category_model(train_categories(TrainingData(texts, labels, 0)), path)
    return path


def endpoint_with(ws: Workspace, analyzer: LazyAnalyzer) -> Iterator[Endpoint]:
    running = Endpoint(ws, analyzer=analyzer)
    running.controller.start()
    try:
        yield running
    finally:
        running.controller.stop()


@pytest.fixture
def triage_endpoint(workspace: Workspace, model_file: Path) -> Iterator[Endpoint]:
    use_policy(workspace, policy_text().replace("version: 1", "version: 2", 1) + CATEGORIES)
    classifier = CategoryClassifier(str(model_file), min_confidence=0.6)
    yield from endpoint_with(workspace, LazyAnalyzer(None, classifier))


def escalations(ws: Workspace, case_id: int) -> list[dict[str, Any]]:
    response = ws.client.get(f"/api/v1/cases/{case_id}/escalations", headers=ws.headers())
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_manager_request_in_the_opening_mail_escalates_at_once(workspace: Workspace) -> None:
    for endpoint in endpoint_with(workspace, LazyAnalyzer()):
        endpoint.send(mail("Hello, could I please speak to a manager about my order?"))
    (case,) = cases(workspace)
    assert case["level"] == "supervisor"
    (escalation,) = escalations(workspace, case["id"])
    assert escalation["rule"] == "customer asks for a manager"
    assert escalation["to_level"] == "supervisor"


def test_an_opening_mail_without_a_request_stays_at_the_first_level(workspace: Workspace) -> None:
    for endpoint in endpoint_with(workspace, LazyAnalyzer()):
        endpoint.send(mail("Hello, what does a box of toner cost?", subject="Toner"))
    (case,) = cases(workspace)
    assert case["level"] == "frontline"
    assert escalations(workspace, case["id"]) == []


def test_a_keyword_gives_the_category_and_the_category_rule_fires(
    triage_endpoint: Endpoint,
) -> None:
    triage_endpoint.send(mail("I was charged twice for one order.", subject="Money"))
    (case,) = cases(triage_endpoint.ws)
    assert (case["category"], case["category_source"], case["category_confidence"]) == (
        "billing",
        "keyword",
        None,
    )
    assert case["team"] == "finance"  # the example policy's "billing goes to finance"
    entry = timeline_entry(triage_endpoint.ws, case["id"], "case.opened")
    assert entry["data"]["category_source"] == "keyword"
    assert entry["data"]["category_keyword"] == "charged twice"


def test_the_classifier_gives_the_category_with_its_confidence(triage_endpoint: Endpoint) -> None:
    triage_endpoint.send(mail("Please give my money back for order 99.", subject="Order 99"))
    (case,) = cases(triage_endpoint.ws)
    assert (case["category"], case["category_source"]) == ("refund", "classifier")
    assert 0.6 <= case["category_confidence"] <= 1
    assert case["team"] == "finance"
    entry = timeline_entry(triage_endpoint.ws, case["id"], "case.opened")
    assert entry["data"]["category_confidence"] == case["category_confidence"]


def test_an_unsure_classifier_leaves_the_category_empty(
    workspace: Workspace, model_file: Path
) -> None:
    classifier = CategoryClassifier(str(model_file), min_confidence=0.999)
    for endpoint in endpoint_with(workspace, LazyAnalyzer(None, classifier)):
        endpoint.send(mail("Hello there, a question about order 7.", subject="Question"))
    (case,) = cases(workspace)
    assert (case["category"], case["category_source"]) == (None, None)


def test_a_person_changes_the_category(triage_endpoint: Endpoint) -> None:
    ws = triage_endpoint.ws
    triage_endpoint.send(mail("Please give my money back for order 5.", subject="Order 5"))
    (case,) = cases(ws)
    response = ws.client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"category": "delivery"},
        headers=ws.headers("agent", **{"If-Match": str(case["version"])}),
    )
    assert response.status_code < 300, response.text
    (case,) = cases(ws)
    assert (case["category"], case["category_source"], case["category_confidence"]) == (
        "delivery",
        "person",
        None,
    )
    entry = timeline_entry(ws, case["id"], "case.updated")
    assert entry["data"] == {"category": "delivery", "category_source": "person"}


def timeline_entry(ws: Workspace, case_id: int, kind: str) -> dict[str, Any]:
    response = ws.client.get(f"/api/v1/cases/{case_id}/audit", headers=ws.headers())
    assert response.status_code == 200, response.text
    (entry,) = [item for item in response.json()["items"] if item["kind"] == kind]
    return dict(entry)
