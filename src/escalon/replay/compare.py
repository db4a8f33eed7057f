"""`replay compare` in this process: two policies over one history, read once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from escalon.core.policy import Policy
from escalon.core.replay.compare import Comparison
from escalon.core.roster import StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.replay.local import fewer_collections


def compare_files(
    policies: Sequence[Policy],
    lines: Iterable[tuple[int, str | bytes]],
    analyzer: TextAnalyzer | None,
    until: int | None,
    rosters: Sequence[StaffRoster | None],
    on_skip: Callable[[int, str], None],
) -> dict[str, Any]:
    """The comparison of policies A and B over numbered event lines (see `Comparison`)."""
    first, second = policies
    comparison = Comparison(
        first,
        second,
        analyzer=analyzer,
        until=until,
        roster_a=rosters[0],
        roster_b=rosters[1],
        on_skip=on_skip,
    )
    with fewer_collections():
        comparison.feed(lines)
        return comparison.finish()
