"""The lesson body editor in Chromium: an existing body opens unchanged, the admin types and formats,
inserts an uploaded image, saves; after a reload the editor shows it, and the learner's page renders it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from courses.models import Lesson, LessonImage
from tests.conftest import browser_sign_in
from tests.courses.factories import LessonFactory, ModuleFactory
from tests.courses.test_editor_schema import EVERY_TYPE_BODY, OLDER_BODIES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
BODY = {
    "type": "doc",
    "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Existing intro."}]},
        {
            "type": "bulletList",
            "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "One"}]}]}
            ],
        },
    ],
}


def _open_in_editor(page: Any, live_server: Any, admin_user: Any, body: Any) -> tuple[Lesson, Any]:
    lesson = LessonFactory(module=ModuleFactory(published=True), content=body, mux_playback_id=None)
    browser_sign_in(page, live_server, admin_user)
    page.goto(f"/admin/courses/lesson/{lesson.pk}/change/")
    return lesson, page.locator(".lesson-editor__content")


def _textarea_json(page: Any) -> Any:
    return json.loads(page.locator("textarea.tiptap-json").input_value())


def _focus_in_editor(page: Any) -> None:
    page.wait_for_function("document.activeElement?.closest('.lesson-editor__content') !== null")


def test_editor_types_formats_saves_and_the_learner_sees_it(
    browser_page: Any, live_server: Any, admin_user: Any, subscriber: Any, tmp_path: Any
) -> None:
    page = browser_page
    lesson, editor = _open_in_editor(page, live_server, admin_user, BODY)
    editor.get_by_text("Existing intro.").wait_for()
    # Opening the lesson changes nothing: the form field still holds the saved JSON.
    assert json.loads(page.locator("textarea.tiptap-json").input_value()) == BODY

    editor.get_by_text("One").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # leaves the list
    page.get_by_role("button", name="Heading 2").click()
    _focus_in_editor(page)
    page.keyboard.type("Typed heading")
    editor.locator("h2", has_text="Typed heading").wait_for()  # each step lands before the next (a loaded CI)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Bold").click()
    _focus_in_editor(page)
    page.keyboard.type("bold words")
    editor.locator("p strong", has_text="bold words").wait_for()
    assert page.get_by_role("button", name="Bold").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Bold").click()
    page.locator("button[aria-label=Bold][aria-pressed=false]").wait_for()
    _focus_in_editor(page)
    page.keyboard.type(" then plain.")
    editor.locator("p", has_text="bold words then plain.").wait_for()

    image = tmp_path / "diagram.png"
    image.write_bytes(PNG)
    page.locator("[data-role=image-input]").set_input_files(str(image))
    page.get_by_text("Inserted “diagram.png”.").wait_for()
    # The live preview is the learner renderer's output.
    page.locator(".lesson-preview__body h2", has_text="Typed heading").wait_for()

    page.locator("input[name=_continue]").click()
    page.locator(".messagelist .success").wait_for()

    lesson.refresh_from_db()
    blocks = lesson.content["content"]
    assert blocks[0] == BODY["content"][0]
    assert {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Typed heading"}]} in [
        {**block, "attrs": {"level": block.get("attrs", {}).get("level")}}
        for block in blocks
        if block["type"] == "heading"
    ]
    paragraph = next(b for b in blocks if b["type"] == "paragraph" and "bold words" in json.dumps(b))
    assert paragraph["content"][0] == {"type": "text", "marks": [{"type": "bold"}], "text": "bold words"}
    image_row = LessonImage.objects.get(lesson=lesson)
    assert f"/lesson-images/{image_row.pk}/" in json.dumps(blocks)

    # After the reload the editor shows what was saved.
    editor.locator("h2", has_text="Typed heading").wait_for()
    editor.locator("strong", has_text="bold words").wait_for()

    # The learner's page renders it with the same sanitiser, image included (access-checked).
    page.context.clear_cookies()
    browser_sign_in(page, live_server, subscriber)
    page.goto(f"/lessons/{lesson.pk}/")
    body = page.locator(".lesson-body")
    body.locator("h2", has_text="Typed heading").wait_for()
    body.locator("strong", has_text="bold words").wait_for()
    assert body.locator("li", has_text="One").count() == 1
    src = body.locator("img").get_attribute("src")
    assert src == f"/lesson-images/{image_row.pk}/"
    assert page.evaluate("src => fetch(src).then(r => r.status)", src) == 200
    assert Lesson.objects.get(pk=lesson.pk).title == lesson.title

    # An older row whose body is not a TipTap document opens as an error over the raw JSON, unchanged.
    broken = LessonFactory(content=["not", "a", "document"])
    page.context.clear_cookies()
    browser_sign_in(page, live_server, admin_user)
    page.goto(f"/admin/courses/lesson/{broken.pk}/change/")
    page.get_by_text("The saved body is not a TipTap document").wait_for()
    assert page.locator(".lesson-editor__content").count() == 0
    assert json.loads(page.locator("textarea.tiptap-json").input_value()) == ["not", "a", "document"]


@pytest.mark.parametrize("body", [EVERY_TYPE_BODY, OLDER_BODIES[0]], ids=["every-type", "older-names"])
def test_a_body_with_every_mark_and_node_opens_and_saves_unchanged(
    browser_page: Any, live_server: Any, admin_user: Any, body: Any
) -> None:
    page = browser_page
    lesson, editor = _open_in_editor(page, live_server, admin_user, body)
    editor.wait_for()
    assert page.locator(".lesson-editor__status.errornote").count() == 0  # opened, not refused
    if body is EVERY_TYPE_BODY:
        for selector, words in (
            ("mark", "highlighted"),
            ("sub", "2"),
            ("sup", "2"),
            ("u", "underline"),
            ("s", "strike"),
            ("strong code", "bold code"),
            ("mark sub", "marked sub"),
            ("a[href='mailto:team@example.com'] em", "italic link"),
            ("ol[start='3'] li", "third"),
            ("pre code", "print('hi')"),
        ):
            editor.locator(selector, has_text=words).first.wait_for()
        assert editor.locator("hr").count() == 1 and editor.locator("img[alt='A diagram']").count() == 1
        # Bullets show, at the left edge (the admin's form styles would hide them and indent the list 160 px).
        bullet = editor.locator("ul li").first
        assert bullet.evaluate("li => getComputedStyle(li).listStyleType") == "disc"
        indent = (
            "li => li.parentElement.getBoundingClientRect().x - li.closest('.lesson-editor').getBoundingClientRect().x"
        )
        assert bullet.evaluate(indent) < 40
    else:
        editor.locator("ul li strong", has_text="snake").wait_for()
        editor.locator("sup", has_text="2").wait_for()
    assert _textarea_json(page) == body

    # A click inside (a selection change, no edit) and a save without edits keep the stored JSON as it was.
    editor.locator("p").last.click()
    _focus_in_editor(page)
    assert _textarea_json(page) == body
    page.locator("input[name=_continue]").click()
    page.locator(".messagelist .success").wait_for()
    lesson.refresh_from_db()
    assert lesson.content == body
    page.locator(".lesson-editor__content").wait_for()
    assert _textarea_json(page) == body

    if body is not EVERY_TYPE_BODY:
        return
    # An edit rewrites the JSON from the editor, every mark kept; the new buttons format what is typed next.
    editor.get_by_text("The end.").click()
    page.keyboard.press("End")
    for button, mark in (("Highlight", "highlight"), ("Subscript", "subscript"), ("Superscript", "superscript")):
        page.get_by_role("button", name=button, exact=True).click()
        _focus_in_editor(page)
        page.locator(f"button[aria-label={button}][aria-pressed=true]").wait_for()
        page.keyboard.type(f" {mark}-typed")
        editor.locator("p", has_text=f"{mark}-typed").wait_for()
        page.get_by_role("button", name=button, exact=True).click()
        page.locator(f"button[aria-label={button}][aria-pressed=false]").wait_for()
    page.wait_for_function("document.querySelector('textarea.tiptap-json').value.includes('superscript-typed')")
    saved = json.dumps(_textarea_json(page))
    for mark in ("bold", "italic", "underline", "strike", "code", "link", "highlight", "subscript", "superscript"):
        assert f'{{"type": "{mark}"' in saved, mark
    last = _textarea_json(page)["content"][-1]["content"]
    for mark in ("highlight", "subscript", "superscript"):
        assert {"type": "text", "text": f" {mark}-typed", "marks": [{"type": mark}]} in last, last
