"""`escalon training build` end to end: histories in, masked scenario files out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.channels.importers import read_csv
from escalon.cli import app
from escalon.core.training.scenario import read_scenario
from tests.builders.engine import ev, opened
from tests.builders.paths import SHARED

runner = CliRunner()
TWCS_HEAD = SHARED / "data" / "twcs" / "twcs-head-5000.csv"
TWCS_SMALL = SHARED / "data" / "twcs" / "twcs-sample-93.csv"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+|00)\d[\d ()./-]{6,}\d|\b0\d{2,5}[ /-]?\d{5,}\b")


def need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data sets are not on this machine")


def built(folder: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yaml"))}


def test_twcs_sample_builds_scenarios_that_read_back(tmp_path: Path) -> None:
    need(TWCS_SMALL)
    out = tmp_path / "scenarios"
    result = runner.invoke(
        app, ["training", "build", "--events", str(TWCS_SMALL), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    files = built(out)
    assert files
    assert "scenarios written" in result.output
    for path, text in files.items():
        scenario = read_scenario(text, str(path))
        assert path.name == f"{scenario.id}.yaml"
        assert scenario.source.kind == "twcs"


def test_no_customer_identity_email_or_phone_survives_the_twcs_head(tmp_path: Path) -> None:
    need(TWCS_HEAD)
    out = tmp_path / "scenarios"
    result = runner.invoke(
        app,
        ["training", "build", "--events", str(TWCS_HEAD), "--out", str(out), "--salt", "s"],
    )
    assert result.exit_code == 0, result.output
    customers: set[str] = set()
    brands: set[str] = set()
    tweet_ids: set[str] = set()
    originals: list[str] = []
    with TWCS_HEAD.open(encoding="utf-8-sig", newline="") as source:
        for row in read_csv(source):  # as the import reads it (bare CRs inside cells)
            (customers if row["inbound"] == "True" else brands).add(row["author_id"])
            tweet_ids.add(row["tweet_id"])
            originals.append(row["text"] or "")
    handles = {
        handle
        for text in originals
        for handle in re.findall(r"@(\w+)", text)
        if handle.casefold() not in {brand.casefold() for brand in brands}
    }
    # Author ids are looked for as words anywhere; handles as handles ("@11" may be a time).
    secrets = {*customers, *(f"@{handle}" for handle in handles)}
    addresses = {found for text in originals for found in EMAIL.findall(text)}
    phones = {found for text in originals for found in PHONE.findall(text)}
    # The data holds what the test looks for.
    assert secrets
    assert phones
    files = built(out)
    assert len(files) > 400  # threads only go quiet: timers after their end are left out
    for path, text in files.items():
        # Every word and handle of the file, each e-mail address and phone-like run in it.
        words = set(re.findall(r"(?<![\w@])@?\w+", text))
        leaked = (words & secrets) | (set(EMAIL.findall(text)) & addresses)
        leaked |= set(PHONE.findall(text)) & phones
        assert not leaked, f"{path.name}: {sorted(leaked)} left unmasked"
        assert read_scenario(text, str(path)).source.reference not in tweet_ids


def test_a_replay_format_history_builds_one_scenario_per_escalated_case(tmp_path: Path) -> None:
    events = [
        opened("2026-12-01 10:00", "C1", body="I want to speak to your manager now"),
        opened("2026-12-01 10:01", "C2", body="Thanks, all good"),
        ev("agent.message", "2026-12-01 10:02", "C2", agent="ann", body="Glad to help"),
        ev("status.changed", "2026-12-01 10:03", "C2", status="resolved"),
        ev("status.changed", "2026-12-01 10:04", "C1", status="resolved"),
    ]
    history = tmp_path / "events.jsonl"
    history.write_text("".join(json.dumps(event) + "\n" for event in events))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["training", "build", "--events", str(history), "--out", str(out), "--salt", "k"]
    )
    assert result.exit_code == 0, result.output
    (path,) = built(out)
    scenario = read_scenario(path.read_text(encoding="utf-8"), str(path))
    assert scenario.skill == "manager_request"
    assert scenario.source.kind == "events"
    again = runner.invoke(
        app, ["training", "build", "--events", str(history), "--out", str(out), "--salt", "k"]
    )
    assert again.exit_code == 0, again.output  # a scenario of an earlier build is replaced
    assert list(built(out)) == [path]


def test_a_missing_events_file_is_a_clear_error_with_status_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = runner.invoke(
        app, ["training", "build", "--events", str(missing), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "content",
    ["{not json at all\n", "hello,world\n1,2\n", "tweet_id,author_id,inbound,text\nx\n"],
)
def test_a_malformed_file_is_a_clear_error_with_status_2(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    result = runner.invoke(
        app, ["training", "build", "--events", str(bad), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "error" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_that_is_not_a_scenario_is_not_overwritten_without_force(tmp_path: Path) -> None:
    events = [opened("2026-12-01 10:00", "C1", body="I want to speak to your manager now")]
    history = tmp_path / "events.jsonl"
    history.write_text(json.dumps(events[0]) + "\n")
    out = tmp_path / "out"
    args = ["training", "build", "--events", str(history), "--out", str(out), "--salt", "k"]
    assert runner.invoke(app, args).exit_code == 0
    (path,) = built(out)
    path.write_text("my notes, not a scenario\n")
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "not a scenario" in refused.output
    assert path.read_text() == "my notes, not a scenario\n"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    read_scenario(path.read_text(encoding="utf-8"), str(path))
