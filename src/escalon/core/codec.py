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
    "remembered": dict,
}
# (name, how to write it) for every stored field, in declaration order.
_WRITTEN = tuple((item.name, _WRITE.get(item.name)) for item in STORED_FIELDS)
# (name, how to read it, whether a stored state may lack it) for every stored field. A field
# with a default was either always there or added later: a state stored before it gets the
# default; a field without one is the case's identity and must be there.
_READ_BACK = tuple(
    (
        item.name,
        _READ.get(item.name),
        item.default is not MISSING or item.default_factory is not MISSING,
    )
    for item in STORED_FIELDS
)


def state_to_data(state: CaseState) -> dict[str, Any]:
    """The state as plain JSON-ready data."""
    data: dict[str, Any] = {"v": FORMAT}
    for name, write in _WRITTEN:
        value = getattr(state, name)
        data[name] = value if write is None else write(value)
    return data


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
    values: dict[str, Any] = {}
    try:
        for name, read, optional in _READ_BACK:
            if optional and name not in data:
                continue  # stored before this field existed: its default
            value = data[name]
            values[name] = value if read is None else read(value)
        return CaseState(**values)
    except (KeyError, TypeError, ValueError) as error:
        raise StateFormatError(f"the stored case state is incomplete: {error!r}") from None
