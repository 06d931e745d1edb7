"""The admin editor and the learner renderer accept the same lesson bodies: the editor's TipTap schema, loaded
in Node from the editor's own module (frontend/editor/schema.mjs), has exactly the renderer's node and mark
types, and opens every document of a corpus the renderer accepts (aliases and mark combinations included)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from courses.content import MARK_ALIASES, MARK_TYPES, NODE_ALIASES, NODE_TYPES, tiptap_document_errors


def text(value: str, *marks: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = [{"type": mark} if isinstance(mark, str) else mark for mark in marks]
    return node


def paragraph(*children: Any) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(children)}


def doc(*blocks: Any) -> dict[str, Any]:
    return {"type": "doc", "content": list(blocks)}


# Every node type and every mark, alone and combined, as TipTap itself would save them.
EVERY_TYPE_BODY = doc(
    {"type": "heading", "attrs": {"level": 1}, "content": [text("Title")]},
    {"type": "heading", "attrs": {"level": 6}, "content": [text("Small heading")]},
    paragraph(
        text("bold", "bold"),
        text(" italic", "italic"),
        text(" underline", "underline"),
        text(" strike", "strike"),
        text(" code", "code"),
        text(" link", {"type": "link", "attrs": {"href": "https://example.com/docs"}}),
        text(" highlighted", "highlight"),
        text(" H"),
        text("2", "subscript"),
        text("O and x"),
        text("2", "superscript"),
    ),
    paragraph(text("bold code", "bold", "code"), text(" marked sub", "highlight", "subscript"), {"type": "hardBreak"}),
    paragraph(text("italic link", "italic", {"type": "link", "attrs": {"href": "mailto:team@example.com"}})),
    {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [paragraph(text("bullet"))]}],
    },
    {
        "type": "orderedList",
        "attrs": {"start": 3},
        "content": [{"type": "listItem", "content": [paragraph(text("third"))]}],
    },
    {"type": "blockquote", "content": [paragraph(text("quoted", "highlight"))]},
    {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("print('hi')")]},
    {"type": "horizontalRule"},
    {"type": "image", "attrs": {"src": "/lesson-images/nosuchimage/", "alt": "A diagram"}},
    paragraph(text("The end.")),
)

# What older rows may hold and the renderer still accepts.
OLDER_BODIES = [
    doc(
        {"type": "bullet_list", "content": [{"type": "list_item", "content": [paragraph(text("snake", "strong"))]}]},
        paragraph(text("em", "em"), text("s", "s"), text("2", "sup"), text("1", "sub"), {"type": "hard_break"}),
        {"type": "code_block", "content": [text("x = 1")]},
        {"type": "horizontal_rule"},
        {"type": "ordered_list", "content": [{"type": "list_item", "content": [paragraph(text("one"))]}]},
    ),
    doc(paragraph(text(""), text("after an empty text node"))),
    doc({"type": "codeBlock", "content": [text("marked ", "bold"), text("code")]}),
    doc(paragraph(text("coloured", {"type": "highlight", "attrs": {"color": "#ff0"}}))),
    doc(paragraph(text("both", "subscript", "superscript"))),
    doc(),
    {"type": "doc"},
]


def editor_schema_check(documents: list[Any]) -> dict[str, Any]:
    node = shutil.which("node") or str(Path(settings.BASE_DIR) / ".venv" / "bin" / "node")
    if not (Path(settings.BASE_DIR) / "node_modules" / "@tiptap" / "core").exists():
        pytest.fail("The editor's npm packages are not installed: run `make frontend`.")
    result = subprocess.run(
        [node, str(Path(__file__).with_name("editor_schema_check.mjs"))],
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_editor_opens_every_body_the_renderer_accepts() -> None:
    corpus = [EVERY_TYPE_BODY, *OLDER_BODIES]
    for body in corpus:
        assert tiptap_document_errors(body) == [], body  # the renderer's validator accepts each
    report = editor_schema_check(corpus)

    # One list of types (courses/tiptap_schema.json) for both, and the editor's extensions provide exactly it.
    assert set(report["nodes"]) == NODE_TYPES
    assert set(report["marks"]) == MARK_TYPES
    assert set(NODE_ALIASES.values()) <= NODE_TYPES and set(MARK_ALIASES.values()) <= MARK_TYPES
    used = json.dumps(corpus)
    for name in (*NODE_TYPES, *MARK_TYPES, *NODE_ALIASES, *MARK_ALIASES):
        assert f'"type": "{name}"' in used, f"the corpus never uses {name}"

    assert report["errors"] == [None] * len(corpus)


def test_the_check_reports_what_the_editor_cannot_open() -> None:
    # The check itself can fail: a text node straight in the document is outside TipTap's (and HTML's) rules.
    report = editor_schema_check([doc(text("loose text")), doc({"type": "nosuchnode"})])
    assert all(report["errors"]), report
