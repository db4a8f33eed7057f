"""Rate limits hold across API processes: two applications on one database (as two uvicorn
workers would be) share every counter, so a token, a guessing client or a form spammer gets
no more by spreading its requests. Each test plays the attack first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from escalon.api.app import create_app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from escalon.ratelimits.models import RateCounter
from tests.builders.workspace import seed

FORM = {"name": "Kim", "email": "kim@example.org", "message": "The printer is on fire."}
PROXY = "198.51.100.7"


class Processes:
    """API processes over one seeded database, each its own application and limiter."""

    def __init__(self, database: Database, clock: ManualClock, stack: ExitStack) -> None:
        self.database = database
        self.clock = clock
        self.stack = stack
        self.tokens, _policy = seed(database, clock)

    def start(self, host: str = "203.0.113.10", **settings: Any) -> TestClient:
        """A new application (a process) whose requests come from `host`."""
        app = create_app(
            settings=Settings(database_url=self.database.url, token_cache_seconds=0, **settings),
            database=self.database,
            clock=self.clock,
        )
        client = TestClient(app, client=(host, 40000), raise_server_exceptions=False)
        return self.stack.enter_context(client)

    def headers(self, role: str = "integration") -> dict[str, str]:
        """A token of that role."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def processes(database: Database, clock: ManualClock) -> Iterator[Processes]:
    """API processes to start, stopped at the end."""
    with ExitStack() as stack:
        yield Processes(database, clock, stack)


def _csrf(client: TestClient) -> str:
    form = client.get("/ui/sign-in")
    assert form.status_code == 200, form.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, token: str, csrf: str) -> Any:
    return client.post(
        "/ui/sign-in", data={"token": token, "csrf_token": csrf}, follow_redirects=False
    )


# -- one token, two processes -------------------------------------------------------------------


def test_two_processes_share_one_token_s_limit(processes: Processes) -> None:
    first = processes.start(rate_limit_token=10, rate_limit_sync_hits=1)
    second = processes.start(rate_limit_token=10, rate_limit_sync_hits=1)
    answers = [
        client.get("/api/v1/cases", headers=processes.headers()).status_code
        for _round in range(10)
        for client in (first, second)
    ]
    # Each process alone would let 10 through; shared, at most one more than the limit
    # gets past (the documented (N - 1) x batch, with a batch of one).
    assert answers.count(200) in (10, 11)
    assert set(answers) == {200, 429}
    for client in (first, second):
        assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 429


def test_processes_far_below_the_limit_overshoot_it_by_at_most_one_batch(
    processes: Processes,
) -> None:
    settings: dict[str, Any] = {
        "rate_limit_token": 100,
        "rate_limit_sync_hits": 5,
        "rate_limit_sync_seconds": 60,
    }
    first = processes.start(**settings)
    second = processes.start(**settings)
    passed = 0
    for _round in range(100):
        for client in (first, second):
            passed += client.get("/api/v1/cases", headers=processes.headers()).status_code == 200
    assert 100 <= passed <= 100 + 5


def test_hits_far_below_the_limit_are_written_in_batches_not_one_by_one(
    processes: Processes,
) -> None:
    client = processes.start(rate_limit_token=1000, rate_limit_sync_hits=5)

    def written() -> int:
        with processes.database.read() as session:
            return int(session.scalar(select(func.sum(RateCounter.count))) or 0)

    for _hit in range(4):
        assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 200
    assert written() == 0  # four requests, no write
    assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 200
    assert written() == 5  # the fifth adds the batch


# -- the answer, and the window passing -----------------------------------------------------------


def test_a_token_over_its_limit_gets_429_with_retry_after_and_a_json_error(
    processes: Processes,
) -> None:
    client = processes.start(rate_limit_token=3)
    for _hit in range(3):
        assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 200
    refused = client.get("/api/v1/cases", headers=processes.headers())
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "API token" in refused.json()["message"]
    # The window 10:00:00-10:01:00 ends in 60 s; its three requests weigh two at 10:01:20.
    assert refused.headers["Retry-After"] == "80"


def test_the_limit_lets_requests_through_again_once_the_window_has_passed(
    processes: Processes,
) -> None:
    client = processes.start(rate_limit_token=3)
    for _hit in range(3):
        client.get("/api/v1/cases", headers=processes.headers())
    processes.clock.advance(seconds=79)
    assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 429
    processes.clock.advance(seconds=1)
    assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 200


def test_another_token_is_not_held_back_by_a_busy_one(processes: Processes) -> None:
    client = processes.start(rate_limit_token=3)
    for _hit in range(4):
        client.get("/api/v1/cases", headers=processes.headers())
    assert client.get("/api/v1/cases", headers=processes.headers("agent")).status_code == 200


# -- guessing tokens ------------------------------------------------------------------------------


