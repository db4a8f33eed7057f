"""The kernel's output-schema filler: fields read by name, stored instants converted, no typo kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from escalon.errors import NotFound, found
from escalon.outputs import from_row


class ThingOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    ended_at: datetime | None


@dataclass
class Thing:
    id: int
    name: str
    created_at: int
    ended_at: int | None


def test_fields_are_read_from_the_row_and_stored_instants_become_datetimes() -> None:
    row = Thing(7, "kept", created_at=1_700_000_000_000_000, ended_at=None)
    shown = from_row(ThingOut, row, instants=("created_at", "ended_at"))
    assert shown == ThingOut(
        id=7, name="kept", created_at=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), ended_at=None
    )


def test_a_value_given_wins_over_the_row() -> None:
    row = Thing(7, "stored", created_at=0, ended_at=None)
    shown = from_row(ThingOut, row, instants=("created_at", "ended_at"), name="shown")
    assert shown.name == "shown"


def test_a_value_for_a_field_the_schema_lacks_is_refused() -> None:
    row = Thing(7, "kept", created_at=0, ended_at=None)
    with pytest.raises(TypeError, match="no field nmae"):
        from_row(ThingOut, row, instants=("created_at", "ended_at"), nmae="typo")


def test_found_returns_what_was_looked_up_and_refuses_nothing() -> None:
    assert found(0, "zero is a value") == 0
    with pytest.raises(NotFound, match="no thing 3"):
        found(None, "no thing 3")
