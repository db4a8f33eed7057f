"""What a request hears when the database fails it: 503 when it is away, 422 for text it cannot
store, 500 (logged) otherwise; never a traceback."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError

log = logging.getLogger("escalon.api")


def _unavailable() -> JSONResponse:
    return _answer(503, "unavailable", "the database is unavailable; retry shortly", retry=True)


def _nul_refused() -> JSONResponse:
    # PostgreSQL cannot store the NUL character: the request's text is what is wrong.
    return _answer(422, "invalid", "text may not contain the NUL character (\\u0000)")


def _refused() -> JSONResponse:
    log.exception("database error while serving a request")
    return _answer(500, "internal", "the database refused the request; it has been logged")


def _answer(status: int, error: str, message: str, *, retry: bool = False) -> JSONResponse:
    return JSONResponse(
        {"error": error, "message": message, "details": []},
        status_code=status,
        headers={"Retry-After": "5"} if retry else None,
    )


def install(app: FastAPI) -> None:
    """Answer the database's and the driver's errors on `app`."""

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error.orig)
        return _unavailable()

    @app.exception_handler(psycopg.DataError)
    async def driver_refused(_request: Request, error: psycopg.DataError) -> JSONResponse:
        # The bulk writes talk to psycopg directly, so its errors arrive unwrapped.
        return _nul_refused() if "NUL (0x00)" in str(error) else _refused()

    @app.exception_handler(DBAPIError)
    async def database_refused(_request: Request, error: DBAPIError) -> JSONResponse:
        if error.connection_invalidated:
            log.warning("database connection lost: %s", error.orig)
            return _unavailable()
        if isinstance(error, DataError) and "NUL (0x00)" in str(error.orig):
            return _nul_refused()
        return _refused()
