"""A checked policy, ready for the engine: references resolved, lookups precomputed."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from escalon.core.calendar import Calendar
from escalon.core.ola import OlaTerms
from escalon.core.policy.model import (
    DEFAULT_PAUSE_ON,
    METRICS,
    TRIGGERS,
    TRIGGERS_WITH_AFTER,
    LevelSpec,
    PolicyDocument,
    RuleSpec,
    SlaSpec,
)
from escalon.core.rules import ACTIONS, CONDITIONS, PARAMETERS, SIGNALS
from escalon.core.rules import TRIGGERS as TRIGGER_RULES
from escalon.core.rules.base import Act, Holds, React

STOPPED = frozenset({"resolved", "closed"})
_SLA_FIELDS = ("priority", "tier", "category", "channel", "team")
DEFAULT_STOPPED = frozenset(DEFAULT_PAUSE_ON) | STOPPED
# How much of an opening text category keywords are looked for in.
KEYWORD_SCAN_CHARS = 20_000


def _listened(rules: tuple[RuleSpec, ...], trigger: str) -> frozenset[str]:
    """The clock metrics some rule on `trigger` reacts to."""
    listening = [rule for rule in rules if rule.trigger == trigger]
    if any(rule.metric is None for rule in listening):
        return frozenset(METRICS)
    return frozenset(rule.metric for rule in listening if rule.metric is not None)


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """Any of the keywords as whole words, case-insensitive, any run of spaces between words."""
    alternatives = sorted(
        (r"\s+".join(re.escape(word) for word in keyword.split()) for keyword in keywords),
        key=len,
        reverse=True,
    )
    return re.compile(rf"(?<!\w)({'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


class Policy:
    """The escalation matrix of one organisation, as the engine reads it."""

    def __init__(
        self, document: PolicyDocument, calendars: Mapping[str, Calendar], source: str
    ) -> None:
        self.document = document
        self.source = source
        self.name = document.name
        self.version = document.version
        self.calendars = dict(calendars)
        self.levels: tuple[LevelSpec, ...] = document.levels
        self.level_index = {level.name: index for index, level in enumerate(document.levels)}
        self.teams = frozenset(level.team for level in document.levels) | frozenset(document.teams)
        self.priorities: tuple[str, ...] = document.priority.order
        self.priority_rank = {name: rank for rank, name in enumerate(self.priorities)}
        self._compile_slas(document, calendars)
        self._compile_rules(document)
        self._compile_ola(document, calendars)
        canonical = json.dumps(_fingerprinted(document), sort_keys=True)
        self.categories: tuple[str, ...] = tuple(document.categories)
        # Root cause code -> what people read, in file order (empty: causes are free text).
        self.root_causes = dict(root_cause_labels(document))
        # How well the best public article must answer a first message to go with its
        # acknowledgement (None: acknowledgements carry no article).
        knowledge = document.knowledge
        self.acknowledgement_article = (
            None if knowledge is None else knowledge.acknowledgement_article
        )
        self._category_patterns = tuple(
            (name, _keyword_pattern(spec.keywords))
            for name, spec in document.categories.items()
            if spec.keywords
        )
        self.fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        self._sla_choices: dict[tuple[str | None, ...], int | None] = {}
        # Metrics whose warning some rule reacts to; other warnings need no timer.
        self.listened_warnings = _listened(document.rules, "sla.warning")
        # Likewise for breaches: the others are settled when their cycle ends or the SLA changes.
        self.listened_breaches = _listened(document.rules, "sla.breach")
        matrix = document.priority
        self._matrix = {
            (impact, urgency): matrix.matrix[row][column]
            for row, impact in enumerate(matrix.impact)
            for column, urgency in enumerate(matrix.urgency)
        }

    def _compile_slas(self, document: PolicyDocument, calendars: Mapping[str, Calendar]) -> None:
        """Each SLA's calendar, the statuses that stop its clocks, and its targets."""
        self.slas: tuple[SlaSpec, ...] = document.slas
        self.sla_calendars: tuple[Calendar, ...] = tuple(
            calendars[sla.calendar_name] for sla in document.slas
        )
        # Per SLA: whether a case's own calendar (its customer organisation's) replaces it.
        self.sla_follows_customer: tuple[bool, ...] = tuple(
            sla.follows_customer for sla in document.slas
        )
        # Statuses in which each SLA's clocks stand still: its pauses, and resolved or closed.
        self.sla_stopped: tuple[frozenset[str], ...] = tuple(
            frozenset(sla.pause_on) | STOPPED for sla in document.slas
        )
        # Per SLA: (metric, target, warning amount) for each metric it sets a target for.
        self.sla_targets: tuple[tuple[tuple[str, int, int], ...], ...] = tuple(
            tuple(
                (metric, target, round(target * sla.warn_at))
                for metric in METRICS
                if (target := sla.targets.get(metric)) is not None
            )
            for sla in document.slas
        )

    def _compile_ola(self, document: PolicyDocument, calendars: Mapping[str, Calendar]) -> None:
        """Each team's OLA terms, and which of its instants some rule reacts to."""
        always = Calendar.from_dict({"timezone": "UTC", "hours": "always"}, name="always")
        self.ola: dict[str, OlaTerms] = {
            team: OlaTerms(
                team=team,
                act_within=spec.act_within,
                warning=round(spec.act_within * spec.warning),
                calendar=always if spec.calendar is None else calendars[spec.calendar],
                stopped=frozenset(spec.pause_on) | STOPPED,
            )
            for team, spec in (document.ola or {}).items()
        }
        # ("warning" / "breach") whose OLA instants some rule reacts to: only those need timers.
        self.listened_ola: tuple[str, ...] = tuple(
            kind for kind in ("warning", "breach") if self.rules_by_trigger[f"ola.{kind}"]
        )

    def _compile_rules(self, document: PolicyDocument) -> None:
        """The rules by trigger, and the engine's dispatch built once."""
        self.rules: tuple[RuleSpec, ...] = document.rules
        self.rules_by_trigger: dict[str, tuple[int, ...]] = {
            trigger: tuple(i for i, rule in enumerate(document.rules) if rule.trigger == trigger)
            for trigger in TRIGGERS
        }
        # At opening, the customer's first message is read by the `customer.message` rules
        # whose conditions read text too; all fire at the same instant, so in file order.
        self.opening_rules: tuple[int, ...] = tuple(
            index
            for index, rule in enumerate(document.rules)
            if rule.trigger == "case.opened"
            or (rule.trigger == "customer.message" and rule.conditions.reads_text())
        )
        # Timed rules with their `after`, in file order.
        self.timed_rules: dict[str, tuple[tuple[int, int], ...]] = {
            trigger: tuple(
                (index, document.rules[index].after or 0)
                for index in self.rules_by_trigger[trigger]
            )
            for trigger in TRIGGERS_WITH_AFTER
        }
        # The engine's dispatch, built once: per rule, the hooks of the conditions it sets
        # (cheapest first) and of its actions, each with its value.
        self.rule_checks: tuple[tuple[tuple[Holds, Any], ...], ...] = tuple(
            _checks_of(rule) for rule in document.rules
        )
        self.rule_actions: tuple[tuple[tuple[Act, Any], ...], ...] = tuple(
            tuple((ACTIONS[action.kind].act, action.value) for action in rule.do)
            for rule in document.rules
        )
        # Per event trigger, the triggers riding on it that some rule listens to, with the hook
        # and those rules (`customer.sentiment_drop` rides on `customer.message`).
        riders: dict[str, list[tuple[React, tuple[int, ...]]]] = {}
        for name, trigger in TRIGGER_RULES.items():
            listening = self.rules_by_trigger[name]
            if trigger.rides_on is not None and trigger.react is not None and listening:
                riders.setdefault(trigger.rides_on, []).append((trigger.react, listening))
        self.riders: dict[str, tuple[tuple[React, tuple[int, ...]], ...]] = {
            name: tuple(hooks) for name, hooks in riders.items()
        }
        # Whether some rule needs the detector's reading of the text (`contains` reads the words
        # themselves): the replay runs the detector only then.
        self.uses_text_signals = any(
            SIGNALS in TRIGGER_RULES[rule.trigger].reads
            or any(SIGNALS in CONDITIONS[name].reads for name in rule.conditions.listed())
            for rule in document.rules
        )

    def __repr__(self) -> str:
        return f"Policy({self.name!r}, version={self.version!r})"

    def opening_priority(
        self, priority: str | None = None, impact: str | None = None, urgency: str | None = None
    ) -> str:
        """A new case's priority: as given, else from the impact x urgency matrix, else the default."""
        if priority is not None:
            return priority
        if impact is not None and urgency is not None:
            from_matrix = self._matrix.get((impact, urgency))
            if from_matrix is not None:
                return from_matrix
        return self.document.priority.default

    def raise_priority(self, priority: str, steps: int) -> str:
        """`steps` towards the most urgent priority, stopping there."""
        rank = self.priority_rank.get(priority, len(self.priorities) - 1)
        return self.priorities[max(0, rank - steps)]

    def select_sla(
        self,
        *,
        priority: str,
        tier: str | None,
        category: str | None,
        channel: str | None,
        team: str,
    ) -> int | None:
        """The index of the first SLA whose `when` matches, or None when none does."""
        return self.sla_choice((priority, tier, category, channel, team))

    def sla_choice(self, key: tuple[str | None, ...]) -> int | None:
        """`select_sla` for the fields given as one tuple, in the order of `_SLA_FIELDS`
        (the engine asks on every escalation: no keywords to bind)."""
        found = self._sla_choices.get(key, -1)
        if found != -1:
            return found
        chosen = None
        for index, sla in enumerate(self.slas):
            when = sla.when
            if when is None or all(
                (allowed := getattr(when, field)) is None or value in allowed
                for field, value in zip(_SLA_FIELDS, key, strict=True)
            ):
                chosen = index
                break
        if len(self._sla_choices) < 100_000:  # the combinations seen are few; bound it anyway
            self._sla_choices[key] = chosen
        return chosen

    def category_from_text(self, text: str) -> tuple[str, str] | None:
        """The first category (in file order) with a keyword in `text`, and that keyword.

        Only the text's beginning is read: what a message is about is said early, and a huge
        body must not make its case's opening slow."""
        text = text[:KEYWORD_SCAN_CHARS]
        for name, pattern in self._category_patterns:
            found = pattern.search(text)
            if found is not None:
                return name, found.group(1)
        return None

    def authority(self, level: int, kind: str) -> float:
        """What a person at `level` may grant of `kind` on their own (0 when not listed)."""
        return self.levels[level].authority.get(kind, 0.0)

    def level_covering(self, kind: str, amount: float) -> int:
        """The lowest level whose authority covers `amount`, or the top level when none does."""
        for index, level in enumerate(self.levels):
            if level.authority.get(kind, 0.0) >= amount:
                return index
        return len(self.levels) - 1


