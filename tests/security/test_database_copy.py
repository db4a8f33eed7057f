"""Hole 3: someone holding a copy of the database (a backup, a dump, a stolen disk) and nothing
else. The attack: read every value in the copy and try each as the key that signs dashboard
cookies and customer links, and look for webhook secrets. Keys now live outside the database,
sessions are rows that keep only a hash of the browser's secret, and webhook secrets are
sealed, so nothing in the copy opens a session, makes a link or reveals a secret."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import inspect, text

from escalon.database import Database
from tests.builders.dashboard import sign_in
from tests.builders.workspace import Workspace

ADMIN_ONLY_PAGE = "/ui/queue?team=management"


def _copy(database: Database, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """What a copy of the database holds: every row of every table. SQLite: a file copied with
    the online backup, read on its own; PostgreSQL: every table read out, as a dump would."""
    if database.is_sqlite:
        source = database.url.removeprefix("sqlite:///")
        target = tmp_path / "stolen.db"
        with sqlite3.connect(source) as live, sqlite3.connect(target) as stolen:
            live.backup(stolen)
        copy = Database(f"sqlite:///{target}")
    else:
        copy = database
    try:
        rows: dict[str, list[dict[str, Any]]] = {}
        with copy.engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                result = connection.execute(text(f'SELECT * FROM "{table}"'))
                rows[table] = [dict(row._mapping) for row in result]
        return rows
    finally:
        if copy is not database:
            copy.dispose()


def _strings(copy: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Every text value in the copy that could be a key, a secret or a session (16-500 chars)."""
    found = set()
    for rows in copy.values():
        for row in rows:
            for value in row.values():
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str) and 16 <= len(value) <= 500:
                    found.add(value)
    return found


def _candidate_keys(values: set[str]) -> list[bytes]:
    """Each value as a key, as it stands and as the code derives purpose keys from a master."""
    keys = [value.encode() for value in values]
    try:
        from escalon import keys as key_module
    except ImportError:  # an Escalon that kept its key in the database
        return keys
    for value in values:
        try:
            master = key_module.MasterKey(key_module.decode_secret(value))
        except ValueError:
            master = key_module.MasterKey(value.encode())
        keys.extend(master.derive(purpose) for purpose in (key_module.LINKS, key_module.CSRF))
    return keys


def test_a_copy_of_the_database_opens_no_dashboard_session(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = workspace
    admin_cookie = sign_in(ws.client, ws.tokens["admin"])
    assert ws.client.get(ADMIN_ONLY_PAGE, follow_redirects=False).status_code == 200

    copy = _copy(ws.database, tmp_path)
    values = _strings(copy)
    assert admin_cookie not in values, "the browser's session secret is not in the database"
    tokens = [row for row in copy["api_tokens"] if row["revoked_at"] is None]
    forged = list(values)  # any stored value sent as the cookie (a session's hash, a token's)
    for key in _candidate_keys(values):
        # The cookie format of an Escalon that signed the token's hash with a stored key.
        signer = URLSafeTimedSerializer(key, salt="escalon.ui.session")
        for token in tokens:
            forged.append(
                signer.dumps(
                    {"u": token["user_id"], "t": token["id"], "h": token["token_hash"], "n": "x"}
                )
            )

    attacker = TestClient(ws.client.app)
    opened = []
    for cookie in forged:
        attacker.cookies.set("escalon_session", cookie, path="/ui")
        response = attacker.get(ADMIN_ONLY_PAGE, follow_redirects=False)
        if response.status_code != 303:
            opened.append(cookie)
    assert opened == [], f"{len(opened)} forged cookie(s) opened the dashboard"


def test_a_copy_of_the_database_makes_no_status_or_survey_link(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = workspace
    created = ws.client.post(
        "/api/v1/cases",
        json={
            "customer": {"ref": "K-9", "name": "Kim", "email": "kim@example.org"},
            "subject": "Where is my refund?",
            "body": "Still waiting.",
            "channel": "email",
        },
        headers=ws.headers("integration"),
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    # The genuine link the customer got in their acknowledgement opens the page.
    outbox = ws.client.get("/api/v1/outbox", headers=ws.headers("admin")).json()
    genuine = next(m["payload"]["links"]["status"] for m in outbox if "links" in m["payload"])
    assert ws.client.get("/status/" + genuine.rsplit("/", 1)[1]).status_code == 200

    values = _strings(_copy(ws.database, tmp_path))
    now = ws.clock.now_us() // 1_000_000
    opened = []
    for key in _candidate_keys(values):
        for purpose in ("status", "survey"):
            serializer = URLSafeTimedSerializer(
                key, salt=f"escalon.link.{purpose}", signer_kwargs={"digest_method": hashlib.sha256}
            )
            token = serializer.dumps(case_id)
            assert serializer.loads(token, max_age=None)  # a well-made token, for the wrong key
            response = ws.client.get(f"/{purpose}/{token}")
            if response.status_code not in (404, 410):
                opened.append((purpose, response.status_code))
    assert opened == [], f"forged links opened pages: {opened[:5]} (at {now})"


def test_a_copy_of_the_database_holds_no_webhook_secret(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = workspace
    secret = "whsec-" + secrets.token_urlsafe(24)
    created = ws.client.post(
        "/api/v1/webhooks",
        json={"name": "ops", "url": "https://93.184.215.14/escalon", "secret": secret},
        headers=ws.headers("admin"),
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"] == secret  # shown once, to the admin who made it

    values = _strings(_copy(ws.database, tmp_path))
    assert not [value for value in values if secret in value]
    if ws.database.is_sqlite:
        # Nor anywhere in the files themselves (free pages, the write-ahead log).
        stored = Path(ws.database.url.removeprefix("sqlite:///"))
        for path in stored.parent.glob(stored.name + "*"):
            assert secret.encode() not in path.read_bytes(), path.name
