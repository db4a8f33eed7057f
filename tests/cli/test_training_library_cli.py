"""`escalon training add`, `list`, `sessions` and `score`: the library and the feedback from a
terminal."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from escalon.cli import app
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.database import Database
from escalon.training import library
from tests.builders.training import MANAGER_REQUEST, scenario
from tests.builders.workspace import START, seed

runner = CliRunner()


def _write(folder: Path, name: str, data: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_add_checks_every_file_and_adds_only_the_good_ones(
    migrated_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "scenarios"
    _write(folder, "good.yaml", MANAGER_REQUEST)
    broken = {**MANAGER_REQUEST, "id": "broken-one", "skill": "juggling"}
    del broken["expect"]
    _write(folder, "broken.yaml", broken)
    result = runner.invoke(app, ["training", "add", str(folder)])
    assert result.exit_code == 2, result.output
    assert "broken.yaml:" in result.output
    assert "skill: unknown skill 'juggling'" in result.output
    assert "expect: Field required" in result.output
    assert "1 added, 0 replaced, 0 already there, 1 refused (of 2 files)" in result.output
    listed = runner.invoke(app, ["training", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.output)] == [MANAGER_REQUEST["id"]]
    again = runner.invoke(app, ["training", "add", str(folder / "good.yaml")])
    assert "1 already there" in again.output
    replaced = runner.invoke(app, ["training", "add", "--replace", str(folder / "good.yaml")])
    assert replaced.exit_code == 0
    assert "1 replaced" in replaced.output
    assert runner.invoke(app, ["training", "list", "--skill", "nope"]).exit_code == 2


def test_score_prints_a_running_sessions_provisional_feedback_as_json(
    migrated_url: str, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from escalon.api.app import create_app
    from tests.builders.dashboard import sign_in
    from tests.builders.training import act, start

    database = Database(migrated_url)
    clock = ManualClock(START)
    tokens, _ = seed(database, clock)
    with database.write() as session:
        library.add(session, scenario(), by="test", now=clock.now_us())
    settings = Settings(database_url=migrated_url, token_cache_seconds=0)
    app_under_test = create_app(settings=settings, database=database, clock=clock)
    with TestClient(app_under_test, raise_server_exceptions=False) as client:
        sign_in(client, tokens["agent"])
        key, case_id = start(client, MANAGER_REQUEST["id"])
        act(client, key, case_id, "messages", body="Sorry! I will write back by 3 pm.")
    database.dispose()
    listed = runner.invoke(app, ["training", "sessions"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    assert key in listed.output
    scored = runner.invoke(app, ["training", "score", key, "--json"])
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.output)
    assert report["session"] == key
    assert report["status"] == "running"
    assert 0 <= report["total"] <= 100
    names = [item["name"] for item in report["criteria"]]
    assert names == ["response_time", "escalation", "authority", "tone", "resolution"]
    missing = runner.invoke(app, ["training", "score", "no-such-session-key"])
    assert missing.exit_code == 2
    assert "no practice session" in missing.output


def test_build_without_events_reads_the_databases_own_escalations(
    migrated_url: str, tmp_path: Path
) -> None:
    import time

    from escalon.cases import messages, opening
    from escalon.cases.acting import Actor
    from escalon.cases.schemas import CaseCreate, CustomerIn, MessageIn
    from escalon.core.training.scenario import read_scenario
    from escalon.triage import load_analyzer

    database = Database(migrated_url)
    clock = ManualClock(time.time_ns() // 1000 - 3 * 3600 * 1_000_000)
    seed(database, clock)
    analyzer = load_analyzer(None)
    system = Actor(None, "test", "admin")
    with database.write() as session:
        opened = opening.open_case(
            session,
            request=CaseCreate(
                customer=CustomerIn(ref="kim-4711", name="Kim Doe", email="kim.doe@example.org"),
                subject="Parcel lost",
                body="My parcel 1234567 never came. Call me on +49 30 1234567.",
                channel="email",
            ),
            actor=system,
            now=clock.now_us(),
            analyzer=analyzer,
        )
        messages.post_message(
            session,
            case_id=opened.case_id,
            request=MessageIn(author="customer", body="I want to speak to a manager now."),
            actor=system,
            now=clock.now_us() + 60_000_000,
            analyzer=analyzer,
        )
    database.dispose()
    out = tmp_path / "built"
    result = runner.invoke(app, ["training", "build", "--out", str(out), "--days", "2"])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.yaml"))
    assert len(files) == 1, result.output
    text = files[0].read_text(encoding="utf-8")
    built = read_scenario(text, str(files[0]))
    assert built.source.kind == "database"
    assert "manager_request" in built.skills
    for identity in ("kim-4711", "Kim Doe", "kim.doe@example.org", "1234567"):
        assert identity not in text
