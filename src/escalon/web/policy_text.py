"""The escalation policy in words: rules as English sentences, durations, amounts, calendars.

Pure functions over a policy's parts, testable without HTTP. The policy format may grow (new
triggers, conditions, actions, fields), so every function here reads plain data defensively: a
part it does not know is shown as `key: value`, never an error that would break the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

SECOND_US = 1_000_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The rule keys the sentence itself reads; any other key is added as `key: value`.
RULE_KEYS = frozenset({"name", "trigger", "metric", "after", "if", "do"})

METRIC_WORDS = {
    "first_response": "first response",
    "next_response": "next response",
    "periodic_update": "periodic update",
    "resolution": "resolution",
}
INTENT_WORDS = {"manager_request": "asks for a manager", "complaint": "is a complaint"}
STRATEGY_WORDS = {
    "round_robin": "assign the case to the next agent in turn (round robin)",
    "least_loaded": "assign the case to the least loaded agent",
    "on_call": "assign the case to whoever is on call",
}
RECIPIENT_WORDS = {
    "assignee": "the assignee",
    "level_team": "the level's team",
    "supervisor": "the team of the level above",
}
RECIPIENT_PREFIXES = {
    "team": "the {} team",
    "person": "person {}",
    "on_call": "whoever is on call in {}",
    "webhook": "the {} webhook",
}
# Condition on a list of names -> the subject the sentence gives it ("the priority is P1 or P2").
NAMED_CONDITIONS = {
    "priority": "the priority",
    "tier": "the customer's tier",
    "category": "the category",
    "channel": "the channel",
    "team": "the team",
    "level": "the level",
}


# -- small formatters ----------------------------------------------------------------------------


def span(us: int) -> str:
    """A policy duration as people read it: 45 s, 15 min, 4 h, 1 h 30 min."""
    # No days: most policy durations are business time, where a day has no fixed length.
    seconds = max(us, 0) // SECOND_US
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{value} {unit}"
        for value, unit in ((hours, "h"), (minutes, "min"), (seconds, "s"))
        if value
    ]
    return " ".join(parts) or "0 s"


def number(value: object) -> str:
    """A number without a needless `.0`; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "unlimited" if value > 0 else str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def authority(limits: Mapping[str, float]) -> list[str]:
    """A level's authority, one limit each: `refund up to 500`, `refund without limit`."""
    return [
        f"{kind} without limit" if amount == math.inf else f"{kind} up to {number(amount)}"
        for kind, amount in limits.items()
    ]


def percent(fraction: float) -> str:
    """0.75 -> 75%."""
    return f"{number(round(fraction * 100, 2))}%"


def plain(value: object) -> str:
    """Any policy value as written, for the parts the sentences do not know."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {plain(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(plain(item) for item in value) + "]"
    return number(value)


def names(value: object) -> list[str]:
    """A name or a list of names, as a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return [plain(value)]


