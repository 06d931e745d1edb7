"""The Q&A Markdown subset: what renders, and that no script or event handler survives."""

import pytest

from qa.markdown import markdown_render
from tests.qa.html_safety import dangers

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg/onload=alert(1)>",
    "```\n</code><script>alert(1)</script>\n```",
    "<style>body{display:none}</style>",
    "![img](https://evil.example/x.png)",
]


@pytest.mark.parametrize("source", ATTACKS)
def test_no_script_tag_handler_or_dangerous_url_survives(source):
    html = markdown_render(source)
    assert dangers(html) == []
    assert html.startswith(("<p>", "<pre>"))  # what was typed is still shown, as text


def test_the_checker_itself_catches_what_it_looks_for():
    assert dangers('<p><a href="javascript:x()">a</a><b onclick="y">b</b><script></script></p>') == [
        "a[href=javascript:x()]",
        "b[onclick]",
        "<script>",
    ]


def test_the_subset_renders_emphasis_code_lists_quotes_and_safe_links():
    html = markdown_render(
        "Try **bold**, *em* and `code`.\n\n- one\n- two\n\n> quoted\n\n[docs](https://example.com/docs)"
    )
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<code>code</code>" in html
    assert "<ul>" in html and "<li>one</li>" in html and "<blockquote>" in html
    assert '<a href="https://example.com/docs" rel="nofollow ugc noopener">docs</a>' in html


def test_headings_tables_and_raw_html_are_not_part_of_the_subset():
    html = markdown_render("# Big\n\n<b>raw</b>")
    assert "<h1>" not in html and "<b>" not in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html  # shown as text, not dropped
