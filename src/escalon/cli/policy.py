"""`escalon policy`: check a policy file and summarise it on one screen."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from escalon.core.durations import format_duration
from escalon.core.policy import CheckResult, check_text, read_policy_file
from escalon.core.policy.model import METRICS, ActionSpec, RuleSpec

app = typer.Typer(help="Policies: check a file and see what it says.", no_args_is_help=True)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The policy file (YAML or JSON).")],
) -> None:
    """Report every error at once (exit 1), or summarise the policy (exit 0)."""
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        text = read_policy_file(file)
    except OSError as error:
        err.print(f"{file}: cannot read the policy: {error.strerror or error}")
        raise typer.Exit(1) from None
    except UnicodeDecodeError:
        err.print(f"{file}: cannot read the policy: it is not UTF-8 text")
        raise typer.Exit(1) from None
    result = check_text(text, str(file))
    if not result.ok:
        for problem in result.errors:
            err.print(f"[red]error[/red] {problem}", markup=True, soft_wrap=True)
        for problem in result.warnings:
            err.print(f"[yellow]warning[/yellow] {problem}", markup=True, soft_wrap=True)
        err.print(f"{file}: {len(result.errors)} error(s); nothing of this policy can be applied")
        raise typer.Exit(1)
    print_summary(out, result)


def print_summary(console: Console, result: CheckResult) -> None:
    """One screen: calendars, priorities, levels, SLAs with their targets, rules, warnings."""
    document = result.document
    assert document is not None
    console.print(f"[bold]{document.name}[/bold] version {document.version}  ({result.source})")
    calendars = "; ".join(
        f"{name} ({_calendar_line(spec)})" for name, spec in document.calendars.items()
    )
    console.print(f"Calendars: {calendars}")
    priority = document.priority
    matrix = (
        f", impact x urgency matrix {len(priority.impact)}x{len(priority.urgency)}"
        if priority.matrix
        else ""
    )
    console.print(f"Priorities: {' > '.join(priority.order)}, default {priority.default}{matrix}")

    console.print("Levels (lowest first):")
    level_rows = []
    for index, level in enumerate(document.levels):
        authority = ", ".join(
            f"{kind} {'unlimited' if amount == float('inf') else f'{amount:g}'}"
            for kind, amount in level.authority.items()
        )
        level_rows.append(
            [f"{index}", level.name, f"team {level.team}", authority or "no authority"]
        )
    _columns(console, level_rows)
    level_teams = {level.team for level in document.levels}
    extra_teams = [team for team in document.teams if team not in level_teams]
    if extra_teams:
        console.print(f"Other teams: {', '.join(extra_teams)}")

    console.print("SLAs (first match wins):")
    sla_rows = []
    for sla in document.slas:
        when = "any case"
        if sla.when is not None and sla.when.model_fields_set:
            when = ", ".join(
                f"{key} {'/'.join(values)}"
                for key, values in sla.when.model_dump(exclude_none=True).items()
            )
        targets = [
            f"{label} {format_duration(target) if (target := sla.targets.get(metric)) else '-'}"
            for label, metric in zip(_METRIC_LABELS, METRICS, strict=True)
        ]
        sla_rows.append([sla.name, when, sla.calendar, f"warn {sla.warn_at:.0%}", *targets])
    _columns(console, sla_rows)

    if document.categories:
        categories = "; ".join(
            f"{name} ({len(spec.keywords)} keyword{'' if len(spec.keywords) == 1 else 's'})"
            for name, spec in document.categories.items()
        )
        console.print(f"Categories (first keyword match wins): {escape(categories)}")
    console.print(f"Rules ({len(document.rules)}, in file order):")
    for number, rule in enumerate(document.rules, start=1):
        actions = "; ".join(_action_line(action) for action in rule.do)
        console.print(f"  {number:>2}. {rule.name}: {_trigger_line(rule)} -> {actions}")
    for problem in result.warnings:
        console.print(f"[yellow]warning[/yellow] {problem}")
    warnings = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    console.print(f"OK: no errors{warnings}.")


_METRIC_LABELS = ("first", "next", "update", "resolve")


def _columns(console: Console, rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        console.print("  " + "  ".join(cells).rstrip(), markup=False)


def _calendar_line(spec: dict[str, Any]) -> str:
    zone = spec.get("timezone", "?")
    hours = spec.get("hours")
    holidays = spec.get("holidays") or []
    extra = f", {len(holidays)} holiday(s)" if holidays else ""
    if hours == "always":
        return f"{zone}, always open{extra}"
    if not isinstance(hours, dict):
        return f"{zone}{extra}"
    groups: list[tuple[list[str], str]] = []
    for day in _DAYS:
        intervals = hours.get(day)
        if not intervals:
            continue
        text = " ".join(intervals) if isinstance(intervals, list) else str(intervals)
        if (
            groups
            and groups[-1][1] == text
            and _DAYS.index(groups[-1][0][-1]) == _DAYS.index(day) - 1
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    days = ", ".join(
        f"{names[0].title()}-{names[-1].title()} {text}"
        if len(names) > 1
        else f"{names[0].title()} {text}"
        for names, text in groups
    )
    return f"{zone}, {days or 'never open'}{extra}"


def _trigger_line(rule: RuleSpec) -> str:
    text: str = rule.trigger
    if rule.metric:
        text += f" ({rule.metric})"
    if rule.after is not None:
        text += f" after {format_duration(rule.after)}"
    conditions = rule.conditions.model_dump(exclude_none=True)
    if conditions:
        parts = []
        for key, value in conditions.items():
            shown = "/".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            parts.append(f"{key} {shown}")
        text += " if " + ", ".join(parts)
    return text


def _action_line(action: ActionSpec) -> str:
    kind = action.kind
    value = getattr(action, kind)
    if kind == "escalate":
        if value.up is not None:
            return f"escalate up {value.up}"
        if value.to is not None:
            return f"escalate to {value.to}"
        return f"escalate to authority for {value.to_authority}"
    if kind == "route":
        return f"route to {value.team}"
    if kind == "set_priority":
        return (
            f"priority to {value.to}" if value.to is not None else f"raise priority {value.raise_}"
        )
    if kind == "assign":
        return f"assign {value.strategy}"
    if kind == "notify":
        return "notify " + ", ".join(value)
    if kind == "notify_customer":
        return f"tell customer ({value})"
    return "tag " + ", ".join(value)
