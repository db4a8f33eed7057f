"""The Jinja environments Escalon renders with, made in one place so every page and message
template follows the same rules: a name the template uses but the caller did not pass is an
error, never an empty string."""

from __future__ import annotations

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, select_autoescape


def page_templates(package: str) -> Environment:
    """The HTML templates in `package`'s `templates` folder: escaped, block tags leave no blank
    lines behind."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


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
