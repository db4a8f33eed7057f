"""The sandbox's parts on their own: where its clock starts and how it runs, and the policy it
runs under."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from escalon.clock import ManualClock
from escalon.core.state import from_us, to_us
from escalon.demo import policy_text
from escalon.training.sandbox import PracticeClock, practice_policy, virtual_start


def test_the_practice_day_starts_at_ten_on_the_latest_tuesday_in_the_trainees_zone() -> None:
    monday = to_us(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert from_us(virtual_start(monday)) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    tuesday = to_us(datetime(2026, 12, 8, 23, 0, tzinfo=UTC))
    assert from_us(virtual_start(tuesday)) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    new_york = from_us(virtual_start(monday, "America/New_York"))
    assert new_york == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert from_us(virtual_start(monday, "Not/AZone")).hour == 10


def test_the_practice_clock_runs_faster_and_stops_when_the_session_ends() -> None:
    real = ManualClock(1_000_000_000)
    clock = PracticeClock(real, 1_000_000_000, 5_000_000_000, 10.0)
    real.advance(seconds=6)
    assert clock.now_us() == 5_000_000_000 + 60_000_000
    ended = PracticeClock(real, 1_000_000_000, 5_000_000_000, 10.0, real_end=1_003_000_000)
    real.advance(hours=1)
    assert ended.now_us() == 5_000_000_000 + 30_000_000


def test_the_practice_policy_leaves_out_the_rules_that_read_the_customers_words() -> None:
    kept = yaml.safe_load(practice_policy(policy_text()))
    names = {rule["name"] for rule in kept["rules"]}
    assert "customer asks for a manager" not in names  # customer.message, intent
    assert "frustrated customer" not in names  # customer.message, sentiment
    assert "public complaint" not in names  # case.opened, sentiment
    assert {"first response breached", "refund above authority", "billing goes to finance"} <= names
    assert kept["slas"] == yaml.safe_load(policy_text())["slas"]
