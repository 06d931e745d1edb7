"""The cached course structure behind the learner pages (courses/structure.py): it never carries one
learner's state to another, and every way content changes shows on the next request."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import override_settings

from courses.models import Asset, Lesson, Module
from progress.models import LessonProgress
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import AssetFactory, LessonFactory
from tests.courses.test_admin import change_url, drag, form_data, lesson_drag_url

pytestmark = pytest.mark.django_db


def outline_row(html: str, lesson: Lesson) -> str:
    """The outline's row for `lesson` (its <a> element), or "" when the lesson is not listed."""
    match = re.search(rf'<a class="lesson-row" href="/lessons/{lesson.pk}/">(.*?)</a>', html, re.S)
    return match.group(1) if match else ""


def titles_in_order(html: str) -> list[str]:
    return [" ".join(t.split()) for t in re.findall(r'<span class="lesson-row__title">([^<]*)', html)]


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_one_learners_progress_and_access_never_show_for_another(client, course):
    lessons = course["lessons"]
    first = SubscriptionFactory(user__onboarding_complete=True).user
    second = SubscriptionFactory(user__onboarding_complete=True).user
    free_only = UserFactory(onboarding_complete=True)
    LessonProgress.objects.create(user=first, lesson=lessons[1], completed=True)

    html = signed_in(client, first).get("/course/").content.decode()  # builds and caches the structure
    assert "status-icon--done" in outline_row(html, lessons[1])
    assert "1 completed" in html

    html = signed_in(client, second).get("/course/").content.decode()
    assert "status-icon--done" not in outline_row(html, lessons[1])
    assert "(completed)" not in html
    assert "0 completed" in html
    assert "badge--locked" not in html  # a subscriber: nothing locked

    html = signed_in(client, free_only).get("/course/").content.decode()
    assert "status-icon--done" not in html
    assert "badge--locked" in outline_row(html, lessons[2])
    assert "badge--locked" not in outline_row(html, lessons[0])  # the free lesson
    sidebar = signed_in(client, second).get(f"/lessons/{lessons[2].pk}/").content.decode()
    assert "(completed)" not in sidebar


def test_an_admin_edit_shows_at_once(client, course, admin_user):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    lesson = course["lessons"][2]
    assert "Lesson renamed" not in signed_in(client, learner).get("/course/").content.decode()

    signed_in(client, admin_user)
    data = form_data(client.get(change_url(lesson)))
    data["title"] = "Lesson renamed"
    assert client.post(change_url(lesson), data).status_code == 302

    signed_in(client, learner)
    assert "Lesson renamed" in outline_row(client.get("/course/").content.decode(), lesson)
    assert "Lesson renamed" in client.get(f"/lessons/{course['lessons'][1].pk}/").content.decode()  # pager, sidebar


def test_an_admin_reorder_shows_at_once(client, course, admin_user):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    first, second = course["lessons"][0], course["lessons"][1]
    before = titles_in_order(signed_in(client, learner).get("/course/").content.decode())
    assert before.index(first.title) < before.index(second.title)

    signed_in(client, admin_user)
    response = drag(client, [[second.pk, 1], [first.pk, 2]], url=lesson_drag_url(first.module))
    assert response.status_code == 200

    after = titles_in_order(signed_in(client, learner).get("/course/").content.decode())
    assert after.index(second.title) < after.index(first.title)


def _bulk_reorder(course: dict[str, Any]) -> None:
    # What a drag-and-drop reorder does: new positions for a module's lessons in one bulk write.
    first, second, third = course["lessons"][:3]
    first.order, second.order, third.order = 3, 1, 2
    Lesson.objects.bulk_update([first, second, third], ["order"])


def _unpublish_with_update(course: dict[str, Any]) -> None:
    Lesson.objects.filter(pk=course["lessons"][1].pk).update(published=False)


def _unpublish_module(course: dict[str, Any]) -> None:
    module = course["modules"][1]
    module.published = False
    module.save()


def _delete_lesson(course: dict[str, Any]) -> None:
    course["lessons"][1].delete()


def _add_lessons_in_bulk(course: dict[str, Any]) -> None:
    Lesson.objects.bulk_create([Lesson(module=course["modules"][0], title="Bulk added", order=9, published=True)])


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (_bulk_reorder, lambda titles, c: titles[:3] == [c["lessons"][i].title for i in (1, 2, 0)]),
        (_unpublish_with_update, lambda titles, c: c["lessons"][1].title not in titles),
        (_unpublish_module, lambda titles, c: len(titles) == 3),
        (_delete_lesson, lambda titles, c: c["lessons"][1].title not in titles),
        (_add_lessons_in_bulk, lambda titles, c: "Bulk added" in titles),
    ],
    ids=["bulk_update reorder", "queryset update", "module save", "delete", "bulk_create"],
)
def test_every_kind_of_content_write_shows_at_once(client, course, change, expect):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    signed_in(client, learner).get("/course/")  # cached
    change(course)
    titles = titles_in_order(client.get("/course/").content.decode())
    assert expect(titles, course), titles


