"""`escalon topics`: one line per message and a summary, from a file or the database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app

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
