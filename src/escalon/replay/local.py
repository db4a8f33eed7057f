"""A replay in this process: the detector it needs, its `--until`, and its decisions written."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pydantic_core import to_json

from escalon.core.engine import Action
from escalon.core.forecast.breach import BreachModel
from escalon.core.organisations import Organisations
from escalon.core.policy import Policy
from escalon.core.replay import Replay
from escalon.core.roster import StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.core.state import to_us

# While replaying, the cycle collector looks at the youngest objects only once at least this
# many have piled up (Python's default is 700). The replay makes millions of short-lived tuples
# and keeps every case's state, so at the default pace a seventh of its time went to walking
# states that live on (at 100,000, a fiftieth); it makes no cycles to speak of, and those it
# makes are still collected.
_YOUNG_OBJECTS = 100_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cycle collector's youngest generation less often inside the block."""
    first, *older = gc.get_threshold()
    if first:  # 0: collection is switched off, and stays so
        gc.set_threshold(max(first, _YOUNG_OBJECTS), *older)
    try:
        yield
    finally:
        gc.set_threshold(first, *older)


def needs_detector(policy: Policy, model: Path | None) -> bool:
    """Whether a replay reads messages' signals: the policy asks for them, or a model is given."""
    return policy.uses_text_signals or model is not None


def detector(model: Path | None) -> TextAnalyzer:
    """The detector of a model file from `escalon triage train` (None: the built-in one)."""
    from escalon.triage import load_analyzer  # its models load slowly: only when needed

    analyzer: TextAnalyzer = load_analyzer(str(model) if model is not None else None)
    return analyzer


def parse_until(text: str) -> int:
    """`--until` as µs; ValueError says what is wrong (not ISO 8601, or no UTC offset)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--until {text!r} is not an ISO 8601 instant, e.g. 2026-12-01T09:00:00+01:00"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"--until {text!r} needs a UTC offset, e.g. {text}+01:00 or {text}Z")
    return to_us(moment)


def replay_here(
    policy: Policy,
    lines: Iterable[tuple[int, str | bytes]],
    *,
    analyzer: TextAnalyzer | None,
    until: int | None,
    decisions: IO[bytes] | None,
    on_skip: Callable[[int, str], None],
    roster: StaffRoster | None = None,
    breach_model: BreachModel | None = None,
    organisations: Organisations | None = None,
) -> dict[str, Any]:
    """Replay numbered lines in this process, writing each decision (JSON Lines); the report."""

    def on_action(action: Action) -> None:
        if decisions is not None:
            decisions.write(to_json(action.record()))
            decisions.write(b"\n")

    runner = Replay(
        policy,
        analyzer=analyzer,
        until=until,
        on_action=on_action if decisions is not None else None,
        on_skip=on_skip,
        roster=roster,
        breach_model=breach_model,
        organisations=organisations,
    )
    with fewer_collections():
        runner.feed(lines)
        return runner.finish()
