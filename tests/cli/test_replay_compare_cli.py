"""`escalon replay compare`: two policies, one history, a page or the figures."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from bs4 import BeautifulSoup
from typer.testing import CliRunner, Result

from escalon.cli import app
from tests.builders.engine import DEFAULT_SLAS, POLICY_HEAD, ev, opened

runner = CliRunner()


def policy_file(path: Path, after: str) -> Path:
    rules = f"""
    - name: stuck
      trigger: level.timeout
      after: {after}
      do:
        - escalate: {{up: 1}}
    """
    path.write_text(
        POLICY_HEAD
        + DEFAULT_SLAS
        + "rules:\n"
        + textwrap.indent(textwrap.dedent(rules).strip(), "  ")
        + "\n"
    )
    return path


def history(path: Path) -> Path:
    lines = [
        opened("2026-11-30 09:00", "C1"),
        opened("2026-11-30 09:00", "C2"),
        ev("status.changed", "2026-11-30 09:30", "C2", status="resolved"),
        ev("status.changed", "2026-11-30 16:00", "C1", status="resolved"),
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def compare(a: Path, b: Path, events: Path, *more: str) -> Result:
    """`escalon replay compare` of policies A and B over the events, with `more` options."""
    command = ["replay", "compare", "--policy", str(a), "--policy", str(b), "--events", str(events)]
    return runner.invoke(app, [*command, *more])


def test_the_comparison_is_printed_and_written_as_a_page(tmp_path: Path) -> None:
    a, b = policy_file(tmp_path / "a.yaml", "2h"), policy_file(tmp_path / "b.yaml", "4h")
    events, page = history(tmp_path / "events.jsonl"), tmp_path / "compare.html"
    result = compare(a, b, events, "--report", str(page))
    assert result.exit_code == 0, result.output
    assert "1 of 2 cases end differently" in result.output
    assert "no acknowledgements" in result.output
    soup = BeautifulSoup(page.read_text(), "html.parser")
    cells = [td.get_text(strip=True) for td in soup.select("#differences tbody td")]
    assert cells[:2] == [
        "3 escalations, up to management, ends at management",
        "1 escalation, up to supervisor, ends at supervisor",
    ]
    hours = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in soup.select("#hours tbody tr")
        if row.th is not None
    }
    assert hours["supervisor"] == ["2 h", "3 h", "+1"]


def test_the_figures_as_json(tmp_path: Path) -> None:
    a, b = policy_file(tmp_path / "a.yaml", "2h"), policy_file(tmp_path / "b.yaml", "2h")
    figures = tmp_path / "compare.json"
    result = compare(a, b, history(tmp_path / "e.jsonl"), "--report", str(figures))
    assert result.exit_code == 0, result.output
    data = json.loads(figures.read_text())
    assert data["differing_cases"] == 0
    assert data["a"]["hours_at_level"] == data["b"]["hours_at_level"]


def test_compare_wants_two_policies_and_no_decisions_file(tmp_path: Path) -> None:
    a = policy_file(tmp_path / "a.yaml", "2h")
    events = history(tmp_path / "e.jsonl")
    one = runner.invoke(app, ["replay", "compare", "--policy", str(a), "--events", str(events)])
    assert one.exit_code == 2
    assert "takes two --policy" in one.output
    out = compare(a, a, events, "--out", str(tmp_path / "d.jsonl"))
    assert out.exit_code == 2
    assert "writes no decisions" in out.output
    other = runner.invoke(app, ["replay", "contrast", "--policy", str(a), "--events", str(events)])
    assert other.exit_code == 2
    assert "the only word `escalon replay` takes is `compare`" in other.output
    two = runner.invoke(
        app, ["replay", "--policy", str(a), "--policy", str(a), "--events", str(events)]
    )
    assert two.exit_code == 2
    assert "give one --policy" in two.output
