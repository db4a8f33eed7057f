"""Fixtures for the command-line tests: a migrated SQLite file named as an operator names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalon.cli import app
from escalon.config import get_settings


@pytest.fixture
def migrated_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file named by ESCALON_DATABASE_URL (settings read afresh around it)."""
    url = f"sqlite:///{tmp_path / 'escalon.db'}"
    monkeypatch.setenv("ESCALON_DATABASE_URL", url)
    get_settings.cache_clear()
    upgraded = CliRunner().invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    yield url
    get_settings.cache_clear()
