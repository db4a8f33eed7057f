"""Policy files: the example loads unchanged, and every kind of error is reported with its place."""

from __future__ import annotations

import textwrap

import pytest

from escalon.core.policy import PolicyInvalid, check_text, parse_policy
from escalon.files import load_policy
from tests.builders.engine import DEFAULT_SLAS, POLICY_HEAD
from tests.builders.paths import EXAMPLE_POLICY, SHARED
from tests.builders.policies import BASE, with_rule

SHARED_EXAMPLE = SHARED / "examples" / "policy.yaml"


def errors_of(text: str) -> list[str]:
    result = check_text(textwrap.dedent(text), "p.yaml")
    return [f"{e.line}|{e.path}|{e.message}" for e in result.errors]


def test_example_policy_loads_unchanged() -> None:
    policy = load_policy(EXAMPLE_POLICY)
    assert policy.name == "acme-support"
    assert [level.name for level in policy.levels] == [
        "frontline",
        "supervisor",
        "specialist",
        "management",
    ]
    assert [sla.name for sla in policy.slas] == ["critical", "enterprise", "standard"]
    assert len(policy.rules) == 11
    if SHARED_EXAMPLE.exists():
        assert EXAMPLE_POLICY.read_bytes() == SHARED_EXAMPLE.read_bytes()


def test_valid_base_policy_has_no_errors_or_warnings() -> None:
    result = check_text(BASE, "p.yaml")
    assert result.errors == []
    assert result.warnings == []
    assert result.ok


def test_json_policy_is_accepted() -> None:
    import json

    import yaml

    policy = parse_policy(json.dumps(yaml.safe_load(BASE)), "p.json")
    assert policy.priorities == ("P1", "P2", "P3")


def test_invalid_yaml_names_line() -> None:
    assert errors_of("name: [unclosed\n")[0].startswith("2||not valid YAML")


def test_a_control_character_is_an_error_on_its_line() -> None:
    assert errors_of("name: x\nversion: \b\n") == [
        "2||not valid YAML: special characters are not allowed (character #x0008)"
    ]


def test_empty_file_is_an_error() -> None:
    assert errors_of("") == ["None||the file is empty"]


def test_unknown_top_level_key_is_an_error() -> None:
    errors = errors_of(BASE + "escalations: []\n")
    assert any("unknown top-level section 'escalations'" in e for e in errors)


def test_missing_required_section() -> None:
    text = BASE.replace("priority:\n  order: [P1, P2, P3]\n", "prio:\n  order: [P1, P2, P3]\n", 1)
    errors = errors_of(text)
    assert any("|priority|is required but missing" in e for e in errors)
    assert any("unknown top-level section 'prio' (did you mean 'priority'?)" in e for e in errors)


def test_duplicate_key_is_an_error_with_both_lines() -> None:
    errors = errors_of(BASE.replace("version: 3\n", "version: 3\nversion: 4\n"))
    assert errors == ["3|version|duplicate key (first given on line 2)"]


def test_day_duration_is_rejected_with_advice() -> None:
    errors = errors_of(BASE.replace("first_response: 4h}", "first_response: 3d}"))
    assert len(errors) == 1
    line, path, message = errors[0].split("|")
    assert path == "slas[1].targets.first_response"
    assert line == "29"
    assert "write hours" in message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("15", "has no unit"), ("ten minutes", "is not a duration"), ("0m", "is zero")],
)
def test_bad_durations(value: str, fragment: str) -> None:
    errors = errors_of(BASE.replace("resolution: 4h}", f"resolution: {value}}}"))
    assert len(errors) == 1
    assert "slas[0].targets.resolution" in errors[0]
    assert fragment in errors[0]


@pytest.mark.parametrize(
    ("value", "fragment"), [("120%", "at most 100%"), ("75", "ambiguous"), ("x", "percentage")]
)
def test_bad_warn_at(value: str, fragment: str) -> None:
    errors = errors_of(
        BASE.replace("    calendar: always\n", f"    calendar: always\n    warn_at: {value}\n")
    )
    assert len(errors) == 1
    assert "slas[0].warn_at" in errors[0]
    assert fragment in errors[0]


def test_unknown_calendar_in_sla() -> None:
    errors = errors_of(BASE.replace("calendar: office", "calendar: ofice"))
    assert errors == [
        "28|slas[1].calendar|unknown calendar 'ofice' (did you mean 'office'?); calendars: always, office"
    ]


def test_calendar_errors_carry_the_calendar_path() -> None:
    errors = errors_of(BASE.replace('mon: ["09:00-17:00"]', 'mon: ["09:00-12:00", "11:00-13:00"]'))
    assert len(errors) == 1
    assert errors[0].startswith("7|calendars.office.hours.mon")
    assert "overlap" in errors[0]


def test_bad_time_zone() -> None:
    errors = errors_of(BASE.replace("Europe/Berlin", "Europe/Berlinn"))
    assert len(errors) == 1
    assert "calendars.office.timezone" in errors[0]


