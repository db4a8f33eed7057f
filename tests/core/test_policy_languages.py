"""Languages in a policy: a rule's `language` condition, the customers' `languages`, and the
warnings `policy check` gives where a rule reads text in a language the detector cannot."""

from __future__ import annotations

from escalon.core.policy import check_text
from tests.builders.policies import BASE, with_rule

MANAGER_RULE = """\
- name: wants a manager
  trigger: customer.message
  if: {intent: manager_request%s}
  do:
    - escalate: {up: 1}
"""


def warnings_of(text: str) -> list[str]:
    result = check_text(text, "p.yaml")
    assert result.ok, result.errors
    return [f"{w.line}|{w.path}|{w.message}" for w in result.warnings]


def test_a_rule_reading_intents_in_a_language_the_detector_cannot_read_is_warned() -> None:
    warnings = warnings_of(with_rule(MANAGER_RULE % ", language: [de, it]"))
    assert warnings == [
        "38|rules[1].if.language|intent relies on reading it, which the default detector does "
        "not read (it reads en, de, fr, es): in those languages it finds no intent and a neutral "
        "sentiment; a model trained on the team's own messages can"
    ]


def test_the_policys_languages_count_for_rules_without_a_language_condition() -> None:
    text = with_rule(MANAGER_RULE % "") + "languages: [en, pt, nl]\n"
    warnings = warnings_of(text)
    assert len(warnings) == 1
    assert "rules[1].if.intent|intent relies on reading pt, nl, which" in warnings[0]
    # A rule that says which language it reads relies on that one only.
    assert warnings_of(with_rule(MANAGER_RULE % ", language: fr") + "languages: [en, pt]\n") == []


def test_languages_the_detector_reads_raise_no_warning() -> None:
    text = with_rule(MANAGER_RULE % ", language: [en, de, fr, es]") + "languages: [en, es]\n"
    assert warnings_of(text) == []
    assert warnings_of(BASE + "languages: [ja]\n") == []


def test_a_language_the_detector_never_reports_makes_the_rule_dead() -> None:
    rule = """\
    - name: japanese customers
      trigger: customer.message
      if: {language: [ja]}
      do:
        - tag: [ja]
    """
    warnings = warnings_of(with_rule(rule))
    assert warnings == [
        "38|rules[1].if.language[0]|the detector never reports 'ja' (it tells en, de, fr, es, "
        "it, pt, nl), so this rule never holds for it"
    ]


def test_language_codes_are_two_lower_case_letters() -> None:
    result = check_text(BASE + "languages: [English]\n", "p.yaml")
    assert [e.path for e in result.errors] == ["languages[0]"]
    result = check_text(with_rule(MANAGER_RULE % ", language: german"), "p.yaml")
    assert [e.path for e in result.errors] == ["rules[1].if.language[0]"]


def test_a_policy_without_languages_loads_as_before() -> None:
    result = check_text(BASE, "p.yaml")
    assert result.ok
    assert result.warnings == []
    assert result.document is not None
    assert result.document.languages is None
