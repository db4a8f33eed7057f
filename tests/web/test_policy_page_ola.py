"""The policy page and `policy check` say each team's OLA, and OLA rules read as sentences."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from escalon.core.policy import parse_policy
from escalon.web.policy_page import OlaRow, matrix
from escalon.web.policy_text import rule_sentence
from tests.cases.test_ola_live import POLICY


def test_the_policy_page_lists_each_teams_ola() -> None:
    shown = matrix(parse_policy(POLICY, "ola.yaml"))
    assert shown.olas == [OlaRow("specialists", "2 h", "75%", "every hour", "pending customer")]


def test_an_ola_rule_reads_as_a_sentence() -> None:
    rule = parse_policy(POLICY, "ola.yaml").rules[0]
    assert rule_sentence(rule) == (
        "When the team holding a case misses its internal target (OLA), if the team is "
        "specialists, tag the case “ola-missed”."
    )


def test_policy_check_prints_each_teams_ola(tmp_path: Path) -> None:
    path = tmp_path / "ola.yaml"
    path.write_text(POLICY, encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "OLAs: specialists: act within 2h (warn 75%, every hour, paused while pending_customer)"
        in " ".join(result.output.split())
    )
