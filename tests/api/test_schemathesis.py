"""Every operation of the OpenAPI schema, fuzzed with schemathesis: valid and invalid input alike
gets an answer the schema declares, with a JSON body, and never a 500.

It runs on SQLite and on PostgreSQL (which refuses some values SQLite keeps). The budget per
operation and database is `ESCALON_FUZZ_EXAMPLES` (20 by default, for CI); run it with a few
hundred locally to shake out rarer failures:

    ESCALON_FUZZ_EXAMPLES=200 pytest tests/api/test_schemathesis.py
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import update

from escalon.api.app import create_app
from escalon.auth import service as auth
from escalon.auth.models import ApiToken, User
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.notifications.models import OutboxMessage
from tests.builders.workspace import ROLES, START, seed
from tests.support.postgres import scratch_database

MAX_EXAMPLES = int(os.environ.get("ESCALON_FUZZ_EXAMPLES", "20"))
LARGEST_ID = 2**62
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
]


# The bearer token every request carries: an admin's, fixed so that cases schemathesis builds while
# collecting (the coverage phase) carry it too. Each operation is also fuzzed with the token of
# every other role (swapped in per call), so what a role may not do is refused, never a 500.
TOKEN = "esc_schemathesis-fuzzing-admin-token"
ROLE_TOKENS = {role: f"esc_schemathesis-fuzzing-{role}-token" for role in ROLES}
# Other roles get a share of the budget: their requests mostly end in 403 early.
ROLE_EXAMPLES = max(MAX_EXAMPLES // 2, 5)
# Rows the fixture seeds (ids count up from 1 in a fresh database): drawn path parameters are
# sometimes swapped for these, so requests hit real data and not only 404s.
EXISTING: dict[str, list[Any]] = {
    "case_id": [1, 2, 3],
    "customer_id": [1, 2, 3],
    "approval_id": [1],
    "message_id": [1, 2],
    "token_id": [1, 2, 5],  # 5 is the run's own token: revoking it is fuzzed too
    "version_id": [1],
    "name": ["frontline", "specialists", "crm"],
    "handle": ["ana", "omar"],
    "username": ["admin", "agent"],
}


def _app(database: Database, clock: ManualClock) -> FastAPI:
    # Thousands of requests with one token, on a clock that does not move: every request is
    # still counted by the rate limits, whose limits are set beyond what the run reaches.
    settings = Settings(
        database_url=database.url,
        token_cache_seconds=0,
        rate_limit_token=100_000_000,
        rate_limit_auth_failures=100_000_000,
    )
    return create_app(settings=settings, database=database, clock=clock)


# The schema does not depend on the data, so it is read from an app over a database it never
# opens; the requests go to the app over the seeded one (`fuzzed_app`).
_UNUSED = Database(f"sqlite:///{Path(tempfile.gettempdir()) / 'escalon-unused.db'}")
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    _app(_UNUSED, ManualClock(START)),
    config=schemathesis.Config.from_dict(
        {
            # Positive and negative (schema-violating) data, in every phase.
            "generation": {"mode": "all"},
            "auth": {"openapi": {"HTTPBearer": {"bearer": TOKEN}}},
            # A body past ESCALON_MAX_BODY_BYTES is refused whole (413) before it is read.
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [
                        "400",
                        "401",
                        "403",
                        "404",
                        "405",
                        "406",
                        "409",
                        "413",
                        "415",
                        "422",
                        "428",
                        "429",
                    ]
                }
            },
        }
    ),
)


@dataclass
class Fuzzed:
    """The app under test over its seeded database."""

    app: FastAPI
    database: Database

    def keep_token_alive(self) -> None:
        """Undo fuzzed revocations of the run's own tokens (and of their users, by a fuzzed
        PATCH /users), or every later call is a 401."""
        hashes = [auth.hash_token(token) for token in ROLE_TOKENS.values()]
        with self.database.write() as session:
            session.execute(
                update(ApiToken).where(ApiToken.token_hash.in_(hashes)).values(revoked_at=None)
            )
            for role in ROLES:
                session.execute(
                    update(User).where(User.username == role).values(role=role, active=True)
                )


def _seed_rows(client: TestClient, headers: dict[str, str]) -> None:
    """Cases (and their customers), an approval and a webhook, through the API."""
    for number in range(3):
        response = client.post(
            "/api/v1/cases",
            json={
                "customer": {"ref": f"K-{number}", "name": "Kim", "email": "kim@example.org"},
                "subject": f"Printer on fire #{number}",
                "body": "The printer is on fire.",
                "channel": "email",
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
    approval = client.post(
        "/api/v1/cases/1/approvals", json={"kind": "refund", "amount": 1_000_000}, headers=headers
    )
    assert approval.status_code == 201, approval.text
    webhook = client.post(
        "/api/v1/webhooks",
        # A public address: a host name would need DNS to pass the check (nothing is sent).
        json={"name": "crm", "url": "https://93.184.215.14/hook"},
        headers=headers,
    )
    assert webhook.status_code == 201, webhook.text


def _assert_existing(client: TestClient, headers: dict[str, str]) -> None:
    for name, values in EXISTING.items():
        for value in values:
            path = {
                "case_id": f"/api/v1/cases/{value}",
                "customer_id": f"/api/v1/customers/{value}",
                "approval_id": f"/api/v1/approvals/{value}",
                "version_id": f"/api/v1/policies/{value}",
                "handle": f"/api/v1/agents/{value}",
            }.get(name)
            if path is not None:
                assert client.get(path, headers=headers).status_code == 200, path
    outbox = {message["id"] for message in client.get("/api/v1/outbox", headers=headers).json()}
    tokens = {token["id"] for token in client.get("/api/v1/tokens", headers=headers).json()}
    assert set(EXISTING["message_id"]) <= outbox
    assert set(EXISTING["token_id"]) <= tokens


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_database(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """A fresh migrated database of each kind (PostgreSQL refuses values SQLite keeps)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "escalon.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    with scratch_database("escalon_fuzz") as url:
        database = Database(url, pool_size=4)
        upgrade(database)
        yield database
        database.dispose()


