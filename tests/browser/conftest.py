"""Where the browser tests keep their screenshots (the server and Chromium fixtures are in
tests/conftest.py, shared with tests/security)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import SCREENSHOTS


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots are saved in."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
