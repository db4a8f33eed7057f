"""The knowledge base as people meet it: the dashboard's pages (read by everyone on the team,
written by supervisors), the case page's suggestions sent with a reply, the public help pages
customers open."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.builders.dashboard import case_page, csrf_of, post_case_form, signed_in
from tests.builders.knowledge import (
    INTERNAL,
    PASSWORD,
    REFUND,
    archive,
    cannot_sign_in,
    write_articles,
)
from tests.builders.notifications import outbox
from tests.builders.workspace import Workspace

HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) and **bold**"


def post_form(client: TestClient, page: str, action: str, **form: str) -> Response:
    html = client.get(page).text
    answer: Response = client.post(
        action, data={"csrf_token": csrf_of(html), **form}, follow_redirects=False
    )
    return answer


def test_a_supervisor_writes_and_changes_an_article_in_the_dashboard(
    workspace: Workspace,
) -> None:
    sara = signed_in(workspace, "supervisor")
    assert 'id="new-article"' in sara.get("/ui/kb").text
    made = post_form(
        sara,
        "/ui/kb/new",
        "/ui/kb/new",
        slug="wifi",
        title="Connect to the Wi-Fi",
        body=f"Use the guest network.\n\n{HOSTILE}",
        category="network",
        tags="wifi, network, wifi",
        audience="public",
    )
    assert made.status_code == 303
    html = sara.get("/ui/kb/wifi?done=created").text
    assert "The article is saved." in html
    assert "<strong>bold</strong>" in html  # Markdown is rendered...
    assert "<script>alert(1)</script>" not in html  # ...but typed HTML is shown as text
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    edit = sara.get("/ui/kb/wifi/edit").text
    assert 'name="version" value="1"' in edit
    saved = post_form(
        sara,
        "/ui/kb/wifi/edit",
        "/ui/kb/wifi/edit",
        version="1",
        title="Connect to the guest Wi-Fi",
        body="Use the guest network.",
        category="network",
        tags="wifi",
        audience="public",
    )
    assert saved.status_code == 303
    stale = post_form(
        sara,
        "/ui/kb/wifi/edit",
        "/ui/kb/wifi/edit",
        version="1",
        title="An edit made on an old copy",
        body="Lost?",
        audience="public",
    )
    assert stale.status_code == 412
    assert "someone changed it since" in stale.text
    assert "An edit made on an old copy" in stale.text  # what they typed is not lost
    read = workspace.client.get("/api/v1/kb/articles/wifi", headers=workspace.headers())
    assert (read.json()["title"], read.json()["version"], read.json()["tags"]) == (
        "Connect to the guest Wi-Fi",
        2,
        ["wifi"],
    )
    bad = post_form(sara, "/ui/kb/new", "/ui/kb/new", slug="../x", title="T", body="B")
    assert bad.status_code == 422
    assert 'id="article-problem"' in bad.text


def test_agents_read_the_base_but_do_not_write_it(workspace: Workspace) -> None:
    write_articles(workspace, PASSWORD, INTERNAL)
    ana = signed_in(workspace, "agent")
    listing = ana.get("/ui/kb").text
    assert "Reset your password" in listing
    assert "staff only" in listing
    assert 'id="new-article"' not in listing
    assert 'id="gaps"' not in listing  # gaps are for supervisors
    assert ana.get("/ui/kb/new").status_code == 403
    assert ana.get("/ui/kb/reset-password/edit").status_code == 403
    page = ana.get("/ui/kb/reset-password").text
    assert "<em>Forgot password</em>" in page
    refused = post_form(
        ana, "/ui/kb", "/ui/kb/new", slug="mine", title="Mine", body="Mine", audience="public"
    )
    assert refused.status_code == 403
    no_form = TestClient(workspace.client.app).get("/ui/kb", follow_redirects=False)
    assert no_form.status_code == 303  # not signed in: to the sign-in page
    assert ana.get("/ui/kb/nothing").status_code == 404


def test_the_case_page_suggests_articles_and_the_reply_sends_the_chosen_one(
    workspace: Workspace,
) -> None:
    write_articles(workspace, PASSWORD, REFUND, INTERNAL)
    case_id = cannot_sign_in(workspace)
    ana = signed_in(workspace, "agent")
    html = case_page(ana, case_id)
    suggested = html[html.index('id="suggested-articles"') :]
    assert re.search(r'href="/ui/kb/reset-password">Reset your password</a>', suggested)
    assert 'name="articles" value="reset-password"' in html
    assert 'name="articles" value="fraud-checks"' not in html  # staff only: never offered
    sent = post_case_form(
        ana, case_id, "messages", body="This explains it.", kind="reply", articles="reset-password"
    )
    assert sent.status_code == 303, sent.text
    [row] = outbox(workspace, kind="reply")
    assert [article["slug"] for article in row.payload["articles"]] == ["reset-password"]
    timeline = case_page(ana, case_id)
    assert 'With help articles: <a href="/ui/kb/reset-password">reset-password</a>' in timeline
    refused = post_case_form(
        ana, case_id, "messages", body="Internal", kind="note", articles="reset-password"
    )
    assert refused.status_code == 422
    assert "public reply" in refused.text


def test_customers_read_public_articles_only(workspace: Workspace) -> None:
    write_articles(workspace, PASSWORD, REFUND, INTERNAL)
    anyone = TestClient(workspace.client.app)
    page = anyone.get("/help/reset-password")
    assert page.status_code == 200
    assert "Reset your password" in page.text
    assert anyone.get("/help/fraud-checks").status_code == 404  # staff only
    assert "compare the billing" not in anyone.get("/help/fraud-checks").text
    index = anyone.get("/help").text
    assert "Reset your password" in index
    assert "fraud" not in index.lower()
    assert "Refunds for cancelled orders" in anyone.get("/help?q=refund").text
    archive(workspace, "refund-policy")
    assert anyone.get("/help/refund-policy").status_code == 404
    assert anyone.get("/help/%2E%2E%2Fetc").status_code == 404