def test_lesson_files_show_and_go_at_once(client, course):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    lesson = course["lessons"][2]
    url = f"/lessons/{lesson.pk}/"
    assert "Lesson files" not in signed_in(client, learner).get(url).content.decode()
    asset = AssetFactory(lesson=lesson, title="Cheat sheet")
    assert "Cheat sheet" in client.get(url).content.decode()
    Asset.objects.filter(pk=asset.pk).update(title="Cheat sheet v2")
    assert "Cheat sheet v2" in client.get(url).content.decode()
    asset.delete()
    assert "Cheat sheet" not in client.get(url).content.decode()


def test_a_new_lesson_and_module_appear_on_every_page(client, course):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    signed_in(client, learner)
    for url in ("/", "/course/", f"/lessons/{course['lessons'][5].pk}/"):
        client.get(url)
    module = Module.objects.create(title="Bonus module", order=3, published=True)
    lesson = LessonFactory(module=module, order=1, title="Bonus lesson")
    assert "Bonus module" in client.get("/").content.decode()
    assert "Bonus lesson" in client.get("/course/").content.decode()
    page = client.get(f"/lessons/{course['lessons'][5].pk}/").content.decode()
    assert f'href="/lessons/{lesson.pk}/" rel="next"' in page


def test_pages_render_from_the_database_when_the_cache_is_down(client, course):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    LessonProgress.objects.create(user=learner, lesson=course["lessons"][0], completed=True)
    signed_in(client, learner)
    # Nothing listens on port 1: every cache read and write fails (sessions, content version).
    down = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=down):
        html = client.get("/course/").content.decode()
        assert "status-icon--done" in outline_row(html, course["lessons"][0])
        assert "Sign out" in html  # still signed in: the session came from the database
        assert client.get(f"/lessons/{course['lessons'][2].pk}/").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/dashboard/").status_code == 200


def test_outline_html_grows_sensibly_with_the_course(client, course):
    """No per-row indentation or repeated boilerplate: a row is a few hundred bytes."""
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    html = signed_in(client, learner).get("/course/").content.decode()
    row = outline_row(html, course["lessons"][3])
    assert len(row) < 400, row
    assert "\n" not in row


def _doc(text: str) -> dict[str, Any]:
    return {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


def test_a_lesson_body_edit_shows_at_once(client, course):
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    lesson = course["lessons"][2]
    url = f"/lessons/{lesson.pk}/"
    Lesson.objects.filter(pk=lesson.pk).update(content=_doc("First words."))
    assert "First words." in signed_in(client, learner).get(url).content.decode()  # decoded and kept
    lesson.refresh_from_db()
    lesson.content = _doc("Second words.")
    lesson.save()
    page = client.get(url).content.decode()
    assert "Second words." in page and "First words." not in page
    Lesson.objects.filter(pk=lesson.pk).update(content=_doc("Third <script>x</script> words."))
    page = client.get(url).content.decode()
    assert "Third" in page and "<script>" not in page


def test_the_lesson_page_shows_every_change_to_its_row_at_once(client, course):
    """The lesson row is kept per content version in each process (`lesson_row`): a title, a video, an
    unpublish, a module unpublish — each shows on the next lesson page."""
    learner = SubscriptionFactory(user__onboarding_complete=True).user
    lesson = course["lessons"][0]  # free: its public playback id is on the page
    url = f"/lessons/{lesson.pk}/"
    assert lesson.title in signed_in(client, learner).get(url).content.decode()
    assert client.get(url).status_code == 200  # kept now

    lesson.title = "A title changed just now"
    lesson.save()
    assert "A title changed just now" in client.get(url).content.decode()

    Lesson.objects.filter(pk=lesson.pk).update(mux_playback_id="playback-set-by-a-webhook")
    assert "playback-set-by-a-webhook" in client.get(url).content.decode()

    module = course["modules"][0]
    module.published = False
    module.save()
    assert client.get(url).status_code == 404
    Module.objects.filter(pk=module.pk).update(published=True)
    assert client.get(url).status_code == 200
    Lesson.objects.filter(pk=lesson.pk).update(published=False)
    assert client.get(url).status_code == 404
