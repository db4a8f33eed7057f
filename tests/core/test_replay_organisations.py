"""The replay with an organisations file: the customer's organisation gives tier and calendar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.core.organisations import OrganisationsInvalid, read_organisations
from tests.builders.engine import FR_BREACH, POLICY_HEAD, drive, make_policy, opened

ORGANISATIONS = """\
organisations:
  - name: Tokyo Trading
    tier: enterprise
    timezone: Asia/Tokyo
    hours: {mon: ["09:00-18:00"], tue: ["09:00-18:00"], wed: ["09:00-18:00"],
            thu: ["09:00-18:00"], fri: ["09:00-18:00"]}
    holidays: [2027-01-01, 2027-01-11]
    domains: [tokyo-trading.example]
"""
SLAS = """\
slas:
  - name: enterprise
    when: {tier: [enterprise]}
    calendar: {customer: true, fallback: office}
    targets: {first_response: 4h}
  - name: standard
    calendar: office
    targets: {first_response: 8h}
"""


def _breaches(events: list[dict[str, object]], organisations: str | None) -> list[str]:
    policy = make_policy(FR_BREACH, slas=SLAS)
    known = None if organisations is None else read_organisations(organisations, "orgs.yaml")
    outcome = drive(policy, events, until="2027-01-13 09:00", organisations=known)
    assert outcome.skipped == []
    return [action.record()["at"] for action in outcome.of("escalate")]


def test_a_customer_of_a_tokyo_organisation_is_measured_on_its_calendar() -> None:
    # No tier on the event: the organisation's (enterprise) chooses the SLA that follows it.
    event = opened("2027-01-11 09:00", customer="mika@tokyo-trading.example", tier=None)
    assert _breaches([event], ORGANISATIONS) == ["2027-01-12T13:00:00+09:00"]


def test_the_same_case_without_organisations_runs_on_the_policy_calendar() -> None:
    event = opened("2027-01-11 09:00", customer="mika@tokyo-trading.example", tier=None)
    assert _breaches([event], None) == ["2027-01-11T17:00:00+01:00"]


def test_an_event_may_name_its_organisation() -> None:
    event = opened("2027-01-11 09:00", organisation="Tokyo Trading", tier=None)
    assert _breaches([event], ORGANISATIONS) == ["2027-01-12T13:00:00+09:00"]


def test_an_event_naming_an_unknown_organisation_is_skipped_with_the_reason() -> None:
    policy = make_policy(FR_BREACH, slas=SLAS)
    known = read_organisations(ORGANISATIONS, "orgs.yaml")
    outcome = drive(policy, [opened("2027-01-11 09:00", organisation="Osaka")], organisations=known)
    assert outcome.skipped == [(1, "unknown organisation 'Osaka'")]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("Asia/Tokyo", "Asia/Nowhere"), "organisations[0].timezone"),
        (("2027-01-11]", "'11 Jan']"), "organisations[0].holidays[1]"),
        # Unquoted, an impossible date is a problem with its field, not a crash of the reader.
        (("2027-01-11]", "2027-13-11]"), "organisations[0].holidays[1]"),
        (("tokyo-trading.example", "mika@tokyo-trading.example"), "organisations[0].domains[0]"),
        (
            ("    tier: enterprise", "    tier: enterprise\n    colour: red"),
            "organisations[0].colour",
        ),
    ],
)
def test_an_unsound_organisations_file_names_line_and_field(
    change: tuple[str, str], where: str
) -> None:
    with pytest.raises(OrganisationsInvalid) as caught:
        read_organisations(ORGANISATIONS.replace(*change), "orgs.yaml")
    assert "orgs.yaml:" in str(caught.value)
    assert where in str(caught.value)


def test_escalon_replay_reads_an_organisations_file(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY_HEAD + SLAS + "rules:\n" + _indented(FR_BREACH))
    (tmp_path / "orgs.yaml").write_text(ORGANISATIONS)
    event = opened("2027-01-11 09:00", customer="mika@tokyo-trading.example", tier=None)
    (tmp_path / "events.jsonl").write_text(json.dumps(event) + "\n")
    out = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "replay",
            *("--policy", str(tmp_path / "policy.yaml")),
            *("--events", str(tmp_path / "events.jsonl")),
            *("--organisations", str(tmp_path / "orgs.yaml")),
            *("--until", "2027-01-13T09:00:00+01:00"),
            *("--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["at"] for d in decisions if d["action"] == "escalate"] == [
        "2027-01-12T13:00:00+09:00"
    ]


def test_escalon_replay_refuses_an_unsound_organisations_file(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY_HEAD + SLAS)
    (tmp_path / "orgs.yaml").write_text(ORGANISATIONS.replace("Asia/Tokyo", "Mars/Olympus"))
    (tmp_path / "events.jsonl").write_text("")
    result = CliRunner().invoke(
        app,
        [
            "replay",
            *("--policy", str(tmp_path / "policy.yaml")),
            *("--events", str(tmp_path / "events.jsonl")),
            *("--organisations", str(tmp_path / "orgs.yaml")),
        ],
    )
    assert result.exit_code == 1
    assert "organisations[0].timezone" in result.output
    assert "nothing was replayed" in result.output


def _indented(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.strip().splitlines())
