"""`replay compare`: two policies over one history, on two cores when there are two.

From a file, policy B's side runs in a second process (forked, so it starts with everything
loaded) while this process runs policy A's; each reads the file itself, and B's result comes
back pickled. From standard input, or on one core, both sides run here on one read of the lines.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from escalon.core.policy import Policy
from escalon.core.replay.compare import Comparison, Side, SideResult, combine
from escalon.core.roster import StaffRoster
from escalon.core.signals import TextAnalyzer
from escalon.replay.jobs import worker_result
from escalon.replay.local import fewer_collections


def compare_files(
    policies: Sequence[Policy],
    lines: Iterable[tuple[int, str | bytes]],
    analyzer: TextAnalyzer | None,
    until: int | None,
    rosters: Sequence[StaffRoster | None],
    on_skip: Callable[[int, str], None],
    *,
    events: Path | None = None,
) -> dict[str, Any]:
    """The comparison of policies A and B over numbered event lines (see `Comparison`);
    `events`, a file the lines come from, lets B's side read it in a second process."""
    first, second = policies
    if events is not None and _two_cores():
        return _in_two_processes(first, second, events, analyzer, until, rosters, on_skip)
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


def _two_cores() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _in_two_processes(
    first: Policy,
    second: Policy,
    events: Path,
    analyzer: TextAnalyzer | None,
    until: int | None,
    rosters: Sequence[StaffRoster | None],
    on_skip: Callable[[int, str], None],
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="escalon-compare-"))
    result_path = folder / "b.pickle"
    try:
        other = Side(second, analyzer=analyzer, until=until, roster=rosters[1])
        context: Any = multiprocessing.get_context("fork")
        process = context.Process(target=_run_side, args=(other, events, result_path), daemon=True)
        process.start()
        mine = Side(first, analyzer=analyzer, until=until, roster=rosters[0], on_skip=on_skip)
        mine_result = _replay_side(mine, events)
        process.join()
        theirs = worker_result(result_path, process, "the comparison's second process")
        return combine(mine_result, theirs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _replay_side(side: Side, events: Path) -> SideResult:
    with events.open("rb") as source, fewer_collections():
        side.feed(enumerate(source, start=1))
        return side.finish()


def _run_side(side: Side, events: Path, result_path: Path) -> None:
    """The second process: replay one side and leave its result in a file."""
    try:
        outcome: tuple[str, Any] = ("ok", _replay_side(side, events))
    except BaseException:
        outcome = ("failed", traceback.format_exc())
    result_path.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
