"""The application as uvicorn builds it in each process: settings from the environment."""

from __future__ import annotations

import os

from fastapi import FastAPI

from escalon.api.app import create_app


def app_from_environment() -> FastAPI:
    """The app configured by ESCALON_* variables (ESCALON_EMBEDDED_WORKER=0 to go without)."""
    embedded = os.environ.get("ESCALON_EMBEDDED_WORKER", "1") not in ("0", "false", "no")
    return create_app(embedded_worker=embedded)
