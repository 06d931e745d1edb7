"""Lesson bodies: TipTap (ProseMirror) JSON rendered to sanitised HTML.

`tiptapy` renders the document; `nh3` (ammonia) then sanitises the HTML, so whatever the JSON holds
(an editor bug, a hand-edited admin field, a hostile import) the page never carries a script, an event
handler, a `javascript:` URL or a style. Before rendering, the document is normalised to the node and
mark types the renderer knows: an unknown node is unwrapped (its text kept), an unknown mark dropped,
so one odd node never breaks the whole page.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nh3
import tiptapy
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "tiptap_templates"

# The node and mark types a body may use: TipTap's StarterKit + Link, Image, Highlight, Sub/Superscript, in
# TipTap's camelCase names, and the snake_case aliases of older ProseMirror documents. One list, read here and
# by the admin's editor (frontend/editor/schema.mjs), so the editor opens every body the page renders.
TIPTAP_SCHEMA_FILE = Path(__file__).resolve().parent / "tiptap_schema.json"
_SCHEMA = json.loads(TIPTAP_SCHEMA_FILE.read_text(encoding="utf-8"))
NODE_TYPES: frozenset[str] = frozenset(_SCHEMA["nodes"])
MARK_TYPES: frozenset[str] = frozenset(_SCHEMA["marks"])
NODE_ALIASES: dict[str, str] = dict(_SCHEMA["nodeAliases"])
MARK_ALIASES: dict[str, str] = dict(_SCHEMA["markAliases"])

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "u", "s", "mark", "sub", "sup", "code", "pre",
    "ul", "ol", "li", "blockquote", "a", "br", "hr", "figure", "figcaption", "picture", "img", "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "code": {"data-lang"},
}
URL_SCHEMES = {"http", "https", "mailto"}


class _LessonDoc(tiptapy.BaseDoc):
    # Our templates first: TipTap's mark names that tiptapy does not ship (strike, highlight, sub/sup).
    templates_path = (str(TEMPLATES_DIR), *tiptapy.BaseDoc.templates_path)


class _RendererConfig:
    def __init__(self, domain: str) -> None:
        # tiptapy opens links to other domains in a new tab with rel="noopener nofollow".
        self.DOMAIN = domain


@lru_cache(maxsize=1)
def _renderer(domain: str) -> _LessonDoc:
    return _LessonDoc(_RendererConfig(domain))


def _text_of(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text") or "")
    return "".join(_text_of(child) for child in node.get("content") or [] if isinstance(child, dict))


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _type_of(node: dict[str, Any], aliases: dict[str, str]) -> str:
    raw = node.get("type")
    name = raw if isinstance(raw, str) else ""
    return aliases.get(name, name)


def _normalise_marks(marks: Any) -> list[dict[str, Any]]:
    result = []
    for mark in _as_list(marks):
        if not isinstance(mark, dict):
            continue
        mark_type = _type_of(mark, MARK_ALIASES)
        if mark_type not in MARK_TYPES:
            continue
        clean: dict[str, Any] = {"type": mark_type}
        if mark_type == "link":
            href = _as_dict(mark.get("attrs")).get("href")
            if not isinstance(href, str) or not href.strip():
                continue
            clean["attrs"] = {"href": href.strip()}
        result.append(clean)
    return result


def _normalise(node: Any) -> list[dict[str, Any]]:
    """One input node -> zero or more nodes the renderer understands (unknown ones unwrapped)."""
    if not isinstance(node, dict):
        return []
    node_type = _type_of(node, NODE_ALIASES)
    children = [normalised for child in _as_list(node.get("content")) for normalised in _normalise(child)]
    attrs = _as_dict(node.get("attrs"))

    if node_type not in NODE_TYPES or node_type == "doc":
        return children
    if node_type == "text":
        text = node.get("text")
        if not isinstance(text, str) or not text:
            return []
        out: dict[str, Any] = {"type": "text", "text": text}
        marks = _normalise_marks(node.get("marks"))
        if marks:
            out["marks"] = marks
        return [out]
    if node_type == "codeBlock":
        # tiptapy prints only the first child; a code block is one run of plain text anyway.
        code = _text_of(node)
        language = attrs.get("language")
        safe_language = language if isinstance(language, str) and language.isidentifier() else ""
        return [
            {"type": "codeBlock", "attrs": {"language": safe_language}, "content": [{"type": "text", "text": code}]}
        ]
    if node_type == "heading":
        try:
            level = min(max(int(attrs.get("level", 2)), 1), 6)
        except (TypeError, ValueError):
            level = 2
        return [{"type": "heading", "attrs": {"level": level}, "content": children}]
    if node_type == "orderedList":
        try:
            start = max(int(attrs.get("start", 1)), 0)
        except (TypeError, ValueError):
            start = 1
        return [{"type": "orderedList", "attrs": {"start": start}, "content": children}]
    if node_type == "image":
        src = attrs.get("src")
        if not isinstance(src, str) or not _image_src_allowed(src.strip()):
            return []
        alt = attrs.get("alt") if isinstance(attrs.get("alt"), str) else ""
        return [{"type": "image", "attrs": {"src": src.strip(), "alt": alt, "caption": ""}}]
    if node_type in {"hardBreak", "horizontalRule"}:
        return [{"type": node_type}]
    return [{"type": node_type, "content": children}]


# Images the editor uploads are served by the access-checked view under this path (courses.urls).
LESSON_IMAGE_PATH = "/lesson-images/"


def _image_src_allowed(src: str) -> bool:
    if src.startswith(LESSON_IMAGE_PATH) and "//" not in src and ".." not in src:
        return True
    return urlparse(src).scheme in {"http", "https"}


def sanitise_html(html: str) -> str:
    """The one sanitiser for rich text shown on the site."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def lesson_body_html(content: Any) -> SafeString:
    """Sanitised HTML for a lesson's TipTap JSON (a dict, or None for no body)."""
    if not isinstance(content, dict):
        return mark_safe("")
    document = {"type": "doc", "content": _normalise(content)}
    if not document["content"]:
        return mark_safe("")
    domain = urlparse(settings.SITE_URL).hostname or "localhost"
    try:
        html = _renderer(domain).render(document)
    except Exception:  # a renderer bug must not take the lesson page down with it
        logger.exception("TipTap rendering failed; showing the plain text instead")
        html = "".join(f"<p>{nh3.clean_text(_text_of(block))}</p>" for block in document["content"])
    # Safe: nh3 has just removed everything outside the allow-list above.
    return mark_safe(sanitise_html(html))


