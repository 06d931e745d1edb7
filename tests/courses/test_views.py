"""The landing page and the course outline."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from courses.models import Lesson, Module
from tests.courses.factories import LessonFactory, ModuleFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


# --- Landing --------------------------------------------------------------------------------------


def test_landing_lists_published_modules_from_the_database_in_order(client):
    second = ModuleFactory(order=2, title="Getting paid", description="Stripe and webhooks.")
    first = ModuleFactory(order=1, title="Foundations")
    ModuleFactory(order=3, title="Secret drafts", published=False)
    LessonFactory(module=first, order=1, video_duration=600)
    LessonFactory(module=first, order=2, video_duration=1200)
    LessonFactory(module=first, order=3, published=False, video_duration=9999)
    LessonFactory(module=second, order=1, video_duration=300)

    response = client.get("/")
    assert response.status_code == 200
    page = html(response)
    assert page.index("Foundations") < page.index("Getting paid")
    assert "Stripe and webhooks." in page
    assert "Secret drafts" not in page
    # Counts and durations come from published lessons only: 2 lessons / 30 min, 1 lesson / 5 min.
    assert "2 lessons" in page and "30 min" in page
    assert "1 lesson<" in page.replace("</span>", "<") and "5 min" in page


def test_landing_prices_come_from_settings_and_link_to_pricing(client, settings):
    response = client.get("/")
    page = html(response)
    assert "$49" in page and "$399" in page
    assert re.search(r'href="/pricing/"[^>]*>\s*Subscribe monthly', page)
    assert re.search(r'href="/pricing/"[^>]*>\s*Subscribe annually', page)

    settings.PLAN_PRICE_MONTHLY, settings.PLAN_PRICE_ANNUAL = 59, 499
    page = html(client.get("/"))
    assert "$59" in page and "$499" in page and "$49<" not in page


def test_landing_has_faq_and_invites_visitors_to_the_free_lesson(client, course):
    free = course["free_lesson"]
    page = html(client.get("/"))
    assert page.count("<details>") >= 4 and "<summary>" in page
    signup_to_free = f"{reverse('account_signup')}?next=/lessons/{free.pk}/"
    assert f'href="{signup_to_free}"' in page


def test_landing_sends_a_signed_in_learner_straight_to_the_free_lesson(client, course, user):
    client.force_login(user)
    page = html(client.get("/"))
    assert f'href="/lessons/{course["free_lesson"].pk}/"' in page


def test_landing_without_any_content_still_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "being prepared" in html(response)


# --- Outline --------------------------------------------------------------------------------------


def test_outline_for_visitors_shows_modules_lessons_durations_and_badges(client, course):
    course["lessons"][1].video_duration = 754
    course["lessons"][1].save()
    hidden = LessonFactory(module=course["modules"][0], order=9, published=False, title="Unreleased lesson")
    response = client.get("/course/")
    assert response.status_code == 200
    page = html(response)
    titles = [lesson.title for lesson in course["lessons"]]
    positions = [page.index(title + "\n") if title + "\n" in page else page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert hidden.title not in page
    assert "12:34" in page  # 754 s
    assert page.count("badge--free") == 1
    assert page.count("badge--locked") == 5
    assert 'role="progressbar"' not in page  # no progress for visitors


def test_outline_for_a_learner_ticks_completed_lessons_and_fills_module_bars(client, course, user):
    lessons = course["lessons"]
    LessonProgressFactory(user=user, lesson=lessons[0])
    LessonProgressFactory(user=user, lesson=lessons[1])
    LessonProgressFactory(user=user, lesson=lessons[2], completed=False)
    client.force_login(user)
    page = html(client.get("/course/"))
    assert page.count("status-icon--done") == 2
    assert 'aria-valuenow="67"' in page  # module 1: 2 of 3
    assert 'aria-valuenow="0"' in page  # module 2
    assert "2 of 3 lessons completed" in page
    assert 'href="/pricing/"' in page  # not a member yet: invited to unlock


def test_outline_for_a_subscriber_has_no_locks(client, course, subscriber):
    client.force_login(subscriber)
    page = html(client.get("/course/"))
    assert "badge--locked" not in page and "status-icon--locked" not in page
    assert page.count("badge--free") == 1


# --- A long course: one module's lessons at a time (courses.views.OUTLINE_EXPANDED_MAX) ------------


def _long_course(learner, *, modules: int = 4, per_module: int = 40) -> list[list]:
    made = Module.objects.bulk_create(
        [Module(title=f"Long module {m}", order=m, published=True) for m in range(1, modules + 1)]
    )
    lessons = Lesson.objects.bulk_create(
        [
            Lesson(module=module, title=f"{module.title} lesson {n}", order=n, published=True, video_duration=60)
            for module in made
            for n in range(1, per_module + 1)
        ]
    )
    by_module = [lessons[i * per_module : (i + 1) * per_module] for i in range(modules)]
    for lesson in by_module[0] + by_module[1][:5]:  # module 1 done, module 2 started
        LessonProgressFactory(user=learner, lesson=lesson, completed=True)
    return by_module


def test_a_long_outline_lists_the_next_lessons_module_and_links_the_others(client, subscriber):
    by_module = _long_course(subscriber)
    client.force_login(subscriber)
    body = client.get("/course/").content.decode()

    assert "160 lessons" in body and "45 completed" in body
    assert all(f"/lessons/{lesson.pk}/" in body for lesson in by_module[1])  # the next lesson's module
    for hidden in (by_module[0], by_module[2], by_module[3]):
        assert not any(f"/lessons/{lesson.pk}/" in body for lesson in hidden)
    assert "40 of 40 lessons completed" in body and "5 of 40 lessons completed" in body
    module_3 = by_module[2][0].module
    assert f'href="?module={module_3.pk}#module-{module_3.pk}"' in body

    opened = client.get(f"/course/?module={module_3.pk}").content.decode()
    assert all(f"/lessons/{lesson.pk}/" in opened for lesson in by_module[2])
    assert not any(f"/lessons/{lesson.pk}/" in opened for lesson in by_module[1])


def test_a_long_outline_ignores_an_unknown_module(client, subscriber):
    by_module = _long_course(subscriber)
    client.force_login(subscriber)
    response = client.get("/course/?module=nope%00")
    assert response.status_code == 200
    assert all(f"/lessons/{lesson.pk}/" in response.content.decode() for lesson in by_module[1])


def test_a_long_outline_grows_by_a_heading_per_module_not_a_row_per_lesson(client, subscriber):
    _long_course(subscriber, modules=4, per_module=40)
    client.force_login(subscriber)
    four = len(client.get("/course/").content)
    Module.objects.all().delete()
    _long_course(subscriber, modules=16, per_module=40)
    sixteen = len(client.get("/course/").content)
    assert sixteen < four * 2  # 4x the lessons, well under 2x the page


def test_a_long_outline_shows_a_renamed_lesson_at_once(client, subscriber):
    by_module = _long_course(subscriber)
    client.force_login(subscriber)
    client.get("/course/")
    lesson = by_module[1][3]
    lesson.title = "Renamed just now"
    lesson.save()
    assert "Renamed just now" in client.get("/course/").content.decode()