def test_unknown_level_in_escalate_to() -> None:
    errors = errors_of(
        with_rule("""\
        - name: manager
          trigger: customer.message
          if: {intent: manager_request}
          do:
            - escalate: {to: supervisr}
        """)
    )
    assert errors == [
        "40|rules[1].do[0].escalate.to|unknown level 'supervisr' (did you mean 'supervisor'?); "
        "levels: frontline, supervisor"
    ]


def test_unknown_team_in_route_and_notify() -> None:
    errors = errors_of(
        with_rule("""\
        - name: billing
          trigger: case.opened
          do:
            - route: {team: finanse}
            - notify: [team:billing, "on_call:supervisors", boss]
        """)
    )
    assert len(errors) == 3
    assert "rules[1].do[0].route.team|unknown team 'finanse' (did you mean 'finance'?)" in errors[0]
    assert "rules[1].do[1].notify[0]|unknown team 'billing'" in errors[1]
    assert "rules[1].do[1].notify[2]|unknown recipient 'boss'" in errors[2]


def test_unknown_trigger_and_metric() -> None:
    errors = errors_of(
        with_rule("""\
        - name: wrong
          trigger: sla.breached
          metric: first_reply
          do:
            - escalate: {up: 1}
        """)
    )
    assert any(
        "rules[1].trigger|unknown trigger 'sla.breached' (did you mean 'sla.breach'?)" in e
        for e in errors
    )
    assert any("rules[1].metric|unknown metric 'first_reply'" in e for e in errors)


def test_bare_on_key_explains_trigger() -> None:
    errors = errors_of(
        with_rule("""\
        - name: wrong
          on: case.opened
          do:
            - tag: [x]
        """)
    )
    assert any("rules[1].on|unknown field 'on': write 'trigger'" in e for e in errors)
    assert any("rules[1].trigger|is required but missing" in e for e in errors)


def test_after_required_and_forbidden() -> None:
    errors = errors_of(
        with_rule("""\
        - name: no ack
          trigger: escalation.unacknowledged
          do:
            - escalate: {up: 1}
        - name: opened late
          trigger: case.opened
          after: 1h
          do:
            - tag: [late]
        """)
    )
    assert any("rules[1].after|escalation.unacknowledged needs 'after'" in e for e in errors)
    assert any(
        "rules[2].after|only escalation.unacknowledged and level.timeout take 'after'" in e
        for e in errors
    )


def test_metric_on_non_sla_trigger() -> None:
    errors = errors_of(
        with_rule("""\
        - name: odd
          trigger: case.opened
          metric: resolution
          do:
            - tag: [x]
        """)
    )
    assert errors == [
        "38|rules[1].metric|only sla.warning, sla.breach, sla.at_risk and sla.promise_slipping take a metric, not case.opened"
    ]


def test_action_with_two_keys_and_escalate_with_two_targets() -> None:
    errors = errors_of(
        with_rule("""\
        - name: odd
          trigger: case.opened
          do:
            - {escalate: {up: 1}, tag: [x]}
            - escalate: {up: 1, to: supervisor}
            - set_priority: {to: P9}
            - assign: {strategy: random}
        """)
    )
    assert any("rules[1].do[0]|an action is a mapping with exactly one key" in e for e in errors)
    assert any("rules[1].do[1].escalate|escalate takes exactly one of" in e for e in errors)
    assert any("rules[1].do[2].set_priority.to|unknown priority 'P9'" in e for e in errors)
    assert any("rules[1].do[3].assign.strategy|unknown strategy 'random'" in e for e in errors)


def test_unknown_condition_and_action_fields() -> None:
    errors = errors_of(
        with_rule("""\
        - name: odd
          trigger: case.opened
          if: {chanel: [social], sentiment_below: -2}
          do:
            - escalat: {up: 1}
        """)
    )
    assert any(
        "rules[1].if.chanel|unknown field 'chanel' (did you mean 'channel'?)" in e for e in errors
    )
    assert any("rules[1].if.sentiment_below" in e for e in errors)
    assert any(
        "rules[1].do[0].escalat|unknown field 'escalat' (did you mean 'escalate'?)" in e
        for e in errors
    )


def test_duplicate_names() -> None:
    errors = errors_of(
        with_rule("""\
        - name: breach
          trigger: case.opened
          do:
            - tag: [x]
        """)
    )
    assert errors == ["36|rules[1]|rule 'breach' is listed twice"]


def test_priority_matrix_shape_and_values() -> None:
    text = BASE.replace("    - [P2, P3]\n", "    - [P2, P5, P3]\n").replace(
        "default: P3", "default: P0"
    )
    errors = errors_of(text)
    assert any("priority.matrix[1]|has 3 columns but urgency lists 2 values" in e for e in errors)
    assert any("priority.matrix[1][1]|unknown priority 'P5'" in e for e in errors)
    assert any("priority.default|unknown priority 'P0'" in e for e in errors)


def test_every_error_is_reported_at_once() -> None:
    text = (
        BASE.replace("calendar: office", "calendar: nowhere")
        .replace("{up: 1}", "{to: nobody}")
        .replace("default: P3", "default: P9")
    )
    assert len(errors_of(text)) == 3