@pytest.fixture(scope="module")
def fuzzed_app(fuzzed_database: Database) -> Fuzzed:
    """The API over a seeded database, shared by every operation's test."""
    database = fuzzed_database
    clock = ManualClock(START)
    seed(database, clock)
    with database.write() as session:
        for role, token in ROLE_TOKENS.items():
            user = auth.user_by_name(session, role)
            session.add(
                ApiToken(
                    user_id=user.id,
                    name="schemathesis",
                    prefix=token[:12],
                    token_hash=auth.hash_token(token),
                    created_at=clock.now_us(),
                )
            )
        # A pending and a dead message (the worker does not run here to make any).
        for number, status in enumerate(("pending", "dead")):
            session.add(
                OutboxMessage(
                    key=f"seed-{number}",
                    kind="notify",
                    channel="log",
                    recipient="level_team",
                    address="log",
                    payload={},
                    status=status,
                    created_at=clock.now_us(),
                )
            )
    fuzzed = Fuzzed(_app(database, clock), database)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(fuzzed.app, raise_server_exceptions=False) as client:
        _seed_rows(client, headers)
        _assert_existing(client, headers)
    return fuzzed


def _valid(value: Any, existing: list[Any]) -> bool:
    if isinstance(existing[0], int):
        return type(value) is int and 1 <= value <= LARGEST_ID
    return isinstance(value, str) and 1 <= len(value) <= 100


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Now and then swap a drawn id for one that exists; invalid (negative) values stay as drawn."""
    if not path_parameters:
        return st.just(path_parameters)
    swaps = {
        name: st.sampled_from(EXISTING[name])
        for name, value in path_parameters.items()
        if name in EXISTING and _valid(value, EXISTING[name])
    }
    if not swaps:
        return st.just(path_parameters)
    drawn = path_parameters
    existing = st.fixed_dictionaries(swaps).map(lambda swapped: {**drawn, **swapped})
    return st.one_of(st.just(drawn), existing)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_its_schema_says(
    case: schemathesis.Case[Any], fuzzed_app: Fuzzed
) -> None:
    _call(case, fuzzed_app)


@schema.parametrize()
@settings(
    max_examples=ROLE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_every_operation_answers_every_role_as_its_schema_says(
    case: schemathesis.Case[Any], fuzzed_app: Fuzzed, role: str
) -> None:
    _call(case, fuzzed_app, ROLE_TOKENS[role])


def _without_authorization(case: schemathesis.Case[Any]) -> bool:
    """Whether the case is the fuzzer's check that a request without a token gets 401."""
    data = case.meta.phase.data if case.meta is not None else None
    return (
        isinstance(data, CoveragePhaseData)
        and (data.parameter or "").lower() == "authorization"
        and data.scenario == CoverageScenario.MISSING_PARAMETER
    )


