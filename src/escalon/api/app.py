"""The FastAPI application: routers of every domain, error handling, and the embedded worker."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from escalon import __version__, keys
from escalon.admin_audit import views as admin_audit_views
from escalon.analytics import views as analytics_views
from escalon.api import database_errors, errors, health
from escalon.api import docs as api_docs
from escalon.api import limits as rate_limits
from escalon.api.bodies import BodyLimits
from escalon.auth import views as auth_views
from escalon.cases import views as case_views
from escalon.channels import inbound_views as inbound_mail_views
from escalon.channels import pages as channel_pages
from escalon.channels import views as channel_views
from escalon.clock import Clock
from escalon.composition import build_services
from escalon.config import Settings, get_settings
from escalon.database import Database
from escalon.forecast import views as forecast_views
from escalon.http_headers import SecurityHeaders
from escalon.knowledge import pages as knowledge_pages
from escalon.knowledge import views as knowledge_views
from escalon.learning import views as learning_views
from escalon.metrics import Metrics
from escalon.notifications import views as notification_views
from escalon.organisations import views as organisation_views
from escalon.people import views as people_views
from escalon.policies import views as policy_views
from escalon.services import Services
from escalon.web import case_page
from escalon.web import coaching_page as web_coaching
from escalon.web import kb_page as web_kb
from escalon.web import lessons_page as web_lessons
from escalon.web import likely_page as web_likely
from escalon.web import mail_review as web_mail_review
from escalon.web import numbers_page as web_numbers
from escalon.web import policy_page as web_policy
from escalon.web import review_page as web_review
from escalon.web import staffing_page as web_staffing
from escalon.web import training_page as web_training
from escalon.web import training_progress_page as web_training_progress
from escalon.web import views as web_views
from escalon.web import what_if_page as web_what_if
from escalon.web.practice import PracticeMount, Sandboxes

DESCRIPTION = """\
Escalation management for customer support teams.

Every request carries an API token: `Authorization: Bearer esc_...` (create one with
`escalon tokens create USER`). Errors are JSON: `{"error": code, "message": ..., "details": [...]}`.
Case updates carry the case's version (the `ETag`) in `If-Match`; a stale one gets 412.
"""


# Every router, in the order their routes are matched.
ROUTERS = (
    api_docs.router,
    health.router,
    case_views.router,
    policy_views.router,
    people_views.router,
    organisation_views.router,
    auth_views.router,
    admin_audit_views.router,
    notification_views.router,
    analytics_views.router,
    learning_views.router,
    knowledge_views.router,
    forecast_views.router,
    channel_views.router,
    inbound_mail_views.router,
    channel_pages.router,
    knowledge_pages.router,
    web_views.router,
    web_numbers.router,
    web_coaching.router,
    web_lessons.router,
    web_kb.router,
    web_review.router,
    web_policy.router,
    web_what_if.router,
    web_staffing.router,
    web_likely.router,
    web_training.router,
    web_training_progress.router,
    case_page.router,
    web_mail_review.router,
)


def create_app(
    *,
    settings: Settings | None = None,
    database: Database | None = None,
    clock: Clock | None = None,
    embedded_worker: bool = False,
) -> FastAPI:
    """Build the application; `embedded_worker` runs timers and outbox delivery in-process."""
    settings = settings or get_settings()
    services = build_services(settings, database=database, clock=clock)
    database = services.database
    # The keys kept outside the database; refused (no start) when the key file is not private.
    keys.install(keys.load(settings))
    limits = rate_limits.RateLimits(settings, database, services.clock)

    # This process's metrics: the database's counts at each scrape, the embedded worker's lag.
    metrics = Metrics(database)

    # Practice sessions' sandboxes, opened as their pages are asked for.
    sandboxes = Sandboxes(services)
    lifespan = _lifespan(
        settings, services, metrics, limits, sandboxes, embedded_worker=embedded_worker
    )

    app = FastAPI(
        title="Escalon",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc are escalon.api.docs: their assets served from here, not a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # Any operation may meet a rate limit (docs/operations.md, "Rate limits").
        responses=rate_limits.TOO_MANY_REQUESTS,
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
    )
    app.state.services = services
    app.state.metrics = metrics
    app.state.sandboxes = sandboxes
    errors.install(app)
    errors.declare_body_errors(app)
    # Innermost: the practice mount sees requests after the body limit and the rate limits.
    app.add_middleware(PracticeMount, sandboxes=sandboxes)
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes)
    rate_limits.install(app, limits)
    # Outermost, so that every answer (a 413, a 429, a page) carries the headers.
    app.add_middleware(SecurityHeaders)

    database_errors.install(app)

    for router in ROUTERS:
        app.include_router(router)
    return app


def _lifespan(
    settings: Settings,
    services: Services,
    metrics: Metrics,
    limits: rate_limits.RateLimits,
    sandboxes: Sandboxes,
    *,
    embedded_worker: bool,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs while the application serves: rate-limit upkeep and the embedded worker."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        # What start-up built lives as long as the process: keep it out of every collection,
        # and collect young objects less often (each request allocates thousands).
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)
        limits.start()
        runner = None
        if embedded_worker:
            from escalon.worker.runner import WorkerThread

            runner = WorkerThread(services, metrics)
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            limits.stop()
            sandboxes.close_all()

    return lifespan
