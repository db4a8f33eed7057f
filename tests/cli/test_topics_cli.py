"""`escalon topics`: one line per message and a summary, from a file or the database; with
`--store`, a run over the escalated cases kept in the database."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from escalon.api.app import create_app
from escalon.cases import visibility
from escalon.cli import app
from escalon.clock import ManualClock, SystemClock
from escalon.config import Settings
from escalon.database import Database
from escalon.learning import topic_runs
from tests.builders.topics import themed_case
from tests.builders.workspace import Workspace, seed

runner = CliRunner()

SAID = {
    "refund": ["refund the double charge on my card", "my card was charged twice, refund it"],
    "password": ["password reset mail never arrives", "cannot sign in, password reset broken"],
}


def messages_file(path: Path, copies: int = 12) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for number in range(copies):
            for theme, lines in SAID.items():
                text = f"{lines[number % 2]} (message {number})"
                out.write(json.dumps({"id": f"{theme}-{number}", "text": text}) + "\n")
    return path


def test_each_message_gets_a_topic_and_the_summary_names_them(tmp_path: Path) -> None:
    source = messages_file(tmp_path / "messages.jsonl")
    out, summary = tmp_path / "topics.jsonl", tmp_path / "summary.json"
    result = runner.invoke(
        app, ["topics", str(source), "--topics", "2", "--out", str(out), "--summary", str(summary)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 24
    topic_of = {line["id"]: line["topic"] for line in lines}
    assert {topic_of[f"refund-{n}"] for n in range(12)} != {
        topic_of[f"password-{n}"] for n in range(12)
    }
    assert len({topic_of[f"refund-{n}"] for n in range(12)}) == 1
    described = json.loads(summary.read_text())["topics"]
    assert [topic["messages"] for topic in described] == [12, 12]
    assert {"refund", "password"} & set(described[0]["words"] + described[1]["words"])
    assert "2 topics in 24 messages" in result.stdout


def test_lines_go_to_standard_output_without_out(tmp_path: Path) -> None:
    result = runner.invoke(app, ["topics", str(messages_file(tmp_path / "m.jsonl", 4))])
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids[:2] == ["refund-0", "password-0"]
    assert len(ids) == 8  # the summary goes to standard error


def test_a_bad_line_fails_and_leaves_the_earlier_output(tmp_path: Path) -> None:
    source = messages_file(tmp_path / "m.jsonl", 2)
    with source.open("a") as more:
        more.write('{"id": "x"}\n')
    out = tmp_path / "topics.jsonl"
    out.write_text("earlier\n")
    result = runner.invoke(app, ["topics", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert "m.jsonl:5: 'text' must be a string" in result.output
    assert out.read_text() == "earlier\n"


def test_an_empty_file_has_nothing_to_group(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = runner.invoke(app, ["topics", str(empty)])
    assert result.exit_code == 1
    assert "no customer messages" in result.output


def test_without_a_file_it_reads_the_database(migrated_url: str) -> None:
    result = runner.invoke(app, ["topics"])
    assert result.exit_code == 1
    assert "no customer messages to group" in result.output


def test_store_groups_the_escalated_cases_of_the_database_and_keeps_the_run(
    migrated_url: str,
) -> None:
    database = Database(migrated_url)
    clock = ManualClock(SystemClock().now_us())  # the command reads the machine's clock
    tokens, policy_id = seed(database, clock)
    app_under_test = create_app(
        settings=Settings(database_url=migrated_url, token_cache_seconds=0),
        database=database,
        clock=clock,
    )
    with TestClient(app_under_test) as client:
        ws = Workspace(client, database, clock, tokens, policy_id)
        for number in range(3):
            themed_case(ws, "refund", number)
            themed_case(ws, "password", number)
    result = runner.invoke(app, ["topics", "--store", "--topics", "2"])
    assert result.exit_code == 0, result.output
    assert "2 topics in 6 escalated cases" in result.output
    with database.read() as session:
        stored = topic_runs.latest(session, scope=visibility.EVERYTHING)
    database.dispose()
    assert stored is not None
    assert (stored.source, stored.cases) == ("command", 6)
    assert sorted(topic.cases for topic in stored.topics) == [3, 3]


def test_store_without_escalated_cases_says_there_is_nothing(migrated_url: str) -> None:
    result = runner.invoke(app, ["topics", "--store"])
    assert result.exit_code == 1
    assert "no escalated case was opened in the last 12 weeks" in result.output


def test_store_takes_no_file_and_writes_no_lines(migrated_url: str, tmp_path: Path) -> None:
    source = messages_file(tmp_path / "m.jsonl", 2)
    for extra in ([str(source)], ["--out", str(tmp_path / "t.jsonl")]):
        result = runner.invoke(app, ["topics", "--store", *extra])
        assert result.exit_code == 1
        assert "--store reads the database" in result.output
