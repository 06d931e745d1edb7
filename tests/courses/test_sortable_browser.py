"""Admin ergonomics in Chromium at 1280 px: modules reorder by drag and drop (saved at once, logged),
lessons by drag inside their module's page (saved with the page), and no page scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry

from courses.models import Lesson, Module
from tests.conftest import browser_sign_in
from tests.courses.factories import AssetFactory, LessonFactory, ModuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    offenders = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the window: {offenders}"


def test_drag_to_reorder_modules_and_lessons(browser_page: Any, live_server: Any, admin_user: Any) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    first, second, third = (ModuleFactory(order=n, title=f"Module {t}") for n, t in ((1, "A"), (2, "B"), (3, "C")))
    lessons = [LessonFactory(module=first, order=n, title=f"Lesson {n}") for n in (1, 2, 3)]
    AssetFactory(
        lesson=lessons[0],
        title="First file",
        order=1,
        mime_type="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    )
    browser_sign_in(page, live_server, admin_user)

    page.goto("/admin/courses/module/")
    _no_sideways_scroll(page)
    rows = page.locator("#result_list tbody tr")
    # The drop posts the new positions in the background: wait for that answer.
    with page.expect_response(lambda response: "adminsortable2_update" in response.url) as answer:
        rows.nth(2).locator(".drag").drag_to(rows.nth(0).locator(".drag"))
    assert answer.value.status == 200
    assert list(Module.objects.order_by("order").values_list("title", flat=True)) == [
        "Module C",
        "Module A",
        "Module B",
    ]
    assert LogEntry.objects.filter(object_id=third.pk, change_message__contains="Moved from position 3 to 1").exists()

    page.goto(f"/admin/courses/module/{first.pk}/change/")
    _no_sideways_scroll(page)
    inline = page.locator("#lessons-group tbody tr.has_original")
    inline.nth(2).locator("td.original p").drag_to(inline.nth(0).locator("td.original p"))
    page.locator("input[name=_continue]").click()
    page.locator(".messagelist .success").wait_for()
    assert list(Lesson.objects.filter(module=first).order_by("order").values_list("title", flat=True)) == [
        "Lesson 3",
        "Lesson 1",
        "Lesson 2",
    ]

    # Files on the lesson page: drag the second above the first, save with the page.
    AssetFactory(lesson=lessons[0], title="Second file", order=2)
    page.goto(f"/admin/courses/lesson/{lessons[0].pk}/change/")
    files = page.locator("#assets-group tbody tr.has_original")
    files.nth(1).locator("td.original p").drag_to(files.nth(0).locator("td.original p"))
    page.locator("input[name=_continue]").click()
    page.locator(".messagelist .success").wait_for()
    assert list(lessons[0].assets.order_by("order").values_list("title", flat=True)) == ["Second file", "First file"]

    for url in (
        f"/admin/courses/lesson/{lessons[0].pk}/change/",
        "/admin/courses/lesson/",
        "/admin/emails/emailqueue/",
        "/admin/",
    ):
        page.goto(url)
        _no_sideways_scroll(page)
    assert second.pk


def test_drag_to_reorder_lessons_on_the_lesson_list_of_one_module(
    browser_page: Any, live_server: Any, admin_user: Any
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    module, other = ModuleFactory(order=1, title="Module A"), ModuleFactory(order=2, title="Module B")
    lessons = [LessonFactory(module=module, order=n, title=f"Lesson {n}") for n in (1, 2, 3)]
    LessonFactory(module=other, order=1, title="Elsewhere")
    browser_sign_in(page, live_server, admin_user)

    # Every module's lessons: positions are per module, so no row can be dragged; the list says how.
    page.goto("/admin/courses/lesson/")
    assert page.locator("#result_list .drag.handle").count() == 0
    assert "choose one module" in page.locator("[data-role=drag-hint]").inner_text()

    # The module list's lesson count opens that module's lessons, ready to drag.
    page.goto("/admin/courses/module/")
    page.locator(f'a[href$="?module__id__exact={module.pk}"]').click()
    page.locator("#result_list .drag.handle").first.wait_for()
    _no_sideways_scroll(page)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    with page.expect_response(lambda response: "adminsortable2_update" in response.url) as answer:
        rows.nth(2).locator(".drag").drag_to(rows.nth(0).locator(".drag"))
    assert answer.value.status == 200, answer.value.text()
    assert list(Lesson.objects.filter(module=module).order_by("order").values_list("title", flat=True)) == [
        "Lesson 3",
        "Lesson 1",
        "Lesson 2",
    ]
    assert Lesson.objects.get(title="Elsewhere").order == 1
    assert LogEntry.objects.filter(
        object_id=lessons[2].pk, change_message__contains="Moved from position 3 to 1"
    ).exists()

    page.reload()
    page.locator("#result_list .drag.handle").first.wait_for()
    titles = page.locator("#result_list tbody tr th a").all_inner_texts()
    assert titles == ["Lesson 3", "Lesson 1", "Lesson 2"]
    history = f"/admin/courses/lesson/{lessons[2].pk}/history/"
    page.goto(history)
    assert "Moved from position 3 to 1." in page.locator("#content").inner_text()