def either(items: Iterable[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return _join(list(items), "or")


def both(items: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return _join(list(items), "and")


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def quoted(value: object) -> str:
    """A name the policy chose (a template, a tag, a phrase), set apart in curly quotes."""
    return f"“{value}”"


def metric_name(metric: object) -> str:
    """`first_response` -> `first response`."""
    return METRIC_WORDS.get(str(metric), str(metric).replace("_", " "))


def _span_of(value: object) -> str:
    # Checked rules hold microseconds; raw data may still hold the text as written ("30m").
    if isinstance(value, int) and not isinstance(value, bool):
        return span(value)
    return plain(value)


def _count(n: object, one: str, many: str) -> str:
    if n == 1:
        return one
    return many.format(number(n))


# -- rules ---------------------------------------------------------------------------------------


def trigger_clause(trigger: object, metric: object = None, after: object = None) -> str:
    """What makes a rule fire, as the clause after `When`."""
    subject = "any SLA" if metric is None else f"the {metric_name(metric)}"
    used_metric = used_after = True
    if trigger == "case.opened":
        text, used_metric, used_after = "a case is opened", False, False
    elif trigger == "customer.message":
        text, used_metric, used_after = "the customer sends a message", False, False
    elif trigger == "sla.warning":
        text, used_after = f"{subject} target is about to be breached", False
    elif trigger == "sla.breach":
        text, used_after = f"{subject} target is breached", False
    elif trigger == "case.reopened":
        text, used_metric, used_after = "a resolved case is reopened", False, False
    elif trigger == "escalation.unacknowledged":
        used_metric = False
        text = "an escalation is not acknowledged"
        if after is not None:
            text = f"an escalation is still not acknowledged after {_span_of(after)}"
    elif trigger == "level.timeout":
        used_metric = False
        text = "a case stays at its level too long"
        if after is not None:
            text = f"a case has stayed at its level for {_span_of(after)}"
    elif trigger == "approval.requested":
        text, used_metric, used_after = (
            "an agent asks for approval to grant something (such as a refund)",
            False,
            False,
        )
    elif trigger == "survey.answered":
        text, used_metric, used_after = (
            "the customer answers the satisfaction survey",
            False,
            False,
        )
    else:
        text, used_metric, used_after = f"the event {quoted(plain(trigger))} happens", False, False
    extra = []
    if metric is not None and not used_metric:
        extra.append(f"metric: {metric_name(metric)}")
    if after is not None and not used_after:
        extra.append(f"after: {_span_of(after)}")
    return f"{text} ({'; '.join(extra)})" if extra else text


_LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}


def condition_phrase(key: str, value: object) -> str:
    """One condition of a rule's `if`, as a clause: `the priority is P1 or P2`."""
    if key in NAMED_CONDITIONS:
        return f"{NAMED_CONDITIONS[key]} is {either(names(value))}"
    if key == "intent":
        return "the customer's text " + either(
            INTENT_WORDS.get(intent, f"shows the intent {quoted(intent)}")
            for intent in names(value)
        )
    if key == "sentiment_below":
        return f"the customer's sentiment is below {number(value)}"
    if key == "language":
        return "the customer writes in " + either(
            _LANGUAGE_NAMES.get(str(code), quoted(str(code))) for code in names(value)
        )
    if key == "contains":
        return f"the customer's text contains {either(quoted(phrase) for phrase in names(value))}"
    if key == "reopened_at_least":
        times = _count(value, "once", "{} times")
        return f"the case has been reopened at least {times}"
    if key == "above_authority":
        return f"the amount asked for is above the current level's {plain(value)} authority"
    if key == "score_below":
        return f"the survey score is below {number(value)}"
    return f"{key}: {plain(value)}"


def _escalate(value: object) -> str:
    if not isinstance(value, Mapping) or not value:
        return f"escalate: {plain(value)}"
    phrases = []
    for key, target in value.items():
        if key == "up":
            phrases.append("escalate " + _count(target, "one level up", "{} levels up"))
        elif key == "to":
            phrases.append(f"escalate to {plain(target)}")
        elif key == "to_authority":
            phrases.append(
                f"escalate to the lowest level whose {plain(target)} authority covers the amount"
            )
        else:
            phrases.append(f"escalate ({key}: {plain(target)})")
    return both(phrases)


def _set_priority(value: object) -> str:
    if not isinstance(value, Mapping) or not value:
        return f"set_priority: {plain(value)}"
    phrases = []
    for key, target in value.items():
        if key == "to":
            phrases.append(f"set the priority to {plain(target)}")
        elif key in ("raise", "raise_"):
            phrases.append("raise the priority " + _count(target, "one step", "{} steps"))
        else:
            phrases.append(f"set_priority ({key}: {plain(target)})")
    return both(phrases)


def recipient(name: str) -> str:
    """Who a `notify` recipient is: `on_call:specialists` -> `whoever is on call in specialists`."""
    if name in RECIPIENT_WORDS:
        return RECIPIENT_WORDS[name]
    prefix, colon, rest = name.partition(":")
    if colon and prefix in RECIPIENT_PREFIXES:
        return RECIPIENT_PREFIXES[prefix].format(rest)
    return quoted(name)


def action_phrase(key: str, value: object) -> str:
    """One action of a rule's `do`, as an imperative: `escalate one level up`."""
    if key == "escalate":
        return _escalate(value)
    if key == "set_priority":
        return _set_priority(value)
    if key == "route" and isinstance(value, Mapping) and set(value) == {"team"}:
        return f"route the case to the {plain(value['team'])} team"
    if key == "assign" and isinstance(value, Mapping) and set(value) == {"strategy"}:
        strategy = plain(value["strategy"])
        return STRATEGY_WORDS.get(strategy, f"assign the case by {strategy.replace('_', ' ')}")
    if key == "notify":
        return f"notify {both(recipient(name) for name in names(value))}"
    if key == "notify_customer":
        return f"send the customer the {quoted(plain(value))} message"
    if key == "tag":
        return f"tag the case {both(quoted(tag) for tag in names(value))}"
    return f"{key}: {plain(value)}"


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
    sentence = "When " + trigger_clause(data.get("trigger"), data.get("metric"), data.get("after"))
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


# -- calendars and SLAs --------------------------------------------------------------------------


def opening_hours(hours: object) -> list[str]:
    """A calendar's `hours`, consecutive days with the same hours together: `mon–fri 09:00-17:00`."""
    if hours == "always":
        return ["open at every hour of every day"]
    if not isinstance(hours, Mapping):
        return [plain(hours)]
    lines = []
    days = [(day, names(hours[day]) if day in hours else []) for day in WEEKDAYS]
    start = 0
    for end in range(1, len(days) + 1):
        if end < len(days) and days[end][1] == days[start][1]:
            continue
        first, spans = days[start]
        label = first if end - start == 1 else f"{first}–{days[end - 1][0]}"
        if spans:
            lines.append(f"{label} {', '.join(spans)}")
        start = end
    lines.extend(f"{key}: {plain(value)}" for key, value in hours.items() if key not in WEEKDAYS)
    return lines or ["closed every day"]


def sla_condition(when: Mapping[str, Any], *, skip: Iterable[str] = ()) -> list[str]:
    """An SLA's `when`, one clause per field: `tier is enterprise`."""
    left_out = set(skip)
    return [
        f"{key} is {either(names(value))}"
        for key, value in when.items()
        if key not in left_out and value is not None
    ]
