"""Signing in to the dashboard from a test client, as a browser does: the form's CSRF token, then
the pasted API token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

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
