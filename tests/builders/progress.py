"""Progress tests' parts: finished practice sessions written as rows with feedback shaped like
`Feedback.as_dict()`, and a month of real work in which ana escalates billing above her peers."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from escalon.auth.models import User
from escalon.core.training.scoring import LABELS, WEIGHTS
from escalon.database import Database
from escalon.training import library
from escalon.training.models import PracticeSession
from tests.builders.cases import open_case
from tests.builders.training import scenario
from tests.builders.workspace import Workspace

MINUTE_US = 60_000_000
DAY_US = 86_400_000_000


def feedback(lost: dict[str, int]) -> tuple[int, dict[str, Any]]:
    """(total, feedback) of a session that lost `lost` points on the criteria named."""
    criteria: list[dict[str, Any]] = [
        {
            "name": name,
            "label": LABELS[name],
            "points": weight - lost.get(name, 0),
            "out_of": weight,
            "verdict": "good",
            "reasons": [],
        }
        for name, weight in WEIGHTS.items()
    ]
    total = sum(weight - lost.get(name, 0) for name, weight in WEIGHTS.items())
    return total, {
        "scenario": "x",
        "total": total,
        "out_of": 100,
        "summary": "",
        "criteria": criteria,
    }


def _database(target: Workspace | Database) -> Database:
    return target.database if isinstance(target, Workspace) else target


def listed(target: Workspace | Database, slug: str, skill: str, **changes: Any) -> str:
    """A listed scenario of `skill` in the library; its id."""
    found = scenario(id=slug, title=f"Practise {slug}", skill=skill, also=[], **changes)
    with _database(target).write() as session:
        library.add(session, found, by="test", now=0)
    return slug


def finished(
    target: Workspace | Database,
    username: str,
    slug: str,
    *,
    lost: dict[str, int],
    at: int,
    minutes: int = 10,
    mode: str = "scripted",
    running: bool = False,
) -> str:
    """A session of scenario `slug` by `username`, finished at `at` after `minutes`; its key."""
    total, data = feedback(lost)
    key = secrets.token_urlsafe(12)
    with _database(target).write() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        row = library.get(session, slug)
        session.add(
            PracticeSession(
                key=key,
                scenario_id=row.id,
                scenario=row.body,
                skill=row.skill,
                difficulty=row.difficulty,
                trainee_user_id=user.id,
                trainee=username,
                mode=mode,
                speed=10.0,
                status="running" if running else "finished",
                started_at=at - minutes * MINUTE_US,
                virtual_start=at - minutes * MINUTE_US,
                finished_at=None if running else at,
                virtual_end=None if running else at,
                sandbox_case_id=1,
                sandbox_user_id=1,
                score=None if running else total,
                feedback=None if running else data,
            )
        )
    return key


def hire(ws: Workspace, handle: str) -> None:
    """A frontline agent without a dashboard user."""
    response = ws.client.post(
        "/api/v1/agents",
        json={
            "handle": handle,
            "name": handle.title(),
            "email": f"{handle}@example.org",
            "level": "frontline",
            "teams": ["frontline"],
        },
        headers=ws.headers(),
    )
    assert response.status_code == 201, response.text


def handled_case(
    ws: Workspace, holder: str, category: str, *, escalate: bool, bring_down: bool = False
) -> int:
    """A case given to `holder`, escalated while theirs when `escalate`, and brought back down
    by a supervisor when `bring_down`."""
    case_id = int(open_case(ws, category=category)["id"])
    given = ws.client.put(
        f"/api/v1/cases/{case_id}/assignee", json={"assignee": holder}, headers=ws.headers()
    )
    assert given.status_code == 200, given.text
    if escalate:
        moved = ws.client.post(
            f"/api/v1/cases/{case_id}/escalations",
            json={"kind": "hierarchical", "to_level": "supervisor", "reason": "stuck"},
            headers=ws.headers("supervisor"),
        )
        assert moved.status_code == 200, moved.text
    if bring_down:
        down = ws.client.post(
            f"/api/v1/cases/{case_id}/de-escalation",
            json={"to_level": "frontline", "note": "Within frontline authority."},
            headers=ws.headers("supervisor"),
        )
        assert down.status_code == 200, down.text
    return case_id


def billing_month(ws: Workspace, *, bring_down: int = 0) -> None:
    """ana escalates 12 of 15 billing cases (the first `bring_down` of them brought back down);
    ben and cleo 3 of 15 each (one of their 5 billing cases, two how-to), none brought down."""
    for handle in ("ben", "cleo"):
        hire(ws, handle)
    for number in range(15):
        handled_case(
            ws, "ana", "billing", escalate=number < 12, bring_down=number < min(bring_down, 12)
        )
    for handle in ("ben", "cleo"):
        for number in range(15):
            handled_case(
                ws, handle, "billing" if number < 5 else "how-to", escalate=number in (0, 10, 11)
            )
