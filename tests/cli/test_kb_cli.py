"""`escalon kb suggest`: JSON lines in, the best articles out, one answer per line; and
`escalon kb import`: a folder of Markdown into the knowledge base, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from escalon.cli import app
from escalon.database import Database
from escalon.knowledge.models import KnowledgeArticle

runner = CliRunner()


def knowledge_base(folder: Path) -> Path:
    folder.mkdir()
    (folder / "refunds.md").write_text("# Refunds\nWe return your money to your card.")
    (folder / "password.md").write_text("# Reset your password\nChoose reset on sign-in.")
    (folder / "delivery.md").write_text("# Delivery times\nParcels arrive in three days.")
    return folder


def test_each_line_gets_its_articles_best_first(tmp_path: Path) -> None:
    kb = knowledge_base(tmp_path / "kb")
    given = "\n".join(
        [
            json.dumps({"text": "I want my money back"}),
            "not json",
            "",
            json.dumps({"body": "no text"}),
            json.dumps({"text": "reset my password please"}),
        ]
    )
    result = runner.invoke(app, ["kb", "suggest", "--kb", str(kb), "--top", "2"], input=given)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 4
    assert answers[0]["articles"][0] == "refunds"
    assert "not valid JSON" in answers[1]["error"]
    assert answers[2] == {"error": 'expected an object with "text", a string'}
    assert answers[3]["articles"][0] == "password"
    assert all(len(answer.get("articles", [])) <= 2 for answer in answers)


def test_a_log_file_and_no_log_both_work(tmp_path: Path) -> None:
    kb = knowledge_base(tmp_path / "kb")
    log = tmp_path / "log.jsonl"
    # Enough past messages to teach three articles (a log of a few is left aside).
    log.write_text((json.dumps({"text": "locked out, reset my password"}) + "\n") * 60)
    given = json.dumps({"text": "locked out"}) + "\n"
    taught = runner.invoke(app, ["kb", "suggest", "--kb", str(kb), "--log", str(log)], input=given)
    assert json.loads(taught.stdout)["articles"][0] == "password"
    plain = runner.invoke(app, ["kb", "suggest", "--kb", str(kb), "--no-log"], input=given)
    assert plain.exit_code == 0, plain.output


def test_a_missing_folder_or_a_bad_log_line_fails_clearly(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["kb", "suggest", "--kb", str(tmp_path / "none")], input="")
    assert missing.exit_code == 1
    assert "not a folder of Markdown articles" in missing.output
    kb = knowledge_base(tmp_path / "kb")
    log = tmp_path / "log.jsonl"
    log.write_text('{"text": "fine"}\n[1]\n')
    bad = runner.invoke(app, ["kb", "suggest", "--kb", str(kb), "--log", str(log)], input="")
    assert bad.exit_code == 1
    assert "log.jsonl:2: expected an object" in bad.output


def test_import_adds_updates_and_archives_and_a_bad_folder_writes_nothing(
    migrated_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "returns.md").write_text("# Returns\n\nSend it back within 30 days.\n")
    (folder / "shipping.md").write_text(
        "---\ntitle: Shipping times\ncategory: delivery\ntags: [parcel]\n---\nTwo days.\n"
    )
    first = runner.invoke(app, ["kb", "import", str(folder)])
    assert first.exit_code == 0, first.output
    assert "2 created" in first.output
    (folder / "returns.md").write_text("# Returns\n\nSend it back within 60 days.\n")
    (folder / "shipping.md").unlink()
    second = runner.invoke(app, ["kb", "import", str(folder), "--archive-missing"])
    assert second.exit_code == 0, second.output
    assert "1 updated" in second.output
    assert "1 archived" in second.output
    (folder / "broken.md").write_text("---\ntitle: [\n---\nx")
    broken = runner.invoke(app, ["kb", "import", str(folder)])
    assert broken.exit_code == 1
    assert "broken.md" in broken.output
    with Database(migrated_url).read() as session:
        rows = {row.slug: row for row in session.scalars(select(KnowledgeArticle))}
    assert set(rows) == {"returns", "shipping"}  # nothing of the broken import
    assert (rows["returns"].body, rows["returns"].version) == ("Send it back within 60 days.", 2)
    assert (rows["shipping"].archived, rows["shipping"].category) == (True, "delivery")
