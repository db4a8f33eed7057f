"""`escalon policy check`: errors on stderr with exit 1, or a one-screen summary with exit 0."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from tests.builders.paths import EXAMPLE_POLICY

runner = CliRunner()


def test_example_policy_summary_fits_one_screen() -> None:
    result = runner.invoke(app, ["policy", "check", str(EXAMPLE_POLICY)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "acme-support version 1" in out
    for name in (
        "frontline",
        "supervisor",
        "specialist",
        "management",
        "critical",
        "enterprise",
        "standard",
    ):
        assert name in out
    assert "escalation not acknowledged" in out
    assert "OK: no errors" in out
    assert len(out.splitlines()) <= 50


def test_broken_policy_lists_every_error_and_exits_1(tmp_path: Path) -> None:
    broken = (
        EXAMPLE_POLICY.read_text()
        .replace("calendar: office", "calendar: offise")
        .replace("escalate: {to: specialist}", "escalate: {to: specalist}")
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error ")]
    assert len(errors) == 3
    assert any(f"{path}:55: slas[1].calendar: unknown calendar 'offise'" in line for line in errors)
    assert any("rules[5].do[0].escalate.to: unknown level 'specalist'" in line for line in errors)
    assert "nothing of this policy can be applied" in result.stderr
    assert result.stdout == ""


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "cannot read the policy" in result.stderr
