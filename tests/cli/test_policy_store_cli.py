"""`escalon policy upload` and `escalon policy activate`: the API's flow from a terminal, each
change in the admin audit trail, nothing stored when the file has errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from escalon.cli import app
from tests.builders.paths import EXAMPLE_POLICY

runner = CliRunner(env={"COLUMNS": "200"})


def audit_entries() -> list[tuple[str, str]]:
    """(action, target) of every admin audit entry, oldest first."""
    listed = runner.invoke(app, ["audit", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    entries = [json.loads(line) for line in listed.output.splitlines()]
    return [(entry["action"], entry["target"]) for entry in reversed(entries)]


def test_upload_stores_a_version_without_activating_it(migrated_url: str) -> None:
    result = runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY)])

    assert result.exit_code == 0, result.output
    assert "policy acme-support version 1 stored as #1" in result.stdout
    assert "escalon policy activate 1" in result.stdout
    assert audit_entries() == [("policy.uploaded", "policy:1")]


def test_upload_with_activate_records_both_changes(migrated_url: str) -> None:
    result = runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY), "--activate"])

    assert result.exit_code == 0, result.output
    assert "active: new cases open under it" in result.stdout
    assert audit_entries() == [
        ("policy.uploaded", "policy:1"),
        ("policy.activated", "policy:1"),
    ]


def test_uploading_the_same_text_again_stores_nothing_new(migrated_url: str) -> None:
    runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY)])

    result = runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY)])

    assert result.exit_code == 0, result.output
    assert "was already stored" in result.stdout
    assert audit_entries() == [("policy.uploaded", "policy:1")]


def test_a_file_with_errors_names_each_and_stores_nothing(
    migrated_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE_POLICY.read_text().replace("calendar: office", "calendar: offise"))

    result = runner.invoke(app, ["policy", "upload", str(broken), "--activate"])

    assert result.exit_code == 1
    assert f"{broken}:55: slas[1].calendar: unknown calendar 'offise'" in result.stderr
    assert "nothing was stored" in result.stderr
    assert result.stdout == ""
    assert audit_entries() == []


def test_a_changed_file_under_a_stored_version_is_refused(
    migrated_url: str, tmp_path: Path
) -> None:
    runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY)])
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_POLICY.read_text().replace("warn_at: 75%", "warn_at: 70%", 1))

    result = runner.invoke(app, ["policy", "upload", str(changed)])

    assert result.exit_code == 1
    assert "give the changed policy a new version" in result.stderr


def test_activate_names_the_version_the_file_gives_itself(migrated_url: str) -> None:
    runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY)])

    result = runner.invoke(app, ["policy", "activate", "1"])

    assert result.exit_code == 0, result.output
    assert "acme-support version 1 (#1) is active" in result.stdout
    assert audit_entries()[-1] == ("policy.activated", "policy:1")
    again = runner.invoke(app, ["policy", "activate", "1"])
    assert "was already active" in again.stdout
    assert len(audit_entries()) == 2


def test_activating_an_unknown_version_names_the_stored_ones(migrated_url: str) -> None:
    runner.invoke(app, ["policy", "upload", str(EXAMPLE_POLICY)])

    result = runner.invoke(app, ["policy", "activate", "7"])

    assert result.exit_code == 1
    assert "no stored policy version '7'; stored versions: acme-support 1" in result.stderr
    assert audit_entries() == [("policy.uploaded", "policy:1")]


def test_a_missing_file_is_one_line(migrated_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "upload", str(tmp_path / "nope.yaml")])

    assert result.exit_code == 1
    assert "cannot read the policy" in result.stderr
