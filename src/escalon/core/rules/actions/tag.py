"""`tag`: add tags to the case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalon.core.rules.base import ActionRule
from escalon.core.rules.fields import Names
from escalon.core.rules.words import both, names, quoted

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run


def _act(run: Run, tags: tuple[str, ...], rule: str, firing: Firing, key: str, at: int) -> None:
    state = run.state
    state.tags = tuple(dict.fromkeys((*state.tags, *tags)))
    run.record(at, rule, firing, "tag", key, {"tags": list(tags)})


def _phrase(value: object) -> str:
    return f"tag the case {both(quoted(tag) for tag in names(value))}"


RULE = ActionRule("tag", Names, _act, _phrase)
