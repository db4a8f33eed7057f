"""`escalon review`: the weekly review written as a file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app


def test_the_command_writes_the_review_as_a_file(migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    result = CliRunner().invoke(app, ["review", "--week", "2026-W49", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2026-W49 (30 Nov – 6 Dec 2026): 0 escalations" in result.output
    assert "Escalation review, 2026-W49" in out.read_text()
    wrong = CliRunner().invoke(app, ["review", "--week", "W49"])
    assert wrong.exit_code == 1
    assert "not an ISO week" in wrong.output
