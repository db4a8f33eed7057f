"""An article's Markdown as HTML for a page: CommonMark with raw HTML switched off."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# `js-default`: no raw HTML (typed tags are shown as text), and links with `javascript:`,
# `vbscript:`, `file:` or non-image `data:` addresses are not made links.
_PARSER = MarkdownIt("js-default")


def to_html(markdown: str) -> Markup:
    """The article's body, safe to put in a page as is."""
    # The parser escapes whatever HTML authors type, so its output is trusted as markup.
    return Markup(_PARSER.render(markdown))