_BLOCK_TYPES = frozenset({"paragraph", "heading", "listItem", "blockquote", "codeBlock"})


def lesson_body_text(content: Any) -> str:
    """The plain text of a lesson body (what search indexes): one line per paragraph, heading or list item.

    Uses the same normalisation as the renderer, so text the page never shows is never indexed either."""
    if not isinstance(content, dict):
        return ""
    lines: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        children = [child for child in node.get("content") or [] if isinstance(child, dict)]
        if node.get("type") in _BLOCK_TYPES and all(child.get("type") in {"text", "hardBreak"} for child in children):
            text = _text_of(node).strip()
            if text:
                lines.append(text)
            return
        for child in children:
            walk(child)

    for block in _normalise(content):
        walk(block)
    return "\n".join(lines)


# --- Validation: what the admin may save as a lesson body -----------------------------------------
# Beside the renderer, so the node and mark types a body may use are the ones the page can render.

MAX_DOCUMENT_DEPTH = 40
MAX_DOCUMENT_BYTES = 512 * 1024
HEADING_LEVELS = range(1, 7)


def _known_types() -> tuple[frozenset[str], frozenset[str]]:
    """The node and mark types the renderer above knows, under TipTap's names and their aliases."""
    return frozenset(NODE_TYPES) | frozenset(NODE_ALIASES), frozenset(MARK_TYPES) | frozenset(MARK_ALIASES)


def tiptap_document_errors(value: Any) -> list[str]:
    """Why `value` is not a TipTap document the lesson page can render (empty list: it is one).

    A document is {"type": "doc", "content": [...]}; every node has a known "type", a list "content" if
    any, "text" nodes carry a string, marks are known, headings have a level 1-6. Errors name the path
    of the offending node (e.g. `content[2].content[0]`) so an admin can find it.
    """
    if value is None:
        return []
    if not isinstance(value, dict) or value.get("type") != "doc":
        return ['The body must be a TipTap document: {"type": "doc", "content": [...]}.']
    if len(json.dumps(value)) > MAX_DOCUMENT_BYTES:
        return [f"The body is larger than {filesizeformat(MAX_DOCUMENT_BYTES)}."]
    node_types, mark_types = _known_types()
    errors: list[str] = []

    def visit(node: Any, path: str, depth: int) -> None:
        if len(errors) >= 10:
            return
        if depth > MAX_DOCUMENT_DEPTH:
            errors.append(f"{path}: nested deeper than {MAX_DOCUMENT_DEPTH} levels.")
            return
        if not isinstance(node, dict):
            errors.append(f"{path}: a node must be an object, not {type(node).__name__}.")
            return
        node_type = node.get("type")
        if node_type not in node_types:
            errors.append(f"{path}: unknown node type {node_type!r}.")
            return
        if path != "doc" and node_type == "doc":
            errors.append(f"{path}: a document cannot contain another document.")
        if node_type == "text" and not isinstance(node.get("text"), str):
            errors.append(f'{path}: a text node needs a "text" string.')
        if node_type == "heading":
            level = (node.get("attrs") or {}).get("level") if isinstance(node.get("attrs"), dict) else None
            if level not in HEADING_LEVELS:
                errors.append(f"{path}: a heading needs attrs.level between 1 and 6.")
        marks = node.get("marks", [])
        if not isinstance(marks, list):
            errors.append(f'{path}: "marks" must be a list.')
        else:
            for index, mark in enumerate(marks):
                mark_type = mark.get("type") if isinstance(mark, dict) else None
                if mark_type not in mark_types:
                    errors.append(f"{path}.marks[{index}]: unknown mark type {mark_type!r}.")
        children = node.get("content", [])
        if not isinstance(children, list):
            errors.append(f'{path}: "content" must be a list.')
            return
        for index, child in enumerate(children):
            visit(child, f"{path}.content[{index}]" if path != "doc" else f"content[{index}]", depth + 1)

    visit(value, "doc", 0)
    return errors
