"""Where messages to learn from come from: JSON lines, case events, or the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalon.learning.sources import MAX_TEXT, SourceError, from_database, read_file
from tests.builders.cases import open_case
from tests.builders.workspace import Workspace


def write_lines(path: Path, *lines: object) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def test_json_lines_give_their_id_and_text(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "m.jsonl", {"id": "a", "text": "hello"}, "", {"id": 7, "text": "x" * 30_000}
    )
    found = read_file(path)
    assert [(message.id, message.case) for message in found] == [("a", None), ("7", None)]
    assert len(found[1].text) == MAX_TEXT


def test_events_give_the_customers_words_only(tmp_path: Path) -> None:
    at = "2026-11-02T09:00:00+01:00"
    path = write_lines(
        tmp_path / "events.jsonl",
        {
            "at": at,
            "type": "case.opened",
            "case": "C1",
            "customer": "k",
            "subject": "Refund",
            "body": "charged twice",
        },
        {"at": at, "type": "agent.message", "case": "C1", "agent": "ana", "body": "on it"},
        {"at": at, "type": "customer.message", "case": "C1", "body": "any news?"},
    )
    found = read_file(path)
    assert [(m.id, m.case, m.text) for m in found] == [
        ("C1#1", "C1", "Refund\ncharged twice"),
        ("C1#3", "C1", "any news?"),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "m.jsonl:2: not valid JSON"),
        ([1, 2], "m.jsonl:2: expected an object"),
        ({"text": "no id"}, "m.jsonl:2: 'id' must be"),
        ({"id": True, "text": "x"}, "m.jsonl:2: 'id' must be"),
        ({"id": "b", "text": None}, "m.jsonl:2: 'text' must be a string"),
        ({"id": "a", "text": "again"}, "m.jsonl:2: id 'a' appears twice"),
        ({"type": "case.opened", "case": "C1"}, "m.jsonl:2: "),
    ],
)
def test_a_bad_line_is_named_with_its_problem(tmp_path: Path, line: object, problem: str) -> None:
    path = write_lines(tmp_path / "m.jsonl", {"id": "a", "text": "fine"}, line)
    with pytest.raises(SourceError) as raised:
        read_file(path)
    assert str(raised.value).startswith(problem)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        read_file(tmp_path / "nowhere.jsonl")


def test_the_database_gives_what_customers_wrote_not_what_agents_did(workspace: Workspace) -> None:
    first = open_case(workspace, subject="Refund", body="charged twice")
    second = open_case(workspace, subject="", body="cannot log in")
    reply = workspace.client.post(
        f"/api/v1/cases/{first['id']}/messages",
        json={"author": "agent", "body": "refunded today"},
        headers=workspace.headers("agent"),
    )
    assert reply.status_code == 201, reply.text
    with workspace.database.read() as session:
        found = from_database(session)
    assert [(m.case, m.text) for m in found] == [
        (str(first["id"]), "Refund\ncharged twice"),
        (str(second["id"]), "cannot log in"),
    ]
    assert len({m.id for m in found}) == 2
