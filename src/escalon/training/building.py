"""`escalon training build`'s service: reading a history and writing its scenarios safely.

The pure work (replay, skills, masking) is `escalon.core.training.building`; here the history
is read (a replay-format file, a TWCS export, or the database's stored cases) and each
scenario is written as `<id>.yaml` inside one folder, never outside it, never over a file that
is not a scenario unless the caller forces it.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from escalon.channels.importers import ImportRefused, read_csv, twcs_events
from escalon.core.events import Event, EventError, parse_event, parse_event_json
from escalon.core.policy import Policy
from escalon.core.training.scenario import Scenario, ScenarioInvalid, read_scenario

Format = Literal["events", "twcs"]
SUFFIX = ".yaml"
# How much of an existing file is read to tell whether it is a scenario we may replace.
_SNIFF_BYTES = 4096


class BuildRefused(ValueError):
    """The history cannot be read or the scenarios cannot be written (the message says why)."""


def sniff_format(path: Path) -> Format:
    """Which kind of history a file holds, from its first line: JSON events or a TWCS CSV."""
    first = _first_line(path)
    if first.lstrip().startswith("{"):
        return "events"
    header = {cell.strip().lower() for cell in next(csv.reader([first]), [])}
    if {"tweet_id", "author_id", "inbound", "text"} <= header:
        return "twcs"
    raise BuildRefused(
        f"{path}: neither replay events (JSON Lines) nor a TWCS CSV (its first line is "
        f"{first[:60]!r}); say which with --format"
    )


def read_history(
    path: Path, kind: Format, *, on_skip: Callable[[int, str], None]
) -> Iterator[Event]:
    """The events of a history file, in file order; BuildRefused when it cannot be read at all.

    Replay-format lines that are no event are handed to `on_skip` and left out, as the replay
    does, but a first line that is no event refuses the file: it is not of this kind.
    """
    try:
        if kind == "twcs":
            return iter(_twcs(path))
        return _events(path, on_skip)
    except OSError as error:
        raise BuildRefused(f"{path}: cannot read: {error.strerror or error}") from None


def history_lines(lines: Iterable[str], *, on_skip: Callable[[int, str], None]) -> Iterator[Event]:
    """Events from replay-format lines (the database's stored history)."""
    return _parsed(enumerate(lines, start=1), on_skip)


def _parsed(
    lines: Iterable[tuple[int, str | bytes]], on_skip: Callable[[int, str], None]
) -> Iterator[Event]:
    """The events of numbered lines; a line that is none is skipped and said."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            yield parse_event_json(line)
        except EventError as error:
            on_skip(number, str(error))


@dataclass(frozen=True, slots=True)
class StoredHistory:
    """The database's recent cases as replay events, and the policy they open under."""

    lines: list[str]
    cases: int
    cut: bool  # more cases were opened in the window than were told again
    policy: Policy | None  # the active policy (None: none is active)


def stored_history(session: Session, *, now: int, days: int) -> StoredHistory:
    """The cases opened in the last `days` days, told again from the audit trail."""
    from escalon.policies import service as policy_service
    from escalon.policies.history import history

    told = history(session, since=now - days * 86_400_000_000, until=now + 1)
    return StoredHistory(told.lines, told.cases, told.cut, policy_service.active(session))


def write_scenarios(
    scenarios: Iterable[Scenario], folder: Path, *, force: bool = False
) -> Iterator[Path]:
    """Write each scenario to `folder/<id>.yaml` (the folder is made), yielding each path.

    A file name comes from the scenario's id only and must land inside `folder`; an existing
    file is replaced only when it is itself a scenario, or with `force`. Each file is written
    whole or not at all (a temporary file renamed over it).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildRefused(f"{folder}: cannot make the folder: {error.strerror or error}") from None
    if not folder.is_dir():
        raise BuildRefused(f"{folder}: not a folder")
    root = folder.resolve()
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            raise BuildRefused(f"two scenarios have the id {scenario.id!r}")
        seen.add(scenario.id)
        target = scenario_path(root, scenario.id)
        _check_replaceable(target, force)
        _write_whole(target, scenario.to_yaml())
        yield target


def scenario_path(root: Path, scenario_id: str) -> Path:
    """Where a scenario of this id is written inside `root`; BuildRefused when it would not be
    inside (the id format allows no separators, but a file name is never trusted blindly)."""
    name = f"{scenario_id}{SUFFIX}"
    if Path(name).name != name or name.startswith("."):
        raise BuildRefused(f"{scenario_id!r} cannot be a file name")
    target = root / name
    if target.is_symlink() or target.resolve().parent != root:
        raise BuildRefused(f"{target}: refusing to write outside {root}")
    return target


def _check_replaceable(target: Path, force: bool) -> None:
    if not target.exists() or force:
        return
    if not target.is_file():
        raise BuildRefused(f"{target}: exists and is not a file; not replaced")
    try:
        with target.open("rb") as handle:
            text = handle.read(_SNIFF_BYTES * 50).decode("utf-8")
        read_scenario(text, str(target))
    except (OSError, UnicodeDecodeError, ScenarioInvalid):
        raise BuildRefused(
            f"{target}: exists and is not a scenario; not replaced (--force replaces it)"
        ) from None


def _write_whole(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".building-", suffix=SUFFIX)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise BuildRefused(f"{target}: cannot write: {error.strerror or error}") from None


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        raise BuildRefused(f"{path}: cannot read: {error.strerror or error}") from None
    if not head.strip():
        raise BuildRefused(f"{path}: is empty")
    text = head.decode("utf-8-sig", errors="replace")
    return next((line for line in text.splitlines() if line.strip()), "")


def _twcs(path: Path) -> list[Event]:
    """Every event of a TWCS export (the importer reads all rows before the first comes out)."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        try:
            return [parse_event(event) for event in twcs_events(read_csv(source))]
        except ImportRefused as error:
            raise BuildRefused(f"{path}: {error}") from None
        except csv.Error as error:
            raise BuildRefused(f"{path}: not readable as CSV: {error}") from None
        except UnicodeDecodeError as error:
            raise BuildRefused(f"{path}: not UTF-8 text ({error.reason})") from None
        except EventError as error:
            raise BuildRefused(f"{path}: {error}") from None


def _events(path: Path, on_skip: Callable[[int, str], None]) -> Iterator[Event]:
    source = path.open("rb")
    lines = enumerate(source, start=1)
    # The first event is read now, so that a file of another kind is refused before any work.
    first: Event | None = None
    for number, line in lines:
        if not line.strip():
            continue
        try:
            first = parse_event_json(line)
        except EventError as error:
            source.close()
            raise BuildRefused(f"{path}:{number}: not a replay event: {error}") from None
        break
    return _rest(source, first, lines, on_skip)


def _rest(
    source: Iterable[bytes],
    first: Event | None,
    lines: Iterator[tuple[int, bytes]],
    on_skip: Callable[[int, str], None],
) -> Iterator[Event]:
    try:
        if first is not None:
            yield first
        yield from _parsed(lines, on_skip)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
