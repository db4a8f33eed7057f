"""Validate a policy document completely: every problem at once, with file, line and field path.

Each section is validated on its own, so a broken rule does not hide a broken SLA, and the
cross-reference checks run over whatever sections are sound. Only a document without a single
error becomes a `Policy`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from escalon.core.calendar import Calendar
from escalon.core.documents import describe
from escalon.core.policy.model import (
    CALENDAR_FORMS,
    METRICS,
    TRIGGERS,
    TRIGGERS_WITH_METRIC,
    ActionSpec,
    CategoryName,
    CategorySpec,
    Conditions,
    KnowledgeSpec,
    Languages,
    LevelSpec,
    Name,
    OlaSpec,
    PolicyDocument,
    PrioritySpec,
    RootCauseCode,
    RootCauseLabel,
    RootCauseSpec,
    RuleSpec,
    SlaSpec,
    SlaWhen,
    Targets,
    Version,
)
from escalon.core.policy.source import Path, Problem, SourceMap, format_path, read_yaml
from escalon.core.rules import (
    ACTIONS,
    CONDITIONS,
    PARAMETERS,
    READING,
    READING_CONDITIONS,
    TEXT,
    TEXT_TRIGGERS,
    takers,
)
from escalon.core.rules import TRIGGERS as TRIGGER_RULES
from escalon.core.rules.words import both, names_of, suggest, unknown
from escalon.core.signals import DETECTED_LANGUAGES, READ_LANGUAGES

_SECTIONS: tuple[type[BaseModel], ...] = (
    PolicyDocument,
    PrioritySpec,
    LevelSpec,
    SlaSpec,
    SlaWhen,
    Targets,
    RuleSpec,
    Conditions,
    ActionSpec,
    CategorySpec,
    # The actions' own settings (`escalate: {up: 1}`...).
    *(
        action.annotation
        for action in ACTIONS.values()
        if isinstance(action.annotation, type) and issubclass(action.annotation, BaseModel)
    ),
)
_ALL_FIELDS = sorted(
    {
        name
        for model in _SECTIONS
        for name, info in model.model_fields.items()
        for name in (info.alias or name,)
    }
    | {"raise", "timezone", "hours", "holidays"}
)

Model = TypeVar("Model", bound=BaseModel)


@dataclass(slots=True)
class CheckResult:
    """What `policy check` found: the problems (errors), the warnings and the document if sound."""

    source: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    document: PolicyDocument | None = None
    calendars: dict[str, Calendar] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the policy may be applied."""
        return not self.errors and self.document is not None


class _Checker:
    def __init__(self, source: str, lines: SourceMap) -> None:
        self.source = source
        self.lines = lines
        self.result = CheckResult(source)

    def error(self, path: Path, message: str) -> None:
        self.result.errors.append(
            Problem(self.source, self.lines.line_of(path), format_path(path), message)
        )

    def warn(self, path: Path, message: str) -> None:
        self.result.warnings.append(
            Problem(self.source, self.lines.line_of(path), format_path(path), message)
        )

    def section(self, model: type[Model], data: Any, path: Path) -> Model | None:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            self._pydantic(error, path)
            return None

    def adapt(self, adapter: TypeAdapter[Any], data: Any, path: Path) -> Any:
        try:
            return adapter.validate_python(data)
        except ValidationError as error:
            self._pydantic(error, path)
            return None

    def _pydantic(self, error: ValidationError, path: Path) -> None:
        for item in error.errors(include_url=False):
            # A mapping's key is checked at `(..., key, "[key]")`: the key alone says where.
            loc: Path = (*path, *(part for part in item["loc"] if part not in _NO_PATH))
            self.error(*_explain(loc, item))


# Parts of Pydantic's error locations that name no field: dict keys and union forms' tags.
_NO_PATH = frozenset({"[key]", *CALENDAR_FORMS})


