"""Whose time each moment of a case was: per holder and per party, summing to the whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from escalon.core import engine
from escalon.core.attribution import attribute, note_holder
from escalon.core.codec import state_from_data, state_to_data
from escalon.core.events import STATUS_VALUES, parse_event
from escalon.core.state import CaseState
from tests.builders.engine import drive, ev, make_policy, opened, us

MINUTE = 60 * 1_000_000


def _state(**changes: object) -> CaseState:
    state = CaseState(
        case="C1", policy="p", customer="K", opened_at=0, priority="P3", team="frontline"
    )
    for name, value in changes.items():
        setattr(state, name, value)
    return state


def test_time_goes_to_the_holder_and_party_of_each_moment() -> None:
    events = [
        opened("2026-12-01 10:00"),
        ev("status.changed", "2026-12-01 10:30", status="pending_customer"),
        ev("customer.message", "2026-12-01 11:00", body="here"),
        ev("case.escalated", "2026-12-01 11:15", agent="lead", to="specialist"),
        ev("status.changed", "2026-12-01 11:45", status="pending_third_party"),
        ev("status.changed", "2026-12-01 12:45", status="resolved"),
    ]
    state = drive(make_policy(""), events).states["C1"]
    found = attribute(state, us("2026-12-01 14:00"), level="specialist")
    assert found.parties == {
        "ours": 75 * MINUTE,
        "customer": 30 * MINUTE,
        "third_party": 60 * MINUTE,
    }
    assert found.by_team() == {"frontline": 75 * MINUTE, "specialists": 90 * MINUTE}
    assert found.by_level() == {"frontline": 75 * MINUTE, "specialist": 90 * MINUTE}
    assert found.elapsed == 165 * MINUTE  # resolved time is nobody's


def test_a_manual_assignment_with_its_instant_moves_the_time_to_the_person() -> None:
    policy = make_policy("")
    state = engine.apply_event(None, policy, parse_event(opened("2026-12-01 10:00"))).state
    state = engine.assign(state, "ana", at=us("2026-12-01 10:20"), level="frontline")
    found = attribute(state, us("2026-12-01 11:00"), level="frontline")
    assert found.by_person() == {None: 20 * MINUTE, "ana": 40 * MINUTE}


def test_a_state_stored_before_the_holder_log_counts_for_its_current_holder() -> None:
    data = state_to_data(_state(status_log=((0, "open"),), assignee="ana"))
    del data["holder_log"], data["ola"]
    old = state_from_data(data)
    assert old.holder_log == ()
    assert old.ola is None
    found = attribute(old, 10 * MINUTE, level="frontline")
    assert found.holders == {("frontline", "frontline", "ana"): 10 * MINUTE}


def test_changes_at_one_instant_leave_one_entry() -> None:
    state = _state()
    note_holder(state, 5, "frontline")
    state.team = "specialists"
    note_holder(state, 5, "specialist")
    note_holder(state, 9, "specialist")
    assert state.holder_log == ((5, "specialists", "specialist", None),)


def test_nothing_is_counted_before_the_opening() -> None:
    state = _state(opened_at=100, status_log=((100, "open"),))
    assert attribute(state, 50, level="frontline").elapsed == 0


_STATUSES = st.sampled_from(STATUS_VALUES)
_TEAMS = st.sampled_from(("frontline", "specialists", "finance"))


@settings(max_examples=200, deadline=None)
@given(
    status_changes=st.lists(st.tuples(st.integers(0, 10_000), _STATUSES), max_size=12),
    holder_changes=st.lists(
        st.tuples(st.integers(0, 10_000), _TEAMS, st.sampled_from((None, "ana", "bo"))),
        max_size=8,
    ),
    end=st.integers(0, 12_000),
)
def test_the_parts_always_sum_to_the_counted_time(
    status_changes: list[tuple[int, str]],
    holder_changes: list[tuple[int, str, str | None]],
    end: int,
) -> None:
    status_log = ((0, "open"), *sorted(status_changes, key=lambda change: change[0]))
    state = _state(status_log=status_log)
    for at, team, person in sorted(holder_changes, key=lambda change: change[0]):
        state.team, state.assignee = team, person
        note_holder(state, at, team)
    found = attribute(state, end, level="frontline")
    # What should be counted, from the status log alone: time in a status with a party.
    expected = 0
    for index, (begin, status) in enumerate(status_log):
        until = status_log[index + 1][0] if index + 1 < len(status_log) else end
        if status not in ("resolved", "closed"):
            expected += max(0, min(until, end) - min(begin, end))
    assert found.elapsed == expected
    assert sum(found.parties.values()) == expected
    assert sum(found.holders.values()) == expected
    assert sum(found.by_team().values()) == expected
    assert sum(found.by_person().values()) == expected
    assert all(spent > 0 for spent in found.holders.values())
