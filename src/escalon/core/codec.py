"""A case's engine state as compact JSON, so the service can keep it in one database column.

Only what the engine decides from is written; caches of clock arithmetic are rebuilt on demand.
The format carries a version number so a stored state can be read by later releases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING
from typing import Any

from pydantic_core import to_json

from escalon.core.state import STORED_FIELDS, CaseState, ClockTally, Cycle, new_tuple

FORMAT = 1


class StateFormatError(ValueError):
    """A stored state that this release cannot read."""


# How the fields that JSON cannot hold as they are are written and read back; every other
# stored field of `CaseState` is written as it is.
_WRITE: dict[str, Callable[[Any], Any]] = {
    "clocks": lambda clocks: list(clocks.values()),
    # JSON keys are strings: rule indices are written as such and read back as numbers.
    "rule_marks": lambda marks: {str(index): number for index, number in marks.items()},
}
_READ: dict[str, Callable[[Any], Any]] = {
    "status_log": lambda log: tuple((at, status) for at, status in log),
    "clocks": lambda cycles: {cycle[0]: new_tuple(Cycle, cycle) for cycle in cycles},
    "tallies": lambda tallies: {
        metric: new_tuple(ClockTally, counts) for metric, counts in tallies.items()
    },
    "rule_marks": lambda marks: {int(index): number for index, number in marks.items()},
    "tags": tuple,
    "flags": tuple,
    "holder_log": lambda log: tuple(tuple(entry) for entry in log),
    "ola": lambda cycle: None if cycle is None else new_tuple(Cycle, cycle),
    "ola_tallies": lambda tallies: {
        team: new_tuple(ClockTally, counts) for team, counts in tallies.items()
    },
    "risk_looks": lambda looks: {key: (cycle, done) for key, (cycle, done) in looks.items()},
}


def _reader(*, complete: bool) -> Callable[[dict[str, Any]], CaseState]:
    """Build a state from stored data, generated from the stored fields like `_writer`.

    A field with a default was either always there or added later: a state stored before it
    gets the default. A field without one is the case's identity and must be there (a
    KeyError, reported as an incomplete state). A `complete` reader expects every field (a
    state this release wrote) and asks about none."""
    entries = []
    for item in STORED_FIELDS:
        name = item.name
        value = f"_READ[{name!r}](data[{name!r}])" if name in _READ else f"data[{name!r}]"
        optional = item.default is not MISSING or item.default_factory is not MISSING
        if optional and not complete:
            value = f"({value} if {name!r} in data else _DEFAULTS[{name!r}]())"
        entries.append(f"{name}={value}")
    defaults = {
        item.name: (
            item.default_factory
            if item.default_factory is not MISSING
            else (lambda value=item.default: value)
        )
        for item in STORED_FIELDS
    }
    namespace: dict[str, Any] = {"_READ": _READ, "_DEFAULTS": defaults, "CaseState": CaseState}
    exec(f"def read(data):\n    return CaseState({', '.join(entries)})\n", namespace)
    reader: Callable[[dict[str, Any]], CaseState] = namespace["read"]
    return reader


_read_complete = _reader(complete=True)
_read_any = _reader(complete=False)
_COMPLETE_SIZE = len(STORED_FIELDS) + 1  # with "v"


def _writer() -> Callable[[CaseState], dict[str, Any]]:
    """`state_to_data`, generated from the stored fields: one dict display, as fast as a
    hand-written one (the worker writes a state per case it evaluates). Adding a field needs
    no change here."""
    entries = ", ".join(
        f"{item.name!r}: _WRITE[{item.name!r}](state.{item.name})"
        if item.name in _WRITE
        else f"{item.name!r}: state.{item.name}"
        for item in STORED_FIELDS
    )
    namespace: dict[str, Any] = {"_WRITE": _WRITE}
    exec(f"def state_to_data(state):\n    return {{'v': {FORMAT}, {entries}}}\n", namespace)
    writer: Callable[[CaseState], dict[str, Any]] = namespace["state_to_data"]
    return writer


_write_data = _writer()


def state_to_data(state: CaseState) -> dict[str, Any]:
    """The state as plain JSON-ready data."""
    return _write_data(state)


def state_to_json(state: CaseState) -> str:
    """The state as one line of JSON."""
    return to_json(state_to_data(state)).decode()


def state_from_json(text: str | bytes) -> CaseState:
    """Read a state written by `state_to_json`; raise StateFormatError when it cannot be read."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise StateFormatError(f"the stored case state is not JSON: {error}") from None
    return state_from_data(data)


def state_from_data(data: Any) -> CaseState:
    """Build a state from `state_to_data`'s output; raise StateFormatError when it cannot."""
    if not isinstance(data, dict) or data.get("v") != FORMAT:
        version = data.get("v") if isinstance(data, dict) else None
        raise StateFormatError(
            f"unknown case state format {version!r} (this release reads {FORMAT})"
        )
    if len(data) == _COMPLETE_SIZE:
        try:
            return _read_complete(data)
        except (KeyError, TypeError, ValueError):
            pass  # as many keys, yet not these, or a bad value: the careful reader says which
    try:
        return _read_any(data)
    except (KeyError, TypeError, ValueError) as error:
        raise StateFormatError(f"the stored case state is incomplete: {error!r}") from None