def test_invalid_policy_is_never_applied() -> None:
    with pytest.raises(PolicyInvalid) as raised:
        parse_policy(BASE.replace("calendar: office", "calendar: nowhere"), "p.yaml")
    assert len(raised.value.errors) == 1
    assert "p.yaml:28: slas[1].calendar" in str(raised.value)


def test_warnings_do_not_block() -> None:
    text = BASE.replace(
        "  - name: standard\n    calendar: office\n",
        "  - name: standard\n    when: {tier: [gold]}\n    calendar: office\n",
    )
    result = check_text(
        with_rule("""\
        - name: happy
          trigger: sla.warning
          if: {intent: praise, score_below: 3}
          do:
            - tag: [x]
        """).replace(BASE, text),
        "p.yaml",
    )
    assert result.ok
    messages = [f"{w.path}|{w.message}" for w in result.warnings]
    assert any(m.startswith("slas|no SLA without 'when'") for m in messages)
    assert any("rules[1].if.intent[0]|intent 'praise'" in m for m in messages)
    assert any("rules[1].if.score_below|holds only on survey.answered" in m for m in messages)


def test_opening_priority_from_matrix_and_default() -> None:
    policy = parse_policy(BASE)
    assert policy.opening_priority(None, "high", "low") == "P2"
    assert policy.opening_priority("P1", "low", "low") == "P1"
    assert policy.opening_priority(None, "high", None) == "P3"


def test_sla_selection_is_first_match() -> None:
    policy = parse_policy(BASE)
    select = policy.select_sla
    assert select(priority="P1", tier=None, category=None, channel=None, team="frontline") == 0
    assert select(priority="P2", tier="gold", category=None, channel=None, team="frontline") == 1


def test_authority_lookup() -> None:
    policy = parse_policy(BASE)
    assert policy.authority(0, "refund") == 50
    assert policy.authority(0, "credit") == 0
    assert policy.level_covering("refund", 300) == 1
    assert policy.level_covering("refund", 20) == 0


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment"),
    [
        ("version: 3", "version: [3]", "version", "expected a version number or name"),
        ("name: test", "name: ''", "name", "must not be empty"),
        (
            "levels:\n  - {name: frontline, team: frontline, authority: {refund: 50}}\n"
            "  - {name: supervisor, team: supervisors, authority: {refund: unlimited}}",
            "levels: []",
            "levels",
            "must list at least one level",
        ),
        (
            "authority: {refund: 50}",
            "authority: {refund: -5}",
            "levels[0].authority.refund",
            "cannot be negative",
        ),
        (
            "authority: {refund: 50}",
            "authority: {refund: lots}",
            "levels[0].authority.refund",
            "'unlimited'",
        ),
        ("teams: [finance]", "teams: [finance, finance]", "teams[1]", "listed twice"),
        (
            "    calendar: always\n",
            "    calendar: always\n    pause_on: [resolved]\n",
            "slas[0].pause_on[0]",
            "unknown pause status",
        ),
        ("  impact: [high, low]\n", "", "priority.impact", "give all three or none"),
        (
            "    metric: first_response\n",
            "    metric: first_response\n    if: {reopened_at_least: 0}\n",
            "rules[0].if.reopened_at_least",
            "out of range",
        ),
        (
            "      - escalate: {up: 1}",
            "      - notify_customer: 'sorry!'",
            "rules[0].do[0].notify_customer",
            "not a template name",
        ),
        (
            "      - escalate: {up: 1}",
            "      - escalate: {up: 0}",
            "rules[0].do[0].escalate.up",
            "out of range",
        ),
        (
            "      - escalate: {up: 1}",
            "      - escalate: 1",
            "rules[0].do[0].escalate",
            "expected a mapping",
        ),
        ("    do:\n      - escalate: {up: 1}", "    do: []", "rules[0].do", "must not be empty"),
        (
            "calendars:\n",
            "calendars:\n  broken: [1, 2]\n",
            "calendars.broken",
            "expected a calendar",
        ),
    ],
)
def test_each_kind_of_error_names_its_field(old: str, new: str, path: str, fragment: str) -> None:
    assert old in BASE
    errors = errors_of(BASE.replace(old, new, 1))
    assert any(f"|{path}|" in error and fragment in error for error in errors), errors


def test_a_policy_that_is_not_a_mapping() -> None:
    assert errors_of("- just\n- a list\n") == [
        "1||a policy is a mapping of sections (name, version, calendars, priority, levels, "
        "teams, slas, rules), not a list"
    ]


def test_the_demo_ships_the_example_policy_byte_for_byte() -> None:
    from escalon.demo import policy_text

    assert policy_text() == EXAMPLE_POLICY.read_text(encoding="utf-8")


def test_an_impossible_unquoted_holiday_is_an_error_at_its_field_not_a_crash() -> None:
    text = POLICY_HEAD.replace('"2026-12-25"]', "2026-13-25]") + DEFAULT_SLAS
    result = check_text(text, "p.yaml")
    assert [problem.path for problem in result.errors] == ["calendars.office.holidays[1]"]
