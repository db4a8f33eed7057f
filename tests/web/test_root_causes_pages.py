"""Root causes in the dashboard: picked from the policy's codes, counted, rising, and every
count leading to the cases behind it."""

from __future__ import annotations

from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from escalon.api.app import create_app
from escalon.cli import app
from escalon.config import get_settings
from tests.builders.cases import open_case
from tests.builders.causes import escalated_case, resolve_with, use_cause_policy
from tests.builders.dashboard import case_page, post_case_form, sign_in, signed_in
from tests.builders.workspace import Workspace


def soup_of(ws: Workspace, url: str) -> BeautifulSoup:
    response = ws.client.get(url)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def listed_cases(ws: Workspace, url: str) -> list[int]:
    """The case numbers a queue page lists."""
    soup = soup_of(ws, url)
    ends = [
        str(link["href"]).rsplit("/", 1)[-1] for link in soup.select("table a[href^='/ui/cases/']")
    ]
    return sorted({int(end) for end in ends if end.isdigit()})


def pareto(soup: BeautifulSoup) -> dict[str, tuple[str, ...]]:
    table = soup.select_one("#causes table")
    assert table is not None
    return {
        row.th.get_text(strip=True): tuple(td.get_text(strip=True) for td in row.find_all("td"))
        for row in table.select("tbody tr")
        if row.th is not None
    }


def test_the_pareto_counts_causes_and_each_count_lists_its_cases(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    billing = [escalated_case(workspace) for _ in range(2)]
    bug = escalated_case(workspace)
    quiet = int(open_case(workspace)["id"])
    for case_id in billing:
        resolve_with(workspace, case_id, "billing_error")
    resolve_with(workspace, bug, "product_bug")
    resolve_with(workspace, quiet, words="courier strike")
    sign_in(workspace.client, workspace.tokens["supervisor"])
    soup = soup_of(workspace, "/ui/numbers?days=7")
    assert pareto(soup) == {
        "Billing error": ("2", "2", "50%", "50%"),
        # Equal counts go by code: other, then product_bug.
        "Other (in people's own words)": ("1", "0", "25%", "75%"),
        "Defect in the product": ("1", "1", "25%", "100%"),
    }
    links = {
        row.th.get_text(strip=True): [a["href"] for a in row.find_all("a")]
        for row in soup.select("#causes tbody tr")
        if row.th is not None
    }
    cases_link, escalated_link = links["Billing error"]
    assert listed_cases(workspace, str(cases_link)) == sorted(billing)
    assert parse_qs(urlparse(str(escalated_link)).query)["escalated"] == ["1"]
    assert listed_cases(workspace, str(escalated_link)) == sorted(billing)
    (other_link,) = links["Other (in people's own words)"]
    assert listed_cases(workspace, str(other_link)) == [quiet]
    queue = soup_of(workspace, str(cases_link))
    counted = queue.select_one("#counted")
    assert counted is not None
    assert "with root cause Billing error" in counted.get_text()


def test_a_cause_clearly_on_the_rise_is_named_and_a_few_cases_are_not(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    for _ in range(12):
        resolve_with(workspace, escalated_case(workspace), "product_bug")
    workspace.clock.advance(hours=14 * 24)
    recent = [escalated_case(workspace) for _ in range(5)]
    for case_id in recent:
        resolve_with(workspace, case_id, "billing_error")
    for _ in range(2):
        resolve_with(workspace, escalated_case(workspace), "missing_docs")
    sign_in(workspace.client, workspace.tokens["supervisor"])
    soup = soup_of(workspace, "/ui/numbers?days=30")
    rising = soup.select("#rising li")
    assert [item.a.get_text(strip=True) for item in rising if item.a] == ["Billing error"]
    assert "5 of 7 resolutions this week (71%), against 0% (0 of 12)" in rising[0].get_text()
    assert listed_cases(workspace, str(rising[0].a["href"])) == sorted(recent)  # type: ignore[index]


def test_nothing_rises_without_earlier_weeks(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    for _ in range(4):
        resolve_with(workspace, escalated_case(workspace), "billing_error")
    sign_in(workspace.client, workspace.tokens["supervisor"])
    assert soup_of(workspace, "/ui/numbers").select_one("#rising-none") is not None


def test_the_resolve_form_offers_the_policys_causes(workspace: Workspace) -> None:
    use_cause_policy(workspace)
    case_id = escalated_case(workspace)
    agent = signed_in(workspace, "agent")
    html = case_page(agent, case_id)
    assert '<option value="billing_error">Billing error</option>' in html
    assert '<option value="other">Other (say it below)</option>' in html
    wordless = post_case_form(agent, case_id, "resolve", root_cause_code="other")
    assert wordless.status_code == 422
    assert "needs the cause in words" in wordless.text
    done = post_case_form(agent, case_id, "resolve", root_cause_code="billing_error")
    assert done.is_redirect
    assert 'id="case-root-cause">Billing error<' in case_page(agent, case_id)


def test_a_bad_day_in_a_figures_link_is_a_clear_400(workspace: Workspace) -> None:
    sign_in(workspace.client, workspace.tokens["supervisor"])
    response = workspace.client.get("/ui/queue?cause=x&opened_from=2026-13-01&opened_to=2026-12-01")
    assert response.status_code == 400
    assert "opened_from and opened_to are days" in response.text
    backwards = workspace.client.get("/ui/queue?resolved_from=2026-12-02&resolved_to=2026-12-01")
    assert backwards.status_code == 400
    assert "resolved_to (2026-12-01) comes before resolved_from" in backwards.text


SAID = {
    "billing_error": ("Charged twice", "My card was charged twice for one invoice, refund it"),
    "product_bug": ("Export crashes", "The export button crashes the app with an error"),
}


def test_a_model_trained_on_past_causes_suggests_one_at_resolution(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_cause_policy(workspace)
    for number in range(8):
        for code, (subject, body) in SAID.items():
            case_id = escalated_case(workspace, subject=f"{subject} #{number}", body=body)
            resolve_with(workspace, case_id, code)
    model = tmp_path / "causes.model"
    monkeypatch.setenv("ESCALON_DATABASE_URL", workspace.database.url)
    get_settings.cache_clear()
    try:
        trained = CliRunner().invoke(
            app, ["triage", "train", "--label", "root_cause", "--out", str(model)]
        )
    finally:
        get_settings.cache_clear()
    assert trained.exit_code == 0, trained.output
    assert "root causes billing_error: 8, product_bug: 8" in trained.output
    assert "ESCALON_ROOT_CAUSE_MODEL" in trained.output

    services = cast(FastAPI, workspace.client.app).state.services
    settings = services.settings.model_copy(update={"root_cause_model": str(model)})
    with TestClient(
        create_app(settings=settings, database=workspace.database, clock=workspace.clock),
        raise_server_exceptions=False,
    ) as client:
        sign_in(client, workspace.tokens["agent"])
        fresh = escalated_case(workspace, subject="Invoice", body="you charged my card twice")
        html = case_page(client, fresh)
        assert 'id="suggested-cause"' in html
        assert "Suggested: Billing error (" in html
        quiet = int(open_case(workspace, subject="Invoice", body="charged twice")["id"])
        assert 'id="suggested-cause"' not in case_page(client, quiet)


def test_without_codes_there_is_nothing_to_learn(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALON_DATABASE_URL", workspace.database.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["triage", "train", "--label", "root_cause", "--out", str(tmp_path / "m")]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "at least two categories" in result.output
    assert "the cases resolved with a root-cause code" in result.output
