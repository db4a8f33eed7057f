"""The policy in English, once for every reader (the policy page, `policy check`, the timeline).

Every sentence comes from the rule modules' own words; a part the registry does not know (a
policy from a newer format, or raw data) is shown as `key: value`, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from escalon.core.rules import ACTIONS, CONDITIONS, PARAMETERS, TRIGGERS
from escalon.core.rules.words import both, metric_name, plain, quoted, span_of

# The rule keys the sentence itself reads; any other key is added as `key: value`.
RULE_KEYS = frozenset({"name", "trigger", "if", "do", *PARAMETERS})


def _parameter_text(name: str, value: object) -> str:
    if name == "metric":
        return f"metric: {metric_name(value)}"
    if name == "after":
        return f"after: {span_of(value)}"
    return f"{name}: {plain(value)}"


def trigger_clause(
    trigger: object, metric: object = None, after: object = None, **more: object
) -> str:
    """What makes a rule fire, as the clause after `When`."""
    given = {"metric": metric, "after": after, **more}
    known = TRIGGERS.get(trigger) if isinstance(trigger, str) else None
    if known is None:
        text = f"the event {quoted(plain(trigger))} happens"
        used: set[str] = set()
    else:
        text = known.clause(given)
        used = {parameter.name for parameter in known.parameters}
    extra = [
        _parameter_text(name, value)
        for name, value in given.items()
        if value is not None and name not in used
    ]
    return f"{text} ({'; '.join(extra)})" if extra else text


def condition_phrase(key: str, value: object) -> str:
    """One condition of a rule's `if`, as a clause: `the priority is P1 or P2`."""
    known = CONDITIONS.get(key)
    return f"{key}: {plain(value)}" if known is None else known.phrase(value)


def action_phrase(key: str, value: object) -> str:
    """One action of a rule's `do`, as an imperative: `escalate one level up`."""
    known = ACTIONS.get(key)
    return f"{key}: {plain(value)}" if known is None else known.phrase(value)


def _actions(do: object) -> str:
    entries = do if isinstance(do, list | tuple) else [do]
    phrases: list[str] = []
    for entry in entries:
        if isinstance(entry, Mapping) and entry:
            phrases.extend(action_phrase(str(key), value) for key, value in entry.items())
        elif entry is not None:
            phrases.append(plain(entry))
    if not phrases:
        return "do nothing"
    if len(phrases) == 1:
        return phrases[0]
    # `then`, not `and`: actions run in order, and a notify list has its own `and`.
    return f"{', '.join(phrases[:-1])}, then {phrases[-1]}"


def rule_sentence(rule: BaseModel | Mapping[str, Any]) -> str:
    """A rule as one English sentence: `When a case is opened, if ..., escalate to supervisor.`"""
    data: Mapping[str, Any] = (
        rule.model_dump(by_alias=True, exclude_none=True) if isinstance(rule, BaseModel) else rule
    )
    parameters = {name: data.get(name) for name in PARAMETERS}
    sentence = "When " + trigger_clause(data.get("trigger"), **parameters)
    conditions = data.get("if")
    if isinstance(conditions, Mapping):
        clauses = [condition_phrase(str(key), value) for key, value in conditions.items()]
    elif conditions is not None:
        clauses = [f"conditions: {plain(conditions)}"]
    else:
        clauses = []
    if clauses:
        sentence += f", if {both(clauses)}"
    sentence += f", {_actions(data.get('do'))}"
    extra = [f"{key}: {plain(value)}" for key, value in data.items() if key not in RULE_KEYS]
    if extra:
        sentence += f" ({'; '.join(extra)})"
    return sentence + "."
