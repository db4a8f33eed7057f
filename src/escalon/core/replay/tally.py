"""The roster figures of a replay: who was paged, who carried which escalation and when.

`RosterTally` counts, as a replay takes its decisions, who was paged, who carried which
escalation and when, which levels were skipped and which cases waited in a queue, and turns
that into the report's `roster` section (see docs/replay.md).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from escalon.core.engine import Action
from escalon.core.policy.compiled import Policy
from escalon.core.roster.staff import StaffRoster
from escalon.core.rotations import OVERRIDE
from escalon.core.state import from_us

# Shifts are looked up this far either side of the replayed span, so that a shift that began
# before the first event or ends after the last one is reported with its real bounds.
SHIFT_MARGIN_US = 31 * 24 * 3_600_000_000


@dataclass(slots=True)
class _Person:
    paged: int = 0
    escalations: int = 0
    assigned: int = 0
    # When they were paged, and when they took on an escalation (µs, in the order taken).
    paged_at: list[int] = field(default_factory=list)
    carried_at: list[int] = field(default_factory=list)


def _firing(key: str) -> str:
    """The firing an action belongs to: a rule's actions share their key up to the position."""
    head, _, last = key.rpartition("|")
    return head if head and last.isdigit() else key


class RosterTally:
    """The roster figures of a replay, counted decision by decision."""

    def __init__(self, roster: StaffRoster) -> None:
        self.roster = roster
        self.people: dict[str, _Person] = {}
        for team in roster.teams:
            for member in team.members:
                self.people.setdefault(member.handle, _Person())
        for handle in roster.timezones:
            self.people.setdefault(handle, _Person())
        self.skipped_levels: Counter[str] = Counter()
        self.queued_by_team: Counter[str] = Counter()
        self.queued_cases: set[str] = set()

    def person(self, handle: str) -> _Person:
        found = self.people.get(handle)
        if found is None:
            found = self.people[handle] = _Person()
        return found

    def take(self, actions: Sequence[Action], assignee: str | None) -> None:
        """Count the actions of one engine call on a case that `assignee` held before it."""
        # An escalation is carried by whoever its assignment gives the case to, and by everyone
        # the notifications of the same firing reach (before or after it in the rule).
        escalations = {action.key: action for action in actions if action.action == "escalate"}
        firings = {_firing(key): key for key in escalations}
        carriers: dict[str, set[str]] = {}
        for action in actions:
            kind = action.action
            details = action.details
            if kind == "assign":
                chosen = details.get("assignee")
                if chosen is None:
                    self.queued_cases.add(action.case)
                    self.queued_by_team[str(details.get("team"))] += 1
                elif chosen != assignee:
                    self.person(chosen).assigned += 1
                assignee = chosen
                escalated = action.key.removesuffix("|assign")
                if chosen is not None and escalated in escalations:
                    carriers.setdefault(escalated, set()).add(chosen)
            elif kind == "notify":
                reached = details.get("reached")
                if not reached:
                    continue
                people = dict.fromkeys(handle for handles in reached.values() for handle in handles)
                for handle in people:
                    person = self.person(handle)
                    person.paged += 1
                    person.paged_at.append(action.at)
                paging = firings.get(_firing(action.key))
                if paging is not None:
                    carriers.setdefault(paging, set()).update(people)
            elif kind == "skip_level":
                self.skipped_levels[str(details.get("level"))] += 1
        for key, handles in carriers.items():
            at = escalations[key].at
            for handle in sorted(handles):
                person = self.person(handle)
                person.escalations += 1
                person.carried_at.append(at)

    def report(self, policy: Policy, start: int | None, end: int | None) -> dict[str, Any]:
        """The `roster` section over the replayed span [start, end]."""
        order = {level.name: position for position, level in enumerate(policy.levels)}
        for person in self.people.values():
            person.paged_at.sort()
            person.carried_at.sort()
        shifts = self.shifts(start, end) if start is not None and end is not None else []
        return {
            "people": {
                handle: {
                    "paged": person.paged,
                    "escalations": person.escalations,
                    "assigned": person.assigned,
                }
                for handle, person in sorted(self.people.items())
            },
            "shifts": shifts,
            "days": self.days(),
            "skipped_levels": {
                name: self.skipped_levels[name]
                for name in sorted(self.skipped_levels, key=lambda n: (order.get(n, len(order)), n))
            },
            "queued": {
                "cases": len(self.queued_cases),
                "by_team": dict(sorted(self.queued_by_team.items())),
            },
        }

    def shifts(self, start: int, end: int) -> list[dict[str, Any]]:
        """Every on-call shift of the roster's rotations that overlaps [start, end]."""
        found = []
        for team, rotation in self.roster.rotations():
            zones = {layer.name: layer.timezone for layer in rotation.layers}
            fallback = rotation.layers[-1].timezone
            window = rotation.schedule(start - SHIFT_MARGIN_US, end + SHIFT_MARGIN_US + 1)
            for shift in window:
                if shift.end <= start or shift.start > end:
                    continue
                person = self.people.get(shift.person) or _Person()
                zone = fallback if shift.source == OVERRIDE else zones.get(shift.source, fallback)
                found.append(
                    {
                        "team": team,
                        "person": shift.person,
                        "source": shift.source,
                        "start": from_us(shift.start).astimezone(zone).isoformat(),
                        "end": from_us(shift.end).astimezone(zone).isoformat(),
                        "paged": _within(person.paged_at, shift.start, shift.end),
                        "escalations": _within(person.carried_at, shift.start, shift.end),
                    }
                )
        return found

    def days(self) -> list[dict[str, Any]]:
        """Pages and escalations taken while not on call, per person and local day."""
        rotations = [rotation for _, rotation in self.roster.rotations()]
        found: list[dict[str, Any]] = []
        for handle, person in sorted(self.people.items()):
            zone = self.roster.timezone(handle)
            days: dict[str, list[int]] = {}
            for slot, instants in enumerate((person.paged_at, person.carried_at)):
                for at in instants:
                    if any(rotation.on_call(at) == handle for rotation in rotations):
                        continue
                    day = from_us(at).astimezone(zone).date().isoformat()
                    days.setdefault(day, [0, 0])[slot] += 1
            found.extend(
                {"person": handle, "day": day, "paged": paged, "escalations": carried}
                for day, (paged, carried) in sorted(days.items())
            )
        return found


def _within(instants: list[int], start: int, end: int) -> int:
    """How many of the (sorted) instants fall in [start, end)."""
    return bisect.bisect_left(instants, end) - bisect.bisect_left(instants, start)


def busiest(items: Iterable[dict[str, Any]], count: int = 5) -> list[dict[str, Any]]:
    """The entries with the most escalations carried, then pages (for the summary)."""
    ranked = [item for item in items if item["escalations"] or item["paged"]]
    ranked.sort(key=lambda item: (-item["escalations"], -item["paged"]))
    return ranked[:count]
