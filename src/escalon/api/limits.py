"""Rate limits in the API application: the 429 answer (JSON for the API, a page for people)
with `Retry-After`, and its place in the OpenAPI schema.

The limits themselves (the rules, who the client is, what a request counts against) are
`escalon.ratelimits.edge`, re-exported here for the application and its views.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from escalon.errors import ErrorBody
from escalon.ratelimits.edge import (
    RateLimited,
    RateLimits,
    Rules,
    limits_of,
    public_page,
    retry_after,
)

__all__ = [
    "TOO_MANY_REQUESTS",
    "RateLimited",
    "RateLimits",
    "Rules",
    "install",
    "limits_of",
    "public_page",
    "retry_after",
]

TOO_MANY_REQUESTS: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many requests: a rate limit; retry after the seconds in Retry-After",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer"},
            }
        },
    }
}


def install(app: FastAPI, limits: RateLimits) -> None:
    """Keep the limits on the application and answer RateLimited with 429 and Retry-After:
    JSON under /api, a short page elsewhere (the dashboard and the customers' pages)."""
    app.state.rate_limits = limits

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, error: RateLimited) -> Response:
        headers = {"Retry-After": error.retry_after}
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": error.code, "message": error.message, "details": []},
                status_code=error.status,
                headers=headers,
            )
        return HTMLResponse(_PAGE.format(message=html.escape(error.message)), 429, headers)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Too many requests</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Too many requests</h1><p>{message}.</p></main></body></html>
"""
