"""The Jinja environments Escalon renders with, made in one place so every page and message
template follows the same rules: a name the template uses but the caller did not pass is an
error, never an empty string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from starlette.responses import HTMLResponse

from escalon import http_headers

# What every page answers, the dashboard's and the customers': never kept in a cache (it shows a
# person's data), never read as another type than it says.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def page_templates(package: str, *fallbacks: str) -> Environment:
    """The HTML templates in `package`'s `templates` folder (then in the `fallbacks` packages'):
    escaped, block tags leave no blank lines behind."""
    return Environment(
        loader=ChoiceLoader([PackageLoader(name, "templates") for name in (package, *fallbacks)]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_page(
    templates: Environment,
    name: str,
    status_code: int,
    headers: Mapping[str, str],
    /,
    **context: Any,
) -> HTMLResponse:
    """The page `name` rendered with `headers` (positional: a page may have its own `headers`
    to show); its scripts and styles carry a nonce made for
    this response, the only one its Content-Security-Policy lets run."""
    nonce = http_headers.new_nonce()
    html = templates.get_template(name).render(csp_nonce=nonce, **context)
    policy = {"Content-Security-Policy": http_headers.page_policy(nonce)}
    return HTMLResponse(html, status_code=status_code, headers={**headers, **policy})


def text_templates(loader: BaseLoader) -> Environment:
    """Plain-text templates (notifications, customer messages): nothing escaped, the final
    newline kept, files read once."""
    return Environment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=False,  # plain text: escaping would show customers "&amp;"
        keep_trailing_newline=True,
        auto_reload=False,
    )
