"""Every response carries security headers; pages a Content-Security-Policy with a nonce.

The attack: Escalon's pages could be framed by another site (clickjacking the dashboard's
buttons), an injected script or style would run (no Content-Security-Policy), and the customer
pages' secret addresses could leak through the Referer header. Now every response forbids
framing, every page allows only its own nonce-carrying scripts and styles, and the customer
pages send no Referer.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from httpx import Response
from playwright.sync_api import Browser

from tests.builders.cases import open_case
from tests.builders.dashboard import sign_in
from tests.builders.workspace import Workspace
from tests.support.browser import Server


def directives(response: Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    found = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            found[name] = value.strip()
    return found


def assert_nonce_page(response: Response) -> str:
    """The page allows only scripts and styles carrying the response's nonce; returns it."""
    policy = directives(response)
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9_-]{22,})'", policy["script-src"])
    assert nonce is not None, policy
    assert policy["style-src"] == policy["script-src"]
    tags = re.findall(r"<(script|style)\b([^>]*)>", response.text)
    assert tags, "every page has at least its stylesheet"
    for _tag, attributes in tags:
        assert f'nonce="{nonce.group(1)}"' in attributes, attributes
    # No inline event handlers or style attributes: the policy would block them.
    assert not re.search(r"<[^>]+\s(on[a-z]+|style)=", response.text)
    return nonce.group(1)


def assert_not_framed(response: Response) -> None:
    assert response.headers["x-frame-options"] == "DENY"
    assert directives(response)["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_dashboard_page_carries_a_nonce_policy_and_refuses_framing(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    client = workspace.client
    signed_out = client.get("/ui/sign-in")
    assert_nonce_page(signed_out)
    assert_not_framed(signed_out)
    sign_in(client, workspace.tokens["admin"])
    nonces = set()
    for path in (
        "/ui/queue",
        "/ui/escalations",
        f"/ui/cases/{case['id']}",
        "/ui/policy",
        "/ui/numbers",
        "/ui/cases/999999",
    ):
        page = client.get(path)
        assert page.headers["content-type"].startswith("text/html"), path
        nonces.add(assert_nonce_page(page))
        assert_not_framed(page)
        assert page.headers["referrer-policy"] in ("same-origin", "no-referrer")
    assert len(nonces) == 6, "a new nonce for every response"


def test_the_customer_pages_send_no_referrer_and_carry_a_nonce_policy(
    workspace: Workspace,
) -> None:
    case = open_case(workspace)
    client = workspace.client
    sign_in(client, workspace.tokens["admin"])
    page = client.get(f"/ui/cases/{case['id']}").text
    status_url = re.search(r'href="(https?://[^"]*/status/[^"]+)"', page)
    assert status_url is not None
    path = "/status/" + status_url.group(1).split("/status/", 1)[1]
    for response in (client.get(path), client.get("/survey/not-a-token"), client.get(path + "x")):
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["referrer-policy"] == "no-referrer"
        assert_nonce_page(response)
        assert_not_framed(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/nowhere"),
        ("POST", "/api/v1/forms/contact"),
        ("GET", "/openapi.json"),
        ("GET", "/healthz"),
    ],
)
def test_api_answers_refuse_framing_and_any_content(
    workspace: Workspace, method: str, path: str
) -> None:
    response = workspace.client.request(method, path, headers=workspace.headers())
    assert_not_framed(response)
    assert directives(response)["default-src"] == "'none'"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_refused_body_carries_the_headers_too(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/cases",
        content=b"[" * 100,
        headers=workspace.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    assert_not_framed(response)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_only_escalons_own_scripts(workspace: Workspace, path: str) -> None:
    response = workspace.client.get(path)
    assert response.status_code == 200
    assert_not_framed(response)
    policy = directives(response)
    # Swagger UI and ReDoc are served from here and start from files: no inline script, no
    # other origin.
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert "http" not in response.text.replace("http-equiv", "")
    for script in re.findall(r'src="([^"]+)"', response.text):
        assert script.startswith("/docs/assets/")
        assert workspace.client.get(script).status_code == 200


def test_only_the_docs_own_files_are_served(workspace: Workspace) -> None:
    assert workspace.client.get("/docs/assets/..%2Fdocs.py").status_code == 404
    assert workspace.client.get("/docs/assets/core.py").status_code == 404


def test_the_front_door_leads_to_the_sign_in(workspace: Workspace) -> None:
    response = workspace.client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in"


def test_in_a_browser_no_page_breaks_its_own_policy(
    server: Server,
    chromium: Browser,
) -> None:
    """Chromium enforces the policies: nothing is refused, and the pages' scripts still run."""
    case_id = int(
        httpx.post(
            f"{server.url}/api/v1/cases",
            json={"customer": {"ref": "K-9", "email": "kim@example.org"}, "subject": "Hi"},
            headers={"Authorization": f"Bearer {server.tokens['integration']}"},
            timeout=30,
        ).json()["id"]
    )
    context = chromium.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.on("pageerror", lambda error: refused.append(str(error)))
    page.goto(f"{server.url}/ui/sign-in")
    page.get_by_label("API token").fill(server.tokens["admin"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/ui/queue$"))
    for path in ("/ui/escalations", "/ui/policy", "/ui/numbers"):
        page.goto(server.url + path)
    # The case page refreshes itself with a script: it runs only if the policy lets it.
    with page.expect_request(re.compile(rf"/ui/cases/{case_id}/live$"), timeout=20_000):
        page.goto(f"{server.url}/ui/cases/{case_id}")
    status_link = page.get_by_role("link", name="The customer's status page")
    page.goto(str(status_link.get_attribute("href")))
    assert page.get_by_role("heading").count() > 0
    # The stylesheet applied: the customer page's body is not in the browser's default font.
    assert "Times" not in page.evaluate("getComputedStyle(document.body).fontFamily")
    context.close()
    assert [
        text for text in refused if "Content Security Policy" in text or "Refused" in text
    ] == []


def test_a_server_error_carries_the_headers_too(workspace: Workspace) -> None:
    app = workspace.client.app
    assert isinstance(app, FastAPI)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken-for-this-test", broken)
    response = workspace.client.get("/api/v1/broken-for-this-test")
    assert response.status_code == 500
    assert_not_framed(response)
    assert directives(response)["default-src"] == "'none'"
