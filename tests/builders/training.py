"""Training-ground tests' parts: a scenario, an app whose sandboxes live in a test folder, and
the practice pages as a signed-in person uses them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from escalon.api.app import create_app
from escalon.config import Settings
from escalon.core.training.scenario import Scenario, scenario_from
from escalon.training import library
from tests.builders.dashboard import csrf_of, form_version, sign_in
from tests.builders.workspace import Workspace

MANAGER_REQUEST: dict[str, Any] = {
    "scenario": 1,
    "id": "manager-after-two-deliveries",
    "title": "A customer asks for a manager after two failed deliveries",
    "skill": "manager_request",
    "also": ["angry_customer"],
    "difficulty": 2,
    "source": {"kind": "hand"},
    "customer": "Alex",
    "case": {"channel": "email", "subject": "Delivery failed twice"},
    "script": [
        {"when": "start", "after": "0s", "say": "My parcel failed to arrive again."},
        {"when": "reply", "after": "2m", "say": "I want to speak to a manager now."},
        {
            "when": "silence",
            "after": "30m",
            "say": "Still nothing? I am waiting.",
            "mood": "annoyed",
        },
        {
            "when": "ignored",
            "after": "5m",
            "say": "You ignored me: I asked for a manager.",
            "mood": "angry",
        },
    ],
    "expect": {
        "escalate": True,
        "to_level": "supervisor",
        "first_response": "30m",
        "request_words": ["manager", "supervisor", "escalate", "escalation"],
    },
}


def scenario(**changes: Any) -> Scenario:
    """The manager-request scenario, with `changes` to its top-level fields."""
    return scenario_from({**MANAGER_REQUEST, **changes}, "test")


def add_scenario(ws: Workspace, found: Scenario | None = None) -> str:
    """Put a scenario in the workspace's library; its id."""
    chosen = found or scenario()
    with ws.database.write() as session:
        library.add(session, chosen, by="test", now=ws.clock.now_us())
    return chosen.id


@contextmanager
def training_app(ws: Workspace, folder: Path, **settings: Any) -> Iterator[TestClient]:
    """The workspace's app with its sandboxes in `folder`."""
    chosen = Settings(
        database_url=ws.database.url, token_cache_seconds=0, training_dir=folder, **settings
    )
    app = create_app(settings=chosen, database=ws.database, clock=ws.clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def signed_in_client(app_client: TestClient, token: str) -> TestClient:
    """Another browser on the same app, signed in with `token`."""
    client = TestClient(app_client.app, raise_server_exceptions=False)
    sign_in(client, token)
    return client


def start(client: TestClient, slug: str, **form: str) -> tuple[str, int]:
    """Start practising a scenario from its page; (session key, sandbox case id)."""
    page = client.get(f"/ui/training/scenarios/{slug}")
    assert page.status_code == 200, page.text
    answer = client.post(
        "/ui/training/sessions",
        data={"csrf_token": csrf_of(page.text), "scenario": slug, **form},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/ui/practice/([\w-]+)/cases/(\d+)", answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found[1], int(found[2])


def practice_page(client: TestClient, key: str, case_id: int) -> str:
    """The practice case's page (it must load)."""
    answer = client.get(f"/ui/practice/{key}/cases/{case_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def act(client: TestClient, key: str, case_id: int, path: str, **form: str) -> Response:
    """Post one of the practice case page's forms."""
    html = practice_page(client, key, case_id)
    data = {"csrf_token": csrf_of(html), **form}
    if "version" not in form and 'name="version"' in html:
        data["version"] = form_version(html)
    answer: Response = client.post(
        f"/ui/practice/{key}/cases/{case_id}/{path}", data=data, follow_redirects=False
    )
    return answer


def finish(client: TestClient, key: str) -> Response:
    """Finish a session from its page."""
    page = client.get(f"/ui/training/sessions/{key}")
    answer: Response = client.post(
        f"/ui/training/sessions/{key}/finish",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    return answer
