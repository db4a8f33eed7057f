"""Recipients, in one place: the names a policy notifies, what they mean on a case now, whom
they reach, how they read in English and on a timeline, and what is wrong with a bad one.

A policy names recipients with a word (`assignee`, `level_team`, `supervisor`) or a reference
(`team:NAME`, `person:HANDLE`, `on_call:TEAM`, `webhook:NAME`). On a case a word becomes a
reference; a staffing then says which people a reference reaches at an instant; the outbox turns
those people (or the webhook) into addresses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from escalon.core.rules.words import quoted, unknown

if TYPE_CHECKING:
    from escalon.core.policy.model import LevelSpec
    from escalon.core.staffing import Staffing

WORDS = {
    "assignee": "the assignee",
    "level_team": "the level's team",
    "supervisor": "the team of the level above",
}
KINDS = {
    "team": "the {} team",
    "person": "person {}",
    "on_call": "whoever is on call in {}",
    "webhook": "the {} webhook",
}
PEOPLE_KINDS = ("team", "on_call")  # references that reach whoever of a team is there


def split(recipient: str) -> tuple[str, str]:
    """`team:support` -> (`team`, `support`); a word has no name: (`assignee`, ``)."""
    kind, _, name = recipient.partition(":")
    return kind, name


def on_case(name: str, levels: Sequence[LevelSpec], level: int, assignee: str | None) -> str:
    """The reference a policy's name means on a case now (`assignee` -> `person:ana`)."""
    if name == "assignee":
        if assignee is not None:
            return f"person:{assignee}"
        return f"team:{levels[level].team}"
    if name == "level_team":
        return f"team:{levels[level].team}"
    if name == "supervisor":
        return f"team:{levels[min(level + 1, len(levels) - 1)].team}"
    return name


def reach(staffing: Staffing, recipient: str, at_us: int) -> list[str]:
    """The people a reference reaches at the instant: a team whoever of it is present,
    `on_call` the person on call (else whoever is present), a person themself.

    Empty when nobody is: the outbox then writes to every member.
    """
    kind, name = split(recipient)
    if kind == "person":
        return [name]
    if kind == "on_call":
        person = staffing.on_call(name, at_us)
        if person is not None:
            return [person]
        return staffing.present(name, at_us)
    if kind == "team":
        return staffing.present(name, at_us)
    return []


def notice_details(
    recipients: Iterable[str], staffing: Staffing | None, at_us: int
) -> dict[str, Any]:
    """A notify action's details: its references once each, and whom each reached when the
    engine knows the staffing."""
    unique: list[str] = []
    for recipient in recipients:
        if recipient not in unique:  # a handful of names: a list beats a dict here
            unique.append(recipient)
    details: dict[str, Any] = {"recipients": unique}
    if staffing is not None:
        details["reached"] = {name: reach(staffing, name, at_us) for name in unique}
    return details


def english(name: str) -> str:
    """A recipient in a sentence: `on_call:specialists` -> `whoever is on call in specialists`."""
    if name in WORDS:
        return WORDS[name]
    kind, colon, rest = name.partition(":")
    if colon and kind in KINDS:
        return KINDS[kind].format(rest)
    return quoted(name)


def short(recipient: str) -> str:
    """A reference on a timeline: `person:sara` -> `sara`, `team:tier2` -> `team tier2`."""
    kind, name = split(recipient)
    if kind == "person" and name:
        return name
    if kind == "team" and name:
        return f"team {name}"
    return recipient.replace("_", " ")


def problem(name: str, teams: Collection[str] | None) -> str | None:
    """What is wrong with a recipient a policy names (None: nothing); `teams` are the teams
    the roster knows, when it is known."""
    if name in WORDS:
        return None
    kind, colon, rest = name.partition(":")
    if not colon or kind not in KINDS:
        choices = [*WORDS, *(f"{k}:NAME" for k in KINDS)]
        return f"unknown recipient '{name}'; use one of {', '.join(choices)}"
    if not rest.strip():
        return f"'{name}' names nobody: write {kind}:NAME"
    if kind in PEOPLE_KINDS and teams is not None and rest not in teams:
        return unknown("team", rest, sorted(teams), "teams")
    return None
