"""The API's documentation pages, /docs (Swagger UI) and /redoc, served with no internet.

Their scripts and styles come from the `fastapi-offline` package, installed with Escalon, and
are served from here: nothing is loaded from a CDN. The pages carry no inline script (Swagger
UI starts from a file of ours), so their Content-Security-Policy allows scripts from this
origin only. Styles may be inline: both tools set them at run time.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from escalon.web.common import SIGN_IN

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"
DOCS_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    )
)
_OURS = Path(__file__).with_name("docs_assets")
# The files the pages may load, by the name they are asked for: nothing else is served.
_FILES = {
    "swagger-ui-bundle.js": ("fastapi_offline", "swagger-ui-bundle.js"),
    "swagger-ui.css": ("fastapi_offline", "swagger-ui.css"),
    "redoc.standalone.js": ("fastapi_offline", "redoc.standalone.js"),
    "favicon.png": ("fastapi_offline", "favicon.png"),
    "swagger-init.js": ("escalon", "swagger-init.js"),
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _path(owner: str, name: str) -> Path:
    if owner == "escalon":
        return _OURS / name
    return Path(str(resources.files("fastapi_offline") / "static" / name))


def _page(body: str, title: str) -> HTMLResponse:
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="{ASSETS}/favicon.png">'
        f"</head><body>{body}</body></html>"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_POLICY})


@router.get("/")
def front_door() -> RedirectResponse:
    """The address Escalon is served at leads to the dashboard's sign-in."""
    return RedirectResponse(SIGN_IN, status_code=303)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    """Swagger UI over /openapi.json."""
    return _page(
        f'<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">'
        '<div id="swagger-ui"></div>'
        f'<script src="{ASSETS}/swagger-ui-bundle.js"></script>'
        f'<script src="{ASSETS}/swagger-init.js"></script>',
        "Escalon API",
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc over /openapi.json."""
    return _page(
        '<redoc spec-url="/openapi.json"></redoc>'
        f'<script src="{ASSETS}/redoc.standalone.js"></script>',
        "Escalon API reference",
    )


@router.get(ASSETS + "/{name}")
def asset(name: str) -> Response:
    """One of the pages' scripts, styles or icon (404 for any other name)."""
    found = _FILES.get(name)
    if found is None:
        raise HTTPException(status_code=404, detail="no such file")
    path = _path(*found)
    return FileResponse(
        path,
        media_type=_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=86400"},
    )
