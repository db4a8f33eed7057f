"""A replay collects reference cycles less often while it runs, and leaves the collector as it
found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from escalon.replay.local import fewer_collections


@pytest.fixture
def thresholds() -> Iterator[None]:
    """Whatever a test sets, the collector's thresholds are put back afterwards."""
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("thresholds")
def test_the_youngest_generation_waits_longer_inside_and_is_restored_after() -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        inside = gc.get_threshold()
    assert inside[0] >= 10_000
    assert inside[1:] == (10, 10)
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.usefixtures("thresholds")
def test_a_higher_threshold_or_a_switched_off_collector_is_kept() -> None:
    gc.set_threshold(10**9, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == (10**9, 10, 10)
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


@pytest.mark.usefixtures("thresholds")
def test_the_thresholds_come_back_when_the_replay_fails() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("stopped")
    assert gc.get_threshold() == (700, 10, 10)
