"""What a trigger, a condition and an action declare: the shapes of the rule registry.

Each rule module builds one of these; the policy model, the checker, the engine, the replay and
the policy's English read them, so a new trigger, condition or action is one module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from escalon.core.rules.words import unknown

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

Path = tuple[str | int, ...]
# The engine's hooks: whether a condition holds, what an action does, how a trigger riding on an
# event reacts to it (with the indices of the rules listening to it).
Holds = Callable[["Run", Any, "Firing"], bool]
Act = Callable[["Run", Any, str, "Firing", str, int], None]
React = Callable[["Run", tuple[int, ...], "Firing", int], None]

# What a rule reads of the triggering message, beyond the case itself.
TEXT = "text"  # the customer's words
SIGNALS = "signals"  # the detector's reading of them (intents, sentiment, language)
READING = "reading"  # a reading that needs the detector to read the text's language


class Checks(Protocol):
    """What a rule module's policy checks may ask of the checker, for the rule being checked."""

    @property
    def level_names(self) -> list[str] | None:
        """The levels' names, in order (None when the levels are broken)."""
        ...

    @property
    def teams(self) -> set[str] | None:
        """Every team the policy knows (None when unknown)."""
        ...

    @property
    def priorities(self) -> tuple[str, ...] | None:
        """The priorities in order (None when the section is broken)."""
        ...

    @property
    def authority_kinds(self) -> set[str]:
        """The kinds of authority some level grants."""
        ...

    @property
    def categories(self) -> tuple[str, ...] | None:
        """The declared categories (empty: none declared; None: the section is broken)."""
        ...

    def error(self, path: Path, message: str) -> None:
        """Report an error at `path`."""
        ...

    def warn(self, path: Path, message: str) -> None:
        """Report a warning at `path` (the rule's name is added)."""
        ...

    def known(self, names: Iterable[str], known: Iterable[str], path: Path, what: str) -> None:
        """An error for each of `names` that is not among `known`."""
        ...

    def undeclared_categories(self, names: Iterable[str], path: Path) -> None:
        """A warning for each category that nothing in the policy gives a case."""
        ...


def check_name(
    checks: Checks,
    path: Path,
    name: str | None,
    known: Sequence[str] | None,
    what: str,
    plural: str,
) -> None:
    """An error at `path` when `name` is given and, the names being known, is none of them."""
    if name is not None and known is not None and name not in known:
        checks.error(path, unknown(what, name, known, plural))


@dataclass(frozen=True, slots=True)
class Parameter:
    """A field of a rule that only some triggers take (`metric`, `after`, `by`)."""

    name: str
    annotation: Any  # the field's Pydantic type; the rule holds it or None
    noun: str  # as the checker names it: "a metric", "'after'"
    needed: str = ""  # the checker's words when a trigger needs it: "{trigger} needs ..."
    # Part of the policy's fingerprint even while unset (the format's first fields); a field
    # added later is left out while unset, so older policies keep their fingerprint.
    fingerprinted_unset: bool = False


@dataclass(frozen=True, slots=True)
class TriggerRule:
    """Something that sets rules off."""

    name: str
    clause: Callable[[Mapping[str, Any]], str]  # the English after `When`, from the parameters
    # What set a notice off, after `Rule "x": `, as staff read it; `{metric}` names the clock.
    cause: str = ""
    # A staff notice's subject for it, in a few words (`{metric}` names the clock); "": the
    # rule's name.
    headline: str = ""
    parameters: tuple[Parameter, ...] = ()
    required: frozenset[str] = frozenset()  # parameters it cannot do without
    carries_text: bool = False  # conditions on the customer's text may hold on it
    reads: frozenset[str] = frozenset()  # what of the message the trigger itself reads
    urgent: bool = False  # its notifications go out at once, whatever the batching
    timed: bool = False  # it happens at an instant the engine computes, not on an event
    # The event trigger whose firing sets this one off too, and the engine's hook then:
    # react(run, rule indices, the event's firing, instant).
    rides_on: str | None = None
    react: React | None = None


@dataclass(frozen=True, slots=True)
class ConditionRule:
    """One condition of a rule's `if`."""

    name: str
    annotation: Any  # the field's Pydantic type (a rule holds it or None)
    holds: Holds  # the engine's hook: whether it holds now
    phrase: Callable[[object], str]  # the clause in English, from the value as written
    reads: frozenset[str] = frozenset()
    only_on: str | None = None  # the one trigger that carries what it reads
    check: Callable[[Checks, Path, Any], None] | None = None
    cost: int = 0  # the engine tries cheap conditions first: 0 the case, 1 the event, 2 a reading
    fingerprinted_unset: bool = True


@dataclass(frozen=True, slots=True)
class ActionRule:
    """One action a rule's `do` may take."""

    name: str
    annotation: Any  # the field's Pydantic type (an action holds exactly one)
    # The engine's hook: act(run, value, rule name, firing, key, instant).
    act: Act
    phrase: Callable[[object], str]  # the imperative in English, from the value as written
    check: Callable[[Checks, Path, Any], None] | None = None
    fingerprinted_unset: bool = True
