"""Operations endpoints: liveness, readiness and Prometheus metrics.

`/healthz` says the process answers (it asks nothing of the database, so a restart is not
triggered by a database outage); `/readyz` says this process can serve: the database answers and
its schema is at this release's migration head (503 otherwise). `/metrics` is for the scraper:
business volumes are not for everyone, so it takes the metrics token (ESCALON_METRICS_TOKEN) or
an admin's API token. See docs/operations.md.
"""

from __future__ import annotations

import hmac
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError

from escalon import __version__
from escalon.auth.access import authenticated, services
from escalon.database.migrate import current_revision, head_revision
from escalon.errors import Forbidden
from escalon.metrics import CONTENT_TYPE, Metrics

router = APIRouter(tags=["health"], include_in_schema=False)
_bearer = HTTPBearer(auto_error=False)


@cache
def _head() -> str | None:
    # The release's newest migration: read from the scripts once per process.
    return head_revision()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (the database is not asked)."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is at this release's head."""
    head = _head()
    try:
        current = current_revision(services(request).database)
    except DBAPIError:
        return _unready({"database": "down"})
    if current != head:
        found = "empty" if current is None else f"at revision {current}"
        return _unready(
            {"database": "ok", "schema": f"{found}; this release needs {head}: escalon db upgrade"}
        )
    return JSONResponse({"status": "ok", "database": "ok", "schema": head, "version": __version__})


def _unready(facts: dict[str, Any]) -> JSONResponse:
    return JSONResponse(
        {"status": "unavailable", **facts}, status_code=503, headers={"Retry-After": "5"}
    )


async def metrics_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The scraper's metrics token, or an admin's API token (401/403 otherwise)."""
    expected = services(request).settings.metrics_token
    if (
        expected
        and credentials is not None
        and hmac.compare_digest(credentials.credentials.encode(), expected.encode())
    ):
        return
    context = await authenticated(request, credentials)
    if context.principal.role != "admin":
        raise Forbidden("only the metrics token or an admin's token may read the metrics")


@router.get("/metrics", dependencies=[Depends(metrics_reader)])
async def metrics(request: Request) -> Response:
    """Prometheus's text format: the database's counts (read now) and this process's timers."""
    found: Metrics = request.app.state.metrics
    body = await run_in_threadpool(found.render)
    return Response(body, media_type=CONTENT_TYPE)
