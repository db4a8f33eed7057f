"""The policy's `categories`: keywords that give a case its category, and what `check` warns."""

from __future__ import annotations

import textwrap

from escalon.core.policy import check_text, parse_policy
from escalon.files import load_policy
from tests.builders.paths import EXAMPLE_POLICY
from tests.builders.policies import BASE, CATEGORIES


def warnings_of(text: str) -> list[str]:
    result = check_text(text, "p.yaml")
    assert result.errors == []
    return [f"{w.path}|{w.message}" for w in result.warnings]


def rule(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text), "  ")


def test_keywords_give_the_first_category_in_file_order() -> None:
    policy = parse_policy(BASE + CATEGORIES)
    assert policy.categories == ("billing", "delivery", "other")
    assert policy.category_from_text("Where is my PARCEL?") == ("delivery", "PARCEL")
    assert policy.category_from_text("I was charged\n twice for the parcel") == (
        "billing",
        "charged\n twice",
    )


def test_keywords_match_whole_words_only() -> None:
    policy = parse_policy(BASE + CATEGORIES)
    assert policy.category_from_text("refunded") is None
    assert policy.category_from_text("invoices") is None
    assert policy.category_from_text("the refund.") == ("billing", "refund")


def test_keywords_are_read_literally() -> None:
    policy = parse_policy(BASE + "categories:\n  odd: {keywords: ['a+b (c)']}\n")
    assert policy.category_from_text("see a+b (c) here") == ("odd", "a+b (c)")
    assert policy.category_from_text("aab c") is None


def test_a_policy_without_categories_keeps_its_fingerprint() -> None:
    plain = parse_policy(BASE)
    assert parse_policy(BASE + "categories: {}\n").fingerprint == plain.fingerprint
    assert parse_policy(BASE + CATEGORIES).fingerprint != plain.fingerprint
    assert plain.category_from_text("invoice") is None


def test_blank_keyword_and_unknown_key_are_errors() -> None:
    result = check_text(BASE + "categories:\n  x: {keywords: ['  ']}\n  y: {words: [a]}\n", "p")
    messages = [f"{e.path}|{e.message}" for e in result.errors]
    assert any(m.startswith("categories.x.keywords[0]|") and "blank" in m for m in messages)
    assert any(m.startswith("categories.y.words|") for m in messages)


def test_condition_on_a_category_nothing_gives_warns_naming_the_rule() -> None:
    text = (
        BASE
        + rule("""\
        - name: to finance
          trigger: case.opened
          if: {category: [biling]}
          do:
            - route: {team: finance}
        """)
        + CATEGORIES
    )
    messages = warnings_of(text)
    assert len(messages) == 1
    assert messages[0].startswith("rules[1].if.category[0]|category 'biling' is not under")
    assert "did you mean 'billing'" in messages[0]
    assert messages[0].endswith("(rule 'to finance')")


def test_conditions_on_declared_categories_do_not_warn() -> None:
    text = (
        BASE
        + rule("""\
        - name: to finance
          trigger: case.opened
          if: {category: [billing, other]}
          do:
            - route: {team: finance}
        """)
        + CATEGORIES
    )
    assert warnings_of(text) == []


def test_without_categories_any_category_may_come_from_the_caller() -> None:
    text = BASE + rule("""\
        - name: to finance
          trigger: case.opened
          if: {category: [whatever]}
          do:
            - route: {team: finance}
        """)
    assert warnings_of(text) == []


def test_sla_on_an_undeclared_category_warns() -> None:
    text = BASE.replace("    when: {priority: [P1]}", "    when: {category: [vip]}") + CATEGORIES
    messages = warnings_of(text)
    assert [m.split("|")[0] for m in messages] == ["slas[0].when.category[0]"]


def test_clock_rule_on_a_metric_no_sla_targets_never_fires() -> None:
    text = BASE + rule("""\
        - name: update late
          trigger: sla.breach
          metric: periodic_update
          do:
            - notify: [supervisor]
        """)
    assert warnings_of(text) == [
        "rules[1].metric|no SLA sets a periodic_update target, so its clock never warns or "
        "breaches: the rule never fires (rule 'update late')"
    ]


def test_intent_on_a_trigger_without_text_names_the_rule() -> None:
    text = BASE + rule("""\
        - name: angry at timeout
          trigger: level.timeout
          after: 1h
          if: {intent: complaint}
          do:
            - tag: [x]
        """)
    assert warnings_of(text) == [
        "rules[1].if.intent|reads the customer's text, which level.timeout does not have: it "
        "never holds here (rule 'angry at timeout')"
    ]


def test_a_keyword_in_two_categories_warns_that_the_first_wins() -> None:
    text = BASE + "categories:\n  a: {keywords: [Refund]}\n  b: {keywords: [refund]}\n"
    assert warnings_of(text) == [
        "categories.b.keywords[0]|keyword 'refund' is also a keyword of 'a', which comes first "
        "and wins"
    ]


def test_the_example_policy_keeps_the_fingerprint_it_had_before_categories_and_languages() -> None:
    # Read off the code before either section existed: stored policies and the cases evaluated
    # under them must not see their fingerprint change with the format's additions.
    assert load_policy(EXAMPLE_POLICY).fingerprint == "8c2134eff2755cc0"


def test_keywords_are_bounded_and_a_huge_text_is_read_from_its_beginning() -> None:
    many = "categories:\n  x:\n    keywords: [" + ", ".join(f"w{n}" for n in range(1001)) + "]\n"
    errors = [f"{e.path}|{e.message}" for e in check_text(BASE + many, "p").errors]
    assert any(error.startswith("categories.x.keywords|") for error in errors), errors
    policy = parse_policy(BASE + CATEGORIES)
    assert policy.category_from_text("invoice " + "x " * 20_000) is not None
    assert policy.category_from_text("x " * 20_000 + "invoice") is None
