"""Parse rendered HTML and report what could run: script-like elements, event handlers, unsafe URLs."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

ACTIVE_TAGS = {"script", "iframe", "svg", "style", "img", "object", "embed", "math", "form", "input", "link", "meta"}
SAFE_SCHEMES = {"http", "https", "mailto", ""}


def dangers(html: str, *, allow_tags: frozenset[str] = frozenset()) -> list[str]:
    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ACTIVE_TAGS - allow_tags:
                found.append(f"<{tag}>")
            for name, value in attrs:
                if name.startswith("on"):
                    found.append(f"{tag}[{name}]")
                if name in {"href", "src", "action", "formaction"} and value is not None:
                    scheme = urlsplit(value.strip()).scheme.lower()
                    if scheme not in SAFE_SCHEMES:
                        found.append(f"{tag}[{name}={value}]")

    Parser().feed(html)
    return found
