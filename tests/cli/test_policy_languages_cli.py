"""`escalon policy check` warns about a rule that reads text in a language the detector cannot."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from tests.builders.paths import EXAMPLE_POLICY

runner = CliRunner()


def test_policy_check_warns_when_the_customers_write_a_language_the_detector_cannot_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(EXAMPLE_POLICY.read_text(encoding="utf-8") + "languages: [en, de, it]\n")
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "relies on reading it" in line]
    assert warnings
    assert all("it reads en, de, fr, es" in line for line in warnings)


def test_the_example_policy_raises_no_language_warning() -> None:
    result = runner.invoke(app, ["policy", "check", str(EXAMPLE_POLICY)])
    assert result.exit_code == 0, result.output
    assert "relies on reading" not in result.output
