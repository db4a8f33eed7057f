"""The composition root: the settings domains read per transaction travel with the database's
sessions, not in module globals, so two services in one process keep their own."""

from __future__ import annotations

from pathlib import Path

from escalon.composition import build_services
from escalon.config import Settings
from escalon.notifications.outbox import CustomerMessages
from escalon.people.staffing import TeamMakeUps


def test_two_services_in_one_process_keep_their_own_settings(tmp_path: Path) -> None:
    first = build_services(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'a.db'}",
            public_url="https://help.one.example",
            customer_follow_up_hours=0,
            roster_cache_seconds=0,
        )
    )
    second = build_services(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'b.db'}",
            public_url="https://help.two.example",
            roster_cache_seconds=30,
        )
    )
    with first.database.read() as one, second.database.read() as two:
        assert CustomerMessages.of(one).public_url == "https://help.one.example"
        assert CustomerMessages.of(one).follow_up_hours == 0
        assert CustomerMessages.of(two).public_url == "https://help.two.example"
        assert CustomerMessages.of(two).follow_up_hours == 72
        assert one.info[TeamMakeUps.KEY].seconds == 0
        assert two.info[TeamMakeUps.KEY].seconds == 30
    first.database.dispose()
    second.database.dispose()


def test_a_session_of_a_bare_database_sends_the_default_messages(tmp_path: Path) -> None:
    from escalon.database import Database

    database = Database(f"sqlite:///{tmp_path / 'bare.db'}")
    with database.read() as session:
        assert CustomerMessages.of(session) == CustomerMessages()
        assert TeamMakeUps.KEY not in session.info
    database.dispose()