def _explain(loc: Path, item: Any) -> tuple[Path, str]:
    """Turn one Pydantic error into words a policy author can act on."""
    kind: str = item["type"]
    value = item.get("input")
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return loc, "is required but missing"
    if kind == "extra_forbidden":
        if name == "on":
            return loc, (
                "unknown field 'on': write 'trigger' (YAML 1.1 reads a bare 'on' as true, so "
                "the format calls it 'trigger')"
            )
        return loc, f"unknown field '{name}'{_suggest(name, _ALL_FIELDS)}"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        # Text choices come quoted; a lone boolean (`customer: true`) comes bare.
        choices = re.findall(r"'([^']*)'", expected) or [expected.lower()]
        what = {"trigger": "trigger", "metric": "metric", "strategy": "strategy"}.get(name, "value")
        if isinstance(loc[-1], int) and len(loc) > 1 and loc[-2] == "pause_on":
            what = "pause status"
        return (
            loc,
            f"unknown {what} {value!r}{_suggest(str(value), choices)}; expected one of {', '.join(choices)}",
        )
    if kind in {"value_error", "assertion_error"}:
        message = str(item["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return loc, message
    if kind in {"string_type"} and name == "calendar":
        return loc, (
            f"expected a calendar's name or {{customer: true, fallback: NAME}}, "
            f"got {describe(value)}"
        )
    if kind in {"string_type"}:
        return loc, f"expected text, got {describe(value)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return loc, f"expected a whole number, got {describe(value)}"
    if kind in {"float_type", "float_parsing"}:
        return loc, f"expected a number, got {describe(value)}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return loc, f"expected a mapping (key: value), got {describe(value)}"
    if kind in {"list_type", "tuple_type"}:
        return loc, f"expected a list, got {describe(value)}"
    if kind == "too_short":
        return loc, "must not be empty"
    if kind == "string_too_short":
        return loc, "must not be empty"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        return (
            loc,
            f"{describe(value)} is out of range: {item['msg'].lower().replace('input ', '')}",
        )
    return loc, str(item["msg"])


def _quietly(model: type[Model], data: Any) -> Model | None:
    """Validate without reporting: its problems were reported with the enclosing section."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


_suggest = suggest
_names_of = names_of


_TOP_LEVEL = ("name", "version", "calendars", "priority", "levels", "teams", "slas", "rules")
# Optional sections added later, left out of the short list a malformed file is shown.
_KNOWN_TOP_LEVEL = (*_TOP_LEVEL, "categories", "root_causes", "languages", "knowledge", "ola")
_REQUIRED = ("name", "version", "calendars", "priority", "levels", "slas")
_NAME: TypeAdapter[str] = TypeAdapter(Name)
_VERSION: TypeAdapter[str] = TypeAdapter(Version)
_TEAMS: TypeAdapter[tuple[str, ...]] = TypeAdapter(tuple[Name, ...])


def check_text(text: str, source: str) -> CheckResult:
    """Check the text of a policy file; the result holds the document only if it has no errors."""
    data, lines, problems = read_yaml(text, source)
    checker = _Checker(source, lines)
    checker.result.errors.extend(problems)
    if data is None:
        return checker.result
    if not isinstance(data, dict):
        checker.error(
            (),
            f"a policy is a mapping of sections ({', '.join(_TOP_LEVEL)}), not {describe(data)}",
        )
        return checker.result
    _check_document(checker, data)
    if not checker.result.errors:
        try:
            checker.result.document = PolicyDocument.model_validate(data)
        except ValidationError as error:  # pragma: no cover - sections were validated one by one
            checker._pydantic(error, ())
    return checker.result


def _check_document(checker: _Checker, data: dict[Any, Any]) -> None:
    for key in data:
        if key not in _KNOWN_TOP_LEVEL:
            checker.error(
                (str(key),),
                f"unknown top-level section '{key}'{_suggest(str(key), _KNOWN_TOP_LEVEL)}",
            )
    for key in _REQUIRED:
        if key not in data:
            checker.error((key,), "is required but missing")

    if "name" in data:
        checker.adapt(_NAME, data["name"], ("name",))
    if "version" in data:
        checker.adapt(_VERSION, data["version"], ("version",))

    calendars = _check_calendars(checker, data.get("calendars"))
    priority = (
        checker.section(PrioritySpec, data["priority"], ("priority",))
        if "priority" in data
        else None
    )
    if priority is not None:
        _check_priority(checker, priority)
    levels = _check_levels(checker, data.get("levels"))
    teams = _check_teams(checker, data.get("teams", []), levels)
    categories = _check_categories(checker, data.get("categories", {}))
    slas = _check_slas(checker, data.get("slas"), calendars, priority, teams, categories)
    _check_rules(checker, data.get("rules", []), priority, levels, teams, categories, slas)
    _check_root_causes(checker, data.get("root_causes", {}))
    _check_languages(checker, data)
    if data.get("knowledge") is not None:
        checker.section(KnowledgeSpec, data["knowledge"], ("knowledge",))
    if data.get("ola") is not None:
        _check_ola(checker, data["ola"], teams, calendars)


def _check_ola(
    checker: _Checker, value: Any, teams: set[str] | None, calendars: set[str] | None
) -> None:
    """Each team's OLA on its own (one broken entry hides no other), its team and calendar."""
    if not isinstance(value, dict):
        checker.error(("ola",), f"expected a mapping of team names to OLAs, got {describe(value)}")
        return
    if len(value) > 200:
        checker.error(("ola",), f"at most 200 teams have an OLA; this lists {len(value)}")
        return
    for team, item in value.items():
        path: Path = ("ola", str(team))
        spec = checker.section(OlaSpec, item, path)
        if teams is not None and str(team) not in teams:
            checker.error(path, unknown("team", str(team), sorted(teams), "teams"))
        if spec is None:
            continue
        if calendars is not None and spec.calendar is not None and spec.calendar not in calendars:
            checker.error(
                (*path, "calendar"),
                f"unknown calendar '{spec.calendar}'{_suggest(spec.calendar, calendars)}; "
                f"calendars: {_names_of(sorted(calendars))}",
            )


_CATEGORIES: TypeAdapter[dict[str, CategorySpec]] = TypeAdapter(dict[CategoryName, CategorySpec])


def _check_categories(checker: _Checker, value: Any) -> tuple[str, ...] | None:
    """The declared categories (empty: none declared), or None when the section is broken."""
    if value is None:
        return ()
    categories = checker.adapt(_CATEGORIES, value, ("categories",))
    if categories is None:
        return None
    owners: dict[str, str] = {}
    for name, spec in categories.items():
        for index, keyword in enumerate(spec.keywords):
            folded = " ".join(keyword.casefold().split())
            first = owners.setdefault(folded, name)
            if first != name:
                checker.warn(
                    ("categories", name, "keywords", index),
                    f"keyword '{keyword}' is also a keyword of '{first}', which comes first "
                    "and wins",
                )
    return tuple(categories)


_ROOT_CAUSES: TypeAdapter[dict[str, str | RootCauseSpec]] = TypeAdapter(
    dict[RootCauseCode, RootCauseLabel | RootCauseSpec]
)


def _check_root_causes(checker: _Checker, value: Any) -> None:
    """The causes' codes and labels; two causes that read the same are a warning."""
    if value is None:
        return
    causes = checker.adapt(_ROOT_CAUSES, value, ("root_causes",))
    if causes is None:
        return
    seen: dict[str, str] = {}
    for code, spec in causes.items():
        label = spec if isinstance(spec, str) else spec.label
        if label is None:
            continue
        first = seen.setdefault(label.casefold(), code)
        if first != code:
            checker.warn(
                ("root_causes", code),
                f"root cause '{code}' reads '{label}', as '{first}' does: people cannot tell them apart",
            )


def _undeclared_categories(
    warn: Callable[[Path, str], None],
    names: Iterable[str],
    declared: tuple[str, ...] | None,
    path: Path,
) -> None:
    """Warn where a condition names a category that nothing in the policy gives a case."""
    if not declared:
        return  # without `categories`, category comes from the caller: any name may occur
    for index, name in enumerate(names):
        if name not in declared:
            warn(
                (*path, index),
                f"category '{name}' is not under 'categories' ({_names_of(declared)}){_suggest(name, declared)}: "
                "no keyword gives it, so only a classifier, an API client or a person can",
            )


def _items(checker: _Checker, value: Any, path: Path, *, required: bool = True) -> list[Any]:
    if value is None:
        if required:
            checker.error(path, "must be a list")
        return []
    if not isinstance(value, list):
        checker.error(path, f"expected a list, got {describe(value)}")
        return []
    return value


def _check_calendars(checker: _Checker, value: Any) -> set[str] | None:
    """Validate each calendar; return the names rules and SLAs may refer to."""
    if value is None:
        return None
    if not isinstance(value, dict):
        checker.error(
            ("calendars",),
            f"expected a mapping of calendar names to calendars, got {describe(value)}",
        )
        return None
    if not value:
        checker.error(("calendars",), "must define at least one calendar")
    for name, spec in value.items():
        path: Path = ("calendars", str(name))
        if not isinstance(spec, dict):
            checker.error(
                path, f"expected a calendar (timezone, hours, holidays), got {describe(spec)}"
            )
            continue
        problems = Calendar.validate(spec)
        for field_path, message in problems:
            checker.error((*path, *_split_path(field_path)), message)
        if not problems:
            checker.result.calendars[str(name)] = Calendar.from_dict(spec, name=str(name))
    # A broken calendar is still a known name: an SLA naming it is not a second error.
    return {str(name) for name in value}


def _split_path(text: str) -> Path:
    parts: list[str | int] = []
    for chunk in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        parts.append(int(chunk[1:-1]) if chunk.startswith("[") else chunk)
    return tuple(parts)


def _check_priority(checker: _Checker, priority: PrioritySpec) -> None:
    _unique(checker, priority.order, ("priority", "order"), "priority")
    if priority.default not in priority.order:
        checker.error(
            ("priority", "default"),
            f"unknown priority '{priority.default}'{_suggest(priority.default, priority.order)}; "
            f"the order lists {_names_of(priority.order)}",
        )
    given = {
        "impact": bool(priority.impact),
        "urgency": bool(priority.urgency),
        "matrix": bool(priority.matrix),
    }
    if any(given.values()) and not all(given.values()):
        missing = [key for key, present in given.items() if not present]
        checker.error(
            ("priority", missing[0]),
            "impact, urgency and matrix go together: give all three or none",
        )
        return
    _unique(checker, priority.impact, ("priority", "impact"), "impact")
    _unique(checker, priority.urgency, ("priority", "urgency"), "urgency")
    if priority.matrix and len(priority.matrix) != len(priority.impact):
        checker.error(
            ("priority", "matrix"),
            f"has {len(priority.matrix)} rows but impact lists {len(priority.impact)} values",
        )
    for row_index, row in enumerate(priority.matrix):
        if len(row) != len(priority.urgency):
            checker.error(
                ("priority", "matrix", row_index),
                f"has {len(row)} columns but urgency lists {len(priority.urgency)} values",
            )
        for column, cell in enumerate(row):
            if cell not in priority.order:
                checker.error(
                    ("priority", "matrix", row_index, column),
                    f"unknown priority '{cell}'{_suggest(cell, priority.order)}",
                )


def _unique(checker: _Checker, names: Iterable[str], path: Path, what: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            checker.error((*path, index), f"{what} '{name}' is listed twice")
        seen.add(name)


def _check_levels(checker: _Checker, value: Any) -> list[LevelSpec] | None:
    if value is None:
        return None
    raw = _items(checker, value, ("levels",))
    if isinstance(value, list) and not value:
        checker.error(("levels",), "must list at least one level")
    levels: list[LevelSpec] = []
    sound = True
    for index, item in enumerate(raw):
        level = checker.section(LevelSpec, item, ("levels", index))
        if level is None:
            sound = False
            continue
        levels.append(level)
    _unique(checker, (level.name for level in levels), ("levels",), "level")
    return levels if sound and raw else None


def _check_teams(checker: _Checker, value: Any, levels: list[LevelSpec] | None) -> set[str] | None:
    teams = checker.adapt(_TEAMS, value, ("teams",))
    if teams is not None:
        _unique(checker, teams, ("teams",), "team")
    if teams is None or levels is None:
        return None
    return {level.team for level in levels} | set(teams)


def _check_slas(
    checker: _Checker,
    value: Any,
    calendars: set[str] | None,
    priority: PrioritySpec | None,
    teams: set[str] | None,
    categories: tuple[str, ...] | None,
) -> list[SlaSpec] | None:
    """The sound SLAs (None when the section is missing)."""
    if value is None:
        return None
    raw = _items(checker, value, ("slas",))
    if isinstance(value, list) and not value:
        checker.warn(("slas",), "no SLAs: cases will have no clocks")
    slas: list[tuple[int, SlaSpec]] = []
    for index, item in enumerate(raw):
        sla = checker.section(SlaSpec, item, ("slas", index))
        if sla is not None:
            slas.append((index, sla))
    _unique(checker, (sla.name for _, sla in slas), ("slas",), "SLA")
    catch_all: str | None = None
    for index, sla in slas:
        path: Path = ("slas", index)
        named = sla.calendar_name
        if calendars is not None and named not in calendars:
            where = ("calendar", "fallback") if sla.follows_customer else ("calendar",)
            checker.error(
                (*path, *where),
                f"unknown calendar '{named}'{_suggest(named, calendars)}; "
                f"calendars: {_names_of(sorted(calendars))}",
            )
        when = sla.when
        if when is not None and priority is not None and when.priority is not None:
            _known(checker, when.priority, priority.order, (*path, "when", "priority"), "priority")
        if when is not None and teams is not None and when.team is not None:
            _known(checker, when.team, sorted(teams), (*path, "when", "team"), "team")
        if when is not None and when.category is not None:
            _undeclared_categories(
                checker.warn, when.category, categories, (*path, "when", "category")
            )
        if not any(sla.targets.get(metric) is not None for metric in METRICS):
            checker.warn((*path, "targets"), "sets no targets: this SLA tracks no clock")
        if catch_all is not None:
            checker.warn(path, f"is never chosen: SLA '{catch_all}' before it matches every case")
        elif when is None or not when.model_fields_set:
            catch_all = sla.name
    if slas and catch_all is None:
        checker.warn(
            ("slas",),
            "no SLA without 'when' catches the remaining cases: a case that matches none has no clocks",
        )
    return [sla for _, sla in slas]


def _known(
    checker: _Checker, names: Iterable[str], known: Iterable[str], path: Path, what: str
) -> None:
    choices = list(known)
    for index, name in enumerate(names):
        if name not in choices:
            checker.error(
                (*path, index),
                f"unknown {what} '{name}'{_suggest(name, choices)}; known: {_names_of(choices)}",
            )


def _check_rules(
    checker: _Checker,
    value: Any,
    priority: PrioritySpec | None,
    levels: list[LevelSpec] | None,
    teams: set[str] | None,
    categories: tuple[str, ...] | None = (),
    slas: list[SlaSpec] | None = None,
) -> None:
    raw = _items(checker, value, ("rules",), required=False)
    rules: list[tuple[int, RuleSpec]] = []
    kinds = {kind for level in levels or [] for kind in level.authority}
    targeted = (
        None
        if slas is None
        else {metric for sla in slas for metric in METRICS if sla.targets.get(metric) is not None}
    )
    context = _RuleContext(checker, priority, levels, teams, kinds, categories, targeted)
    for index, item in enumerate(raw):
        rule = checker.section(RuleSpec, item, ("rules", index))
        if rule is not None:
            rules.append((index, rule))
        elif isinstance(item, dict):
            context.check_sound_parts(("rules", index), item)
    _unique(checker, (rule.name for _, rule in rules), ("rules",), "rule")
    for index, rule in rules:
        context.check(("rules", index), rule)


@dataclass(slots=True)
class _RuleContext:
    """What the rule modules' checks may ask (see `escalon.core.rules.base.Checks`)."""

    checker: _Checker
    priority: PrioritySpec | None
    levels: list[LevelSpec] | None
    teams: set[str] | None
    authority_kinds: set[str]
    categories: tuple[str, ...] | None = ()
    targeted_metrics: set[str] | None = None  # metrics some SLA sets a target for
    rule_name: str | None = None  # the rule being checked, named in each warning

    @property
    def level_names(self) -> list[str] | None:
        return None if self.levels is None else [level.name for level in self.levels]

    @property
    def priorities(self) -> tuple[str, ...] | None:
        return None if self.priority is None else self.priority.order

    def error(self, path: Path, message: str) -> None:
        self.checker.error(path, message)

    def warn(self, path: Path, message: str) -> None:
        named = f" (rule '{self.rule_name}')" if self.rule_name else ""
        self.checker.warn(path, message + named)

    def known(self, names: Iterable[str], known: Iterable[str], path: Path, what: str) -> None:
        _known(self.checker, names, known, path, what)

    def undeclared_categories(self, names: Iterable[str], path: Path) -> None:
        _undeclared_categories(self.warn, names, self.categories, path)

    def check(self, path: Path, rule: RuleSpec) -> None:
        trigger = rule.trigger
        self.rule_name = rule.name
        self._source(path, rule)
        taken = TRIGGER_RULES[trigger]
        accepted = {parameter.name for parameter in taken.parameters}
        for name, parameter in PARAMETERS.items():
            given = rule.parameter(name) is not None
            if given and name not in accepted:
                taking = takers(name)
                verb = "take" if len(taking) > 1 else "takes"
                self.checker.error(
                    (*path, name), f"only {both(taking)} {verb} {parameter.noun}, not {trigger}"
                )
            elif not given and name in taken.required:
                self.checker.error((*path, name), parameter.needed.format(trigger=trigger))
        self._conditions((*path, "if"), rule.conditions, trigger)
        for index, action in enumerate(rule.do):
            self._action((*path, "do", index), action)

    def _source(self, path: Path, rule: RuleSpec) -> None:
        """Warn when nothing can ever set the rule's trigger off."""
        targeted = self.targeted_metrics
        if rule.trigger not in TRIGGERS_WITH_METRIC or targeted is None:
            return
        if rule.metric is not None and rule.metric not in targeted:
            self.warn(
                (*path, "metric"),
                f"no SLA sets a {rule.metric} target, so its clock never warns or breaches: "
                "the rule never fires",
            )
        elif rule.metric is None and not targeted:
            self.warn(
                (*path, "trigger"),
                "no SLA sets a target, so no clock ever warns or breaches: the rule never fires",
            )

    def check_sound_parts(self, path: Path, raw: dict[Any, Any]) -> None:
        """Cross-check the actions and conditions of a rule that failed elsewhere."""
        name = raw.get("name")
        self.rule_name = name if isinstance(name, str) else None
        actions = raw.get("do")
        for index, item in enumerate(actions if isinstance(actions, list) else []):
            action = _quietly(ActionSpec, item)
            if action is not None:
                self._action((*path, "do", index), action)
        conditions = _quietly(Conditions, raw.get("if", {}))
        trigger = raw.get("trigger")
        if conditions is not None and isinstance(trigger, str) and trigger in TRIGGERS:
            self._conditions((*path, "if"), conditions, trigger)

    def _conditions(self, path: Path, conditions: Conditions, trigger: str) -> None:
        for name in conditions.listed():
            condition = CONDITIONS[name]
            value = conditions.value(name)
            if condition.only_on is not None and trigger != condition.only_on:
                self.warn(
                    (*path, name), f"holds only on {condition.only_on}, so never on {trigger}"
                )
            if condition.check is not None:
                condition.check(self, (*path, name), value)
            if TEXT in condition.reads and trigger not in TEXT_TRIGGERS:
                self.warn(
                    (*path, name),
                    f"reads the customer's text, which {trigger} does not have: it never holds here",
                )

    def _action(self, path: Path, action: ActionSpec) -> None:
        kind = action.kind
        check = ACTIONS[kind].check
        if check is not None:
            check(self, (*path, kind), action.value)


_LANGUAGES: TypeAdapter[tuple[str, ...] | None] = TypeAdapter(Languages | None)
# Conditions whose answer comes from the detector's reading of the text, in its language.
_READING_CONDITIONS = READING_CONDITIONS


def _check_languages(checker: _Checker, data: dict[Any, Any]) -> None:
    """Warn where a rule reads intents or sentiment in a language the default detector cannot.

    A rule's languages are its `language` condition, or else the policy's `languages` (those
    its customers write); a rule that names neither relies on none in particular.
    """
    written = checker.adapt(_LANGUAGES, data.get("languages"), ("languages",))
    rules = data.get("rules")
    for index, raw in enumerate(rules if isinstance(rules, list) else []):
        conditions = _quietly(Conditions, raw.get("if", {})) if isinstance(raw, dict) else None
        if conditions is None:
            continue
        path: Path = ("rules", index, "if")
        for position, code in enumerate(conditions.value("language") or ()):
            if code not in DETECTED_LANGUAGES:
                checker.warn(
                    (*path, "language", position),
                    f"the detector never reports '{code}' (it tells "
                    f"{_names_of(DETECTED_LANGUAGES)}), so this rule never holds for it",
                )
        reads = [name for name in _READING_CONDITIONS if getattr(conditions, name) is not None]
        where_path: Path = (*path, "language") if conditions.value("language") else ()
        if reads and not where_path:
            where_path = (*path, reads[0])
        trigger = (
            TRIGGER_RULES.get(raw.get("trigger")) if isinstance(raw.get("trigger"), str) else None
        )
        if trigger is not None and READING in trigger.reads:
            # A trigger that reads the text itself (a fall of sentiment) relies on it too.
            reads.append(trigger.name)
            where_path = where_path or ("rules", index, "trigger")
        relied = conditions.value("language") or written or ()
        unread = [code for code in relied if code not in READ_LANGUAGES]
        if reads and unread:
            checker.warn(
                where_path,
                f"{' and '.join(reads)} relies on reading {_names_of(unread)}, which the default "
                f"detector does not read (it reads {_names_of(READ_LANGUAGES)}): in those "
                "languages it finds no intent and a neutral sentiment; a model trained on the "
                "team's own messages can",
            )
