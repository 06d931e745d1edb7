"""TipTap JSON -> sanitised HTML (courses/content.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from courses.content import lesson_body_html
from courses.demo import tiptap_body


def doc(*blocks):
    return {"type": "doc", "content": list(blocks)}


def para(*inline):
    return {"type": "paragraph", "content": list(inline)}


def text(value, *marks):
    node = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def test_demo_body_renders_headings_lists_links_and_code():
    html = lesson_body_html(tiptap_body("Thinking in tables", "Data and models"))
    assert "<h3>Key ideas</h3>" in html
    assert "<h2>Thinking in tables</h2>" not in html  # the page's own <h1> carries the title
    assert "<strong>Data and models</strong>" in html
    assert "<ul><li><p>One table per thing, one row per instance." in html
    assert (
        '<a href="https://www.postgresql.org/docs/current/ddl.html" target="_blank" rel="noopener noreferrer nofollow">'
        in html
    )
    assert '<pre><code data-lang="sql">CREATE TABLE lesson' in html


def test_marks_map_to_semantic_tags():
    html = lesson_body_html(
        doc(
            para(
                text("b", {"type": "bold"}),
                text("i", {"type": "italic"}),
                text("u", {"type": "underline"}),
                text("s", {"type": "strike"}),
                text("c", {"type": "code"}),
                text("h", {"type": "highlight"}),
                text("2", {"type": "superscript"}),
            )
        )
    )
    assert html == "<p><strong>b</strong><em>i</em><u>u</u><s>s</s><code>c</code><mark>h</mark><sup>2</sup></p>"


def test_text_is_escaped_not_interpreted():
    html = lesson_body_html(doc(para(text("<script>alert(1)</script> & <b>bold</b>"))))
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", " vbscript:x"]
)
def test_dangerous_link_schemes_lose_their_href(href):
    html = lesson_body_html(doc(para(text("click", {"type": "link", "attrs": {"href": href}}))))
    assert "click" in html
    assert [attrs for tag, attrs in elements(html) if tag == "a"] == [
        {"target": "_blank", "rel": "noopener noreferrer nofollow"}
    ]
    assert_inert(html)


def elements(html):
    """(tag, {attr: value}) for every start tag, as a browser's tokenizer sees them."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


def assert_inert(html):
    for tag, attrs in elements(html):
        assert tag not in {"script", "iframe", "style", "object", "embed", "svg", "form"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in {"href", "src"}:
                assert value.startswith(("https://", "http://", "mailto:")), (tag, name, value)


def test_attribute_injection_is_stripped():
    html = lesson_body_html(
        doc(
            {"type": "heading", "attrs": {"level": "1 onclick=alert(1)"}, "content": [text("Title")]},
            para(
                text(
                    "x",
                    {
                        "type": "link",
                        "attrs": {"href": 'https://example.com/" onmouseover="alert(1)', "onclick": "alert(1)"},
                    },
                )
            ),
            {"type": "image", "attrs": {"src": "https://example.com/a.png", "alt": '" onerror="alert(1)'}},
            {"type": "image", "attrs": {"src": "javascript:alert(1)", "alt": "x"}},
            {"type": "codeBlock", "attrs": {"language": '"><script>alert(1)</script>'}, "content": [text("code")]},
        )
    )
    assert_inert(html)
    assert "<h2>Title</h2>" in html  # a garbage level falls back to 2
    tags = elements(html)
    links = [attrs for tag, attrs in tags if tag == "a"]
    assert links == [
        {
            "href": 'https://example.com/" onmouseover="alert(1)',
            "target": "_blank",
            "rel": "noopener noreferrer nofollow",
        }
    ]
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert images == [{"src": "https://example.com/a.png", "alt": '" onerror="alert(1)'}]  # the javascript: one is gone
    assert ("code", {}) in tags  # the hostile language never reaches data-lang


def test_raw_html_nodes_and_unknown_nodes_are_unwrapped_not_rendered():
    html = lesson_body_html(
        doc(
            {"type": "embed", "attrs": {"html": "<iframe src='https://evil.example'></iframe><script>x</script>"}},
            {"type": "callout", "content": [para(text("Kept text"))]},
            {"type": "title", "content": [text("Not an h1")]},
            para(text("odd mark", {"type": "textStyle", "attrs": {"style": "color:red"}})),
        )
    )
    assert_inert(html)
    assert "iframe" not in html and "script" not in html and "style" not in html
    assert "<p>Kept text</p>" in html
    assert "Not an h1" in html and "<h1>" not in html
    assert "<p>odd mark</p>" in html


@pytest.mark.parametrize(
    "content",
    [
        None,
        "a string",
        42,
        [],
        {},
        {"type": "doc"},
        {"type": "doc", "content": "nope"},
        {"type": "doc", "content": [1]},
    ],
)
def test_empty_or_malformed_documents_render_nothing(content):
    assert lesson_body_html(content) == ""


def test_malformed_nodes_inside_a_good_document_are_skipped():
    html = lesson_body_html(
        doc(
            para(text("good")),
            {"type": "paragraph", "content": [{"type": "text"}, {"type": "text", "text": 5}, "junk", None]},
            {"type": "bulletList", "content": [{"type": "listItem", "content": [para(text("item"))]}]},
            {"type": "orderedList", "attrs": {"start": "x"}, "content": [{"type": "listItem", "content": []}]},
        )
    )
    assert "<p>good</p>" in html
    assert "<ul><li><p>item</p></li></ul>" in html
    assert '<ol start="1"><li></li></ol>' in html


def test_snake_case_prosemirror_names_are_understood():
    html = lesson_body_html(
        doc({"type": "bullet_list", "content": [{"type": "list_item", "content": [para(text("a"))]}]})
    )
    assert html == "<ul><li><p>a</p></li></ul>"
