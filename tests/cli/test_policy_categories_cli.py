"""`escalon policy check` on a policy with categories: the summary lists them, warnings name rules."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from tests.builders.paths import EXAMPLE_POLICY
from tests.builders.policies import CATEGORIES


def test_policy_check_lists_the_categories_and_warns_naming_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    text = EXAMPLE_POLICY.read_text(encoding="utf-8") + CATEGORIES.replace("billing", "biling", 1)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert (
        "Categories (first keyword match wins): biling (3 keywords); delivery (2 keywords); other (0 keywords)"
        in out
    )
    assert "category 'billing' is not under 'categories' (biling, delivery, other)" in out
    assert "(rule 'billing goes to finance')" in out
