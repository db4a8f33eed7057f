"""`escalon policy check` warns about a rule that reads text in a language the detector cannot."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy.yaml"
runner = CliRunner()


def test_policy_check_warns_when_the_customers_write_a_language_the_detector_cannot_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8") + "languages: [en, de, it]\n")
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "relies on reading it" in line]
    assert warnings
    assert all("it reads en, de, fr, es" in line for line in warnings)


def test_the_example_policy_raises_no_language_warning() -> None:
    result = runner.invoke(app, ["policy", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "relies on reading" not in result.output
