"""Practice-session benchmark: how fast the training ground's pages answer.

    python -m bench.training_practice            # 200 scenarios in the library, 30 requests each
    python -m bench.training_practice --tiny     # 20 scenarios, 10 requests: what CI runs

An installation (SQLite, the example policy, a frontline agent) gets a library of scenarios;
a trainee starts a practice session through the pages and every page of the practice is asked
for repeatedly through the TestClient, signed in: the practice case (the dashboard's case page,
served from the sandbox through the practice mount, the scenario's customer brought up to the
practice clock first), the practice queue, a reply posted, the session page, the library. The
case page of the same case opened in the installation itself is timed alongside: the ratio is
what the practice mount costs. The goal: every practice page under 300 ms (p95). Starting a
session (a sandbox copied from a migrated template and filled) is timed too.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from escalon.api.app import create_app
from escalon.auth import service as auth
from escalon.clock import SystemClock
from escalon.config import Settings
from escalon.core.training.scenario import scenario_from
from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.demo import policy_text
from escalon.people import service as people
from escalon.people.schemas import AgentIn, TeamIn
from escalon.policies import service as policies
from escalon.training import library

GOAL_MS = 300.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def _scenario(number: int) -> dict[str, object]:
    return {
        "scenario": 1,
        "id": f"bench-{number}",
        "title": f"Scenario {number}: a customer asks for a manager",
        "skill": ("manager_request", "angry_customer", "slow_answer")[number % 3],
        "difficulty": 1 + number % 3,
        "source": {"kind": "hand"},
        "case": {"channel": "email", "subject": f"Order {number} failed twice"},
        "script": [
            {"when": "start", "after": "0s", "say": "My parcel failed to arrive, again."},
            {"when": "reply", "after": "1m", "say": "I want to speak to a manager."},
            {"when": "silence", "after": "20m", "say": "Still nothing?", "mood": "annoyed"},
        ],
        "expect": {"escalate": True, "to_level": "supervisor", "request_words": ["manager"]},
    }


def _seed(database: Database, scenarios: int, now: int) -> str:
    with database.write() as session:
        for team in ("frontline", "supervisors", "specialists", "management", "finance"):
            people.create_team(session, data=TeamIn(name=team), now=now)
        people.create_agent(
            session,
            data=AgentIn(handle="ana", name="Ana", level="frontline", teams=["frontline"]),
            now=now,
        )
        user = auth.create_user(session, username="ana", role="agent", now=now, agent="ana")
        _record, token = auth.create_token(session, user=user, now=now)
        version, _ = policies.upload(
            session, text=policy_text(), filename="policy.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)
        for number in range(scenarios):
            library.add(session, scenario_from(_scenario(number), "bench"), by="bench", now=now)
    return token


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None
    return found[1]


def _timed(client: TestClient, path: str, expect: str, requests: int) -> list[float]:
    """Milliseconds of `requests` GETs of a page, after two that warm caches up."""
    timings = []
    for _ in range(requests + 2):
        began = time.perf_counter()
        answer = client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
        assert expect in answer.text, path
    return timings[2:]


def _start(client: TestClient, slug: str) -> tuple[str, str, float]:
    page = client.get(f"/ui/training/scenarios/{slug}")
    began = time.perf_counter()
    answer = client.post(
        "/ui/training/sessions",
        data={"csrf_token": _csrf(page.text), "scenario": slug},
        follow_redirects=False,
    )
    took = (time.perf_counter() - began) * 1000
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    return location.split("/")[3], location, took


def _replies(client: TestClient, case_path: str, requests: int) -> list[float]:
    """Milliseconds of posting a reply on the practice case (the redirect not followed)."""
    timings = []
    for number in range(requests):
        html = client.get(case_path).text
        version = VERSION.search(html)
        data = {"csrf_token": _csrf(html), "body": f"Reply {number}: sorry, I will check."}
        if version is not None:
            data["version"] = version[1]
        began = time.perf_counter()
        answer = client.post(f"{case_path}/messages", data=data, follow_redirects=False)
        timings.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 303, answer.text
    return timings


def _line(name: str, timings: list[float]) -> tuple[float, float]:
    median = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    print(f"  {name}: median {median:.1f} ms, p95 {p95:.1f} ms")
    return median, p95


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Seed, start sessions, and time the practice pages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="A short run, for CI.")
    args = parser.parse_args(argv)
    # A person has at most five sessions running: the timed starts and the one played.
    scenarios, requests, starts = (20, 10, 3) if args.tiny else (200, 30, 4)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'escalon.db'}"
        database = Database(url)
        upgrade(database)
        token = _seed(database, scenarios, time.time_ns() // 1000)
        settings = Settings(database_url=url, training_dir=Path(folder) / "training")
        app = create_app(settings=settings, database=database, clock=SystemClock())
        with TestClient(app) as client:
            form = client.get("/ui/sign-in").text
            signed_in = client.post("/ui/sign-in", data={"token": token, "csrf_token": _csrf(form)})
            assert signed_in.status_code == 200, signed_in.text
            started = [_start(client, f"bench-{number}")[2] for number in range(starts)]
            key, case_path, _took = _start(client, "bench-0")
            print(
                f"practice benchmark: {scenarios} scenarios in the library; "
                f"{requests} requests per page"
            )
            _line("start a session (new sandbox)", started)
            results = {
                "practice case page": _timed(client, case_path, "training-banner", requests),
                "practice queue": _timed(
                    client, f"/ui/practice/{key}/queue", "training-banner", requests
                ),
                "a reply posted on the practice case": _replies(client, case_path, requests),
                "session page": _timed(
                    client, f"/ui/training/sessions/{key}", "Captured", requests
                ),
                "library page": _timed(client, "/ui/training", "Scenarios", requests),
            }
            # The same kind of case, opened in the installation, through the page it has there.
            opened = client.post(
                "/api/v1/cases",
                json={
                    "customer": {"ref": "bench"},
                    "subject": "Order failed twice",
                    "body": "My parcel failed to arrive, again.",
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert opened.status_code == 201, opened.text
            baseline = _timed(client, f"/ui/cases/{opened.json()['id']}", 'id="timeline"', requests)
        database.dispose()
    worst = 0.0
    for name, timings in results.items():
        worst = max(worst, _line(name, timings)[1])
    base_median, _ = _line("baseline: the installation's own case page", baseline)
    practice_median = statistics.median(results["practice case page"])
    print(f"  practice case page / installation case page: {practice_median / base_median:.2f}×")
    verdict = "met" if worst < GOAL_MS else "MISSED"
    print(f"  slowest practice page p95 {worst:.1f} ms (goal < {GOAL_MS:.0f} ms: {verdict})")
    return {"worst_p95_ms": worst, "ratio": practice_median / base_median}


if __name__ == "__main__":
    main()