def _checks_of(rule: RuleSpec) -> tuple[tuple[Holds, Any], ...]:
    """The condition hooks of one rule with their values, cheapest first (stable otherwise)."""
    listed = sorted(rule.conditions.listed(), key=lambda name: CONDITIONS[name].cost)
    return tuple((CONDITIONS[name].holds, rule.conditions.value(name)) for name in listed)


# Parts of the format added after its first release: left out of the fingerprint while unset.
_LATER_PARAMETERS = tuple(
    name for name, parameter in PARAMETERS.items() if not parameter.fingerprinted_unset
)
_LATER_CONDITIONS = tuple(
    name for name, condition in CONDITIONS.items() if not condition.fingerprinted_unset
)
_LATER_ACTIONS = tuple(name for name, action in ACTIONS.items() if not action.fingerprinted_unset)


def root_cause_labels(document: PolicyDocument) -> list[tuple[str, str]]:
    """Each root cause's code and what people read: its label, or its code in words."""
    return [
        (code, spec if isinstance(spec, str) else spec.label or _in_words(code))
        for code, spec in document.root_causes.items()
    ]


def _in_words(code: str) -> str:
    return code.replace("_", " ").replace("-", " ")


def _fingerprinted(document: PolicyDocument) -> dict[str, Any]:
    """The document as its fingerprint reads it: sections, parameters, conditions and actions
    added to the format later are left out while unset, so a policy written before them keeps
    its fingerprint (and the cases evaluated under it stay under it)."""
    dumped: dict[str, Any] = document.model_dump(mode="json", by_alias=True)
    for name in ("categories", "languages", "root_causes", "knowledge", "ola"):
        if not dumped.get(name):
            dumped.pop(name, None)
    for rule in dumped.get("rules", ()):
        _drop_unset(rule, _LATER_PARAMETERS)
        conditions = rule.get("if")
        if isinstance(conditions, dict):
            _drop_unset(conditions, _LATER_CONDITIONS)
        for action in rule.get("do", ()):
            if isinstance(action, dict):
                _drop_unset(action, _LATER_ACTIONS)
    return dumped


def _drop_unset(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if data.get(name) is None:
            data.pop(name, None)