def test_guessing_api_tokens_is_refused_after_a_few_failures_even_for_a_right_guess(
    processes: Processes,
) -> None:
    settings: dict[str, Any] = {"rate_limit_auth_failures": 3, "rate_limit_sync_hits": 1}
    first = processes.start("203.0.113.66", **settings)
    second = processes.start("203.0.113.66", **settings)
    for number, client in enumerate((first, second, first)):
        wrong = {"Authorization": f"Bearer esc_guess{number}"}
        assert client.get("/api/v1/cases", headers=wrong).status_code == 401
    # One more guess may slip between two processes (the documented (N - 1) x batch).
    slipped = second.get("/api/v1/cases", headers={"Authorization": "Bearer esc_guess3"})
    assert slipped.status_code in (401, 429)
    # From then on no guess is even checked: a right one is not recognised.
    for client in (first, second):
        guessed = client.get("/api/v1/cases", headers=processes.headers())
        assert guessed.status_code == 429
        assert guessed.json()["error"] == "rate_limited"
        assert int(guessed.headers["Retry-After"]) > 0
    assert first.get("/api/v1/cases").status_code == 429  # no token at all: the same
    elsewhere = processes.start("203.0.113.67", **settings)
    assert elsewhere.get("/api/v1/cases", headers=processes.headers()).status_code == 200


def test_guessing_tokens_on_the_sign_in_form_is_refused_after_a_few_failures(
    processes: Processes,
) -> None:
    settings: dict[str, Any] = {"rate_limit_auth_failures": 3, "rate_limit_sync_hits": 1}
    first = processes.start("203.0.113.66", **settings)
    second = processes.start("203.0.113.66", **settings)
    for number, client in enumerate((first, second, first)):
        assert _sign_in(client, f"esc_guess{number}", _csrf(client)).status_code == 401
    # One more guess may slip between two processes (the documented (N - 1) x batch).
    assert _sign_in(second, "esc_guess3", _csrf(second)).status_code in (401, 429)
    for client in (first, second):
        guessed = _sign_in(client, processes.tokens["agent"], _csrf(client))
        assert guessed.status_code == 429
        assert guessed.headers["content-type"].startswith("text/html")
        assert int(guessed.headers["Retry-After"]) > 0
        assert "escalon_session=" not in guessed.headers.get("set-cookie", "")
    elsewhere = processes.start("203.0.113.67", **settings)
    assert _sign_in(elsewhere, processes.tokens["agent"], _csrf(elsewhere)).status_code == 303


# -- client addresses -------------------------------------------------------------------------------


def test_the_customers_pages_are_limited_per_client_with_a_page(processes: Processes) -> None:
    client = processes.start(rate_limit_client=2)
    assert client.get("/status/not-a-link").status_code == 404
    assert client.get("/survey/not-a-link").status_code == 404
    refused = client.get("/status/not-a-link")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert "Too many requests" in refused.text
    assert int(refused.headers["Retry-After"]) > 0


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(processes: Processes) -> None:
    client = processes.start(PROXY, rate_limit_client=2)
    for number in range(2):
        forged = {"X-Forwarded-For": f"192.0.2.{number}"}
        assert client.get("/status/not-a-link", headers=forged).status_code == 404
    another = {"X-Forwarded-For": "192.0.2.99"}
    assert client.get("/status/not-a-link", headers=another).status_code == 429


def test_a_forwarded_for_header_from_a_trusted_proxy_names_the_client(
    processes: Processes,
) -> None:
    client = processes.start(PROXY, rate_limit_client=2, trusted_proxies=f"{PROXY}, 10.0.0.0/8")
    for number in range(2):
        # What the client wrote itself (left) is not read: the proxies appended the rest.
        chain = {"X-Forwarded-For": f"192.0.2.{number}, 203.0.113.5, 10.1.2.3"}
        assert client.get("/status/not-a-link", headers=chain).status_code == 404
    same = {"X-Forwarded-For": "203.0.113.5, 10.1.2.3"}
    assert client.get("/status/not-a-link", headers=same).status_code == 429
    other = {"X-Forwarded-For": "203.0.113.6"}
    assert client.get("/status/not-a-link", headers=other).status_code == 404


def test_the_contact_form_limit_holds_across_processes(processes: Processes) -> None:
    settings: dict[str, Any] = {"form_rate_limit": 4, "rate_limit_sync_hits": 1}
    clients = [processes.start(f"198.51.100.{number}", **settings) for number in range(2)]
    answers = [
        client.post("/api/v1/forms/contact", json=FORM).status_code
        for _round in range(4)
        for client in clients
    ]
    # Per e-mail address: four posts in all (one more may slip between two processes).
    assert answers.count(202) in (4, 5)
    refused = clients[0].post("/api/v1/forms/contact", json=FORM)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_a_limit_of_zero_turns_the_limit_off(processes: Processes) -> None:
    client = processes.start(rate_limit_token=0, rate_limit_auth_failures=0)
    for number in range(30):
        wrong = {"Authorization": f"Bearer esc_guess{number}"}
        assert client.get("/api/v1/cases", headers=wrong).status_code == 401
    assert client.get("/api/v1/cases", headers=processes.headers()).status_code == 200
