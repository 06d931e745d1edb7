"""The Markdown subset of lesson Q&A: rendered by markdown-it-py, then sanitised by nh3.

Allowed: paragraphs and line breaks, emphasis and strong, inline code and code blocks, links, lists
and block quotes. Raw HTML in the source is never passed through (markdown-it's `html` option is
off, so `<script>` arrives as text), and nh3 then keeps only the tags below — a second, independent
fence in case a renderer change ever lets markup through. Links get rel="nofollow ugc noopener".
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# "zero" enables nothing; the subset is switched on rule by rule.
_renderer = (
    MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    .enable(["emphasis", "backticks", "fence", "code", "link", "list", "blockquote", "newline", "escape"])
    .enable(["autolink"])
)

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def markdown_render(source: str) -> str:
    """Safe HTML for `source` (the Q&A subset). Idempotent for the same input."""
    html = _renderer.render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    ).strip()
