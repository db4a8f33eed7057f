"""`escalon review`: the weekly review written as a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from escalon.cli import app
from escalon.database import Database
from escalon.learning.models import ReviewMail
from escalon.notifications.models import OutboxMessage


def test_the_command_writes_the_review_as_a_file(migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    result = CliRunner().invoke(app, ["review", "--week", "2026-W49", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2026-W49 (30 Nov – 6 Dec 2026): 0 escalations" in result.output
    assert "Escalation review, 2026-W49" in out.read_text()
    wrong = CliRunner().invoke(app, ["review", "--week", "W49"])
    assert wrong.exit_code == 1
    assert "not an ISO week" in wrong.output


def test_the_command_mails_the_review_once_unless_asked_again(
    migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for user in (
        ["users", "create", "boss", "--role", "admin", "--email", "boss@example.org"],
        ["users", "create", "ann", "--role", "agent", "--email", "ann@example.org"],
    ):
        assert runner.invoke(app, user).exit_code == 0
    first = runner.invoke(app, ["review", "--week", "2026-W49", "--mail"])
    assert first.exit_code == 0, first.output
    assert "2026-W49: queued for 1 manager(s): boss@example.org" in first.output
    assert list(tmp_path.glob("review-*.html")) == []  # a mail only, no file beside it
    second = runner.invoke(app, ["review", "--week", "2026-W49", "--mail"])
    assert "2026-W49: nobody to mail" in second.output
    again = runner.invoke(app, ["review", "--week", "2026-W49", "--mail", "--again"])
    assert "queued for 1 manager(s): boss@example.org" in again.output
    database = Database(migrated_url)
    try:
        with database.read() as session:
            rows = session.execute(
                select(OutboxMessage.subject, OutboxMessage.address, OutboxMessage.key).where(
                    OutboxMessage.kind == "review"
                )
            ).all()
            sends = session.scalar(select(ReviewMail.sends))
    finally:
        database.dispose()
    assert [(subject, address) for subject, address, _ in rows] == [
        ("Escalation review, week 2026-W49", "boss@example.org")
    ] * 2
    assert len({key for *_, key in rows}) == 2  # a second mail, not a copy of the first
    assert sends == 2
    stopped = runner.invoke(app, ["users", "set", "boss", "--no-review-mail"])
    assert stopped.exit_code == 0, stopped.output
    assert "user boss: no weekly review mail" in stopped.output
    none = runner.invoke(app, ["review", "--week", "2026-W49", "--mail", "--again"])
    assert "nobody to mail" in none.output
    restarted = runner.invoke(app, ["users", "set", "boss", "--review-mail"])
    assert "the weekly review goes to boss@example.org on Mondays at 08:00 (UTC)" in (
        restarted.output
    )
    alone = runner.invoke(app, ["review", "--again"])
    assert alone.exit_code == 1
    assert "--again goes with --mail" in alone.output
