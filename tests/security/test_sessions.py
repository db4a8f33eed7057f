"""Dashboard sessions are rows: a cookie opens the dashboard only while its row is alive. It ends
by signing out, by revoking the token it was opened with, by disabling the user or changing
their role, by an admin, and by expiry (absolute and idle). The cookie's Secure flag follows
ESCALON_COOKIE_SECURE."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from escalon.api.app import create_app
from escalon.config import Settings
from tests.builders.dashboard import csrf_of, sign_in
from tests.builders.workspace import Workspace

QUEUE = "/ui/queue"


def _opens(ws: Workspace, cookie: str) -> bool:
    """Whether a browser holding `cookie` (say, a copy of it) gets the queue."""
    browser = TestClient(ws.client.app)
    browser.cookies.set("escalon_session", cookie, path="/ui")
    status: int = browser.get(QUEUE, follow_redirects=False).status_code
    return status == 200


def _token_id(ws: Workspace, role: str) -> int:
    listing = ws.client.get("/api/v1/tokens", headers=ws.headers("admin")).json()
    return int(next(t["id"] for t in listing if t["user"] == role))


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])
    page = ws.client.get(QUEUE)

    ws.client.post("/ui/sign-out", data={"csrf_token": csrf_of(page.text)})

    assert not _opens(ws, cookie)


def test_revoking_the_token_ends_its_sessions(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])
    assert _opens(ws, cookie)

    revoked = ws.client.delete(
        f"/api/v1/tokens/{_token_id(ws, 'agent')}", headers=ws.headers("admin")
    )

    assert revoked.status_code == 200
    assert not _opens(ws, cookie)
    sessions = ws.client.get(
        "/api/v1/sessions", params={"user": "agent", "ended": True}, headers=ws.headers("admin")
    ).json()
    assert [s["ended_reason"] for s in sessions] == ["token_revoked"]


def test_disabling_the_user_ends_their_sessions(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])

    changed = ws.client.patch(
        "/api/v1/users/agent", json={"active": False}, headers=ws.headers("admin")
    )

    assert changed.status_code == 200, changed.text
    assert not _opens(ws, cookie)


def test_changing_the_users_role_ends_their_sessions(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])

    changed = ws.client.patch(
        "/api/v1/users/agent", json={"role": "supervisor"}, headers=ws.headers("admin")
    )

    assert changed.status_code == 200, changed.text
    assert not _opens(ws, cookie)


def test_an_admin_ends_someone_elses_session_and_it_is_audited(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])
    live = ws.client.get(
        "/api/v1/sessions", params={"user": "agent"}, headers=ws.headers("admin")
    ).json()
    assert len(live) == 1
    assert "secret" not in str(live[0]).lower()

    ended = ws.client.delete(f"/api/v1/sessions/{live[0]['id']}", headers=ws.headers("admin"))

    assert ended.status_code == 200
    assert ended.json()["ended_reason"] == "ended_by_admin"
    assert not _opens(ws, cookie)
    trail = ws.client.get(
        "/api/v1/admin/audit", params={"action": "session.ended"}, headers=ws.headers("admin")
    ).json()
    assert [e["target"] for e in trail["entries"]] == [f"session:{live[0]['id']}"]
    assert trail["entries"][0]["data"] == {"user": "agent"}


def test_nobody_but_an_admin_lists_or_ends_another_persons_sessions(workspace: Workspace) -> None:
    ws = workspace
    sign_in(ws.client, ws.tokens["agent"])
    session_id = ws.client.get(
        "/api/v1/sessions", params={"user": "agent"}, headers=ws.headers("admin")
    ).json()[0]["id"]

    listed = ws.client.get(
        "/api/v1/sessions", params={"user": "agent"}, headers=ws.headers("supervisor")
    )
    ended = ws.client.delete(f"/api/v1/sessions/{session_id}", headers=ws.headers("supervisor"))
    own = ws.client.get("/api/v1/sessions", headers=ws.headers("supervisor"))

    assert listed.status_code == 403
    assert ended.status_code == 404
    assert own.status_code == 200
    assert own.json() == []


def test_a_session_ends_after_its_lifetime_even_when_in_use(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])
    for _ in range(11):  # an hour at a time: never idle, 11 hours in all
        ws.clock.advance(hours=1)
        assert _opens(ws, cookie)

    ws.clock.advance(hours=1)

    assert not _opens(ws, cookie)


def test_a_session_left_idle_ends(workspace: Workspace) -> None:
    ws = workspace
    cookie = sign_in(ws.client, ws.tokens["agent"])
    ws.clock.advance(minutes=119)
    assert _opens(ws, cookie)  # used again: another two hours from here

    ws.clock.advance(minutes=119)
    assert _opens(ws, cookie)
    ws.clock.advance(minutes=121)

    assert not _opens(ws, cookie)


def test_a_session_never_outlives_the_token_it_was_opened_with(workspace: Workspace) -> None:
    ws = workspace
    created = ws.client.post(
        "/api/v1/users/agent/tokens",
        json={"name": "short", "expires_in_days": 1},
        headers=ws.headers("admin"),
    )
    short = created.json()["token"]
    ws.clock.advance(hours=23)
    browser = TestClient(ws.client.app)
    response_cookie = sign_in(browser, short)

    ws.clock.advance(hours=1, seconds=1)

    assert not _opens(ws, response_cookie)


@pytest.mark.parametrize(
    ("setting", "public_url", "secure"),
    [
        ("auto", "http://127.0.0.1:8000", False),
        ("auto", "https://help.example.org", True),
        ("always", "http://127.0.0.1:8000", True),
        ("never", "https://help.example.org", False),
    ],
)
def test_the_cookies_secure_flag_follows_the_setting(
    workspace: Workspace, setting: str, public_url: str, secure: bool
) -> None:
    settings = Settings(
        database_url=workspace.database.url,
        token_cache_seconds=0,
        cookie_secure=setting,
        public_url=public_url,
    )
    app = create_app(settings=settings, database=workspace.database, clock=workspace.clock)
    # Plain HTTP on purpose (a proxy ending TLS looks like this): a Secure cookie is not sent
    # back over it, so the sign-in cookie is handed back by hand.
    with TestClient(app, base_url="http://testserver") as client:
        form = client.get("/ui/sign-in")
        nonce = re.search(r"escalon_sign_in=([^;]+)", form.headers["set-cookie"])
        assert nonce
        signed_in = client.post(
            "/ui/sign-in",
            data={"token": workspace.tokens["agent"], "csrf_token": csrf_of(form.text)},
            headers={"Cookie": f"escalon_sign_in={nonce.group(1)}"},
            follow_redirects=False,
        )

    assert signed_in.status_code == 303
    for response in (form, signed_in):
        cookies = response.headers.get_list("set-cookie")
        assert cookies
        assert all(("; secure" in c.lower()) == secure for c in cookies), cookies