def _call(case: schemathesis.Case[Any], fuzzed_app: Fuzzed, token: str = TOKEN) -> None:
    fuzzed_app.keep_token_alive()
    excluded: list[schemathesis.CheckFunction] = []
    if token != TOKEN and not _without_authorization(case):
        if "authorization" not in {name.lower() for name in case.headers or {}}:
            # The fuzzer left the token out as part of its invalid data; the role's token put
            # back makes that part valid, so the rest may well be valid too.
            excluded.append(negative_data_rejection)
        case.headers["Authorization"] = f"Bearer {token}"
    if _valid_once_sent(case):
        # Query strings carry only strings; see `_valid_once_sent` for what reads as valid.
        excluded.append(negative_data_rejection)
    case.call_and_validate(app=fuzzed_app.app, checks=CHECKS, excluded_checks=excluded)


@pytest.mark.parametrize("role", ["supervisor", "agent", "integration"])
def test_the_fuzzer_calls_with_the_role_token_it_is_given(fuzzed_app: Fuzzed, role: str) -> None:
    case = schema["/api/v1/users"]["GET"].Case()
    case.headers["Authorization"] = f"Bearer {ROLE_TOKENS[role]}"
    assert case.call(app=fuzzed_app.app).status_code == 403
    case.headers["Authorization"] = f"Bearer {TOKEN}"
    assert case.call(app=fuzzed_app.app).status_code == 200


@cache
def _query_parameters(path: str, method: str) -> tuple[frozenset[str], frozenset[str]]:
    """The operation's query parameters: (those taking a list of free strings, the others)."""
    lists, others = set(), set()
    for parameter in schema.raw_schema["paths"][path][method].get("parameters", []):
        if parameter["in"] != "query":
            continue
        options = parameter["schema"].get("anyOf", [parameter["schema"]])
        if any(
            option.get("type") == "array" and option.get("items") == {"type": "string"}
            for option in options
        ):
            lists.add(parameter["name"])
        elif not any(option.get("type") == "array" for option in options):
            others.add(parameter["name"])
    return frozenset(lists), frozenset(others)


def _valid_once_sent(case: schemathesis.Case[Any]) -> bool:
    """Whether a query value drawn as schema-violating reads as valid on the wire: `team=false`
    is a one-item list of strings, and `q=a&q=b` gives a one-value parameter its last value
    (as every Starlette app reads it). Schemathesis still counts both as negative data."""
    lists, others = _query_parameters(case.operation.path, case.operation.method.lower())
    for name, value in (case.query or {}).items():
        if name in others and isinstance(value, list | tuple):
            return True
        if name in lists and value is not None:
            items = list(value) if isinstance(value, list | tuple) else [value]
            as_drawn = isinstance(value, list | tuple) and all(
                isinstance(item, str) for item in items
            )
            as_read = len(items) <= 100 and all(
                isinstance(item, bool | int | float | str) for item in items
            )
            if as_read and not as_drawn:
                return True
    return False


def _cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        (
            "GET",
            f"/api/v1/cases?cursor={_cursor({'sort': '-opened', 'value': None, 'id': 2**64})}",
            None,
        ),
        (
            "GET",
            f"/api/v1/cases?sort=due&cursor={_cursor({'sort': 'due', 'value': 2**64, 'id': 1})}",
            None,
        ),
        ("GET", "/api/v1/cases?opened_after=1700000000", None),
        ("GET", "/api/v1/kpis?until=0001-01-05T00:00:00Z", None),
        ("GET", "/api/v1/kpis?until=9999-12-31T23:59:59-23:00", None),
        ("POST", "/api/v1/cases", {"customer_id": 2**63, "subject": "Overflow"}),
        ("POST", "/api/v1/cases/1/policy", {"policy_version_id": 2**63}),
        ("POST", "/api/v1/policies", {"source": "name: x\n\b"}),
    ],
)
def test_inputs_the_fuzzer_does_not_reach_get_a_4xx_that_says_why(
    fuzzed_app: Fuzzed, method: str, url: str, body: dict[str, Any] | None
) -> None:
    with TestClient(fuzzed_app.app, raise_server_exceptions=False) as client:
        response = client.request(
            method, url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/v1/teams", {"name": "nul\u0000"}),
        ("GET", "/api/v1/teams/nul%00", None),
        ("GET", "/api/v1/customers?ref=nul%00", None),
    ],
)
def test_text_with_a_nul_character_is_never_a_server_error(
    fuzzed_app: Fuzzed, method: str, url: str, body: dict[str, Any] | None
) -> None:
    with TestClient(fuzzed_app.app, raise_server_exceptions=False) as client:
        response = client.request(
            method, url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    if fuzzed_app.database.is_sqlite:
        # SQLite stores the character like any other: the request is simply served.
        assert response.status_code in (200, 201, 404), response.text
        return
    # PostgreSQL's text cannot hold it: the request is refused, saying why.
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["message"]
