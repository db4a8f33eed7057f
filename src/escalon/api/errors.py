"""Every error as a JSON body that says what is wrong; no input makes the server answer 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from escalon import http_headers
from escalon.errors import EscalonError

log = logging.getLogger("escalon.api")


def declare_body_errors(app: FastAPI) -> None:
    """Declare, on every operation that takes a body, the two answers any body may get before
    the operation sees it: 400 when it is not JSON at all, 413 past ESCALON_MAX_BODY_BYTES."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict) or "requestBody" not in operation:
                    continue
                responses = operation.setdefault("responses", {})
                responses.setdefault("400", {"description": "Malformed request", "content": error})
                responses.setdefault(
                    "413",
                    {"description": "The body is larger than the server accepts", "content": error},
                )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details or []}


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts[0]
        rest = ".".join(parts[1:])
        return f"{where}.{rest}" if rest else where
    return ".".join(parts)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a JSON error body."""

    @app.exception_handler(EscalonError)
    async def escalon_error(_request: Request, error: EscalonError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(
            _body(error.code, error.message, [detail.as_dict() for detail in error.details]),
            status_code=error.status,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        details = []
        for item in error.errors():
            message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
            details.append({"field": _field(tuple(item.get("loc", ()))), "problem": message})
        summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5])
        return JSONResponse(
            _body("invalid", f"the request is invalid: {summary}", details), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
        return JSONResponse(
            _body(codes.get(error.status_code, "http_error"), str(error.detail)),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error while serving a request")
        return JSONResponse(
            _body("internal", "Escalon failed to handle this request; it has been logged"),
            status_code=500,
            # Answered outside the middleware (Starlette's last resort): the headers come here.
            headers=http_headers.for_answers(),
        )
