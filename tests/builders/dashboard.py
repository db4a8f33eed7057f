"""The dashboard from a test client, as a browser uses it: signing in (the form's CSRF token,
then the pasted API token), and reading and posting the case page."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.builders.workspace import Workspace

SESSION_COOKIE = "escalon_session"


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def submit_sign_in(client: TestClient, token: str) -> Response:
    """Send the sign-in form with an API token; the answer, whatever it is."""
    form = client.get("/ui/sign-in")
    assert form.status_code == 200
    answer: Response = client.post(
        "/ui/sign-in",
        data={"token": token, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    return answer


def sign_in(client: TestClient, token: str) -> str:
    """Sign in with an API token (it must be accepted); the session cookie's value."""
    response = submit_sign_in(client, token)
    assert response.status_code == 303, response.text
    return str(client.cookies[SESSION_COOKIE])


def signed_in(ws: Workspace, role: str) -> TestClient:
    """A client of the workspace's app, signed in to the dashboard as the user of `role`."""
    client = TestClient(ws.client.app, raise_server_exceptions=False)
    sign_in(client, ws.tokens[role])
    return client


def case_page(client: TestClient, case_id: int) -> str:
    """The case page's HTML (it must load)."""
    response = client.get(f"/ui/cases/{case_id}")
    assert response.status_code == 200, response.text
    return str(response.text)


def form_version(html: str) -> str:
    """The case version the page's forms carry."""
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def post_case_form(client: TestClient, case_id: int, path: str, **form: str) -> Any:
    """Post one of the case page's forms, with its CSRF token and version; the answer."""
    html = case_page(client, case_id)
    data = {"csrf_token": csrf_of(html), **form}
    if "version" not in form and 'name="version"' in html:
        data["version"] = form_version(html)
    return client.post(f"/ui/cases/{case_id}/{path}", data=data, follow_redirects=False)


def timeline_of(html: str) -> str:
    """The timeline part of a case page."""
    start = html.index('id="timeline"')
    return html[start : html.index("</ol>", start)]
