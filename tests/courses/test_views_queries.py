"""Outline, lesson and dashboard pages cost the same number of queries at 10 and at 500 lessons with progress."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Asset, Lesson, Module
from progress.models import LessonProgress
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

# Pinned: a change here is a change in how the page reads the database — look at it, don't just bump it.
# Every signed-in request costs 2 before the page runs: session and user (allauth's per-request
# user-session activity tracking is off; see USERSESSIONS_TRACK_ACTIVITY). Then, per page:
#   outline:   modules, lessons, completed ids, subscription (has_access)                          = 4
#   lesson:    lesson+module, subscription, lesson_viewed insert (in a savepoint: 3), module lessons,
#              their progress, previous, next, files, transcripts                                = 11
#   dashboard: course_progress, next_lesson_for, its progress, subscription, recently completed  = 5
QUERIES = {"outline": 2 + 4, "lesson": 2 + 11, "dashboard": 2 + 5}


def build_course(lessons: int, learner: Any) -> dict[str, Any]:
    """`lessons` published lessons over modules of up to 50; the learner has completed the first half
    and has a resume position in the next one; each lesson has two files."""
    per_module = min(50, max(lessons // 2, 1))
    modules = Module.objects.bulk_create(
        [Module(title=f"Module {i}", order=i, published=True) for i in range(1, lessons // per_module + 1)]
    )
    rows = [
        Lesson(
            module=module,
            title=f"{module.title} lesson {n}",
            order=n,
            published=True,
            is_free=module.order == 1 and n == 1,
            video_duration=600,
            mux_playback_id=f"play{module.order}x{n}",
        )
        for module in modules
        for n in range(1, per_module + 1)
    ]
    created = Lesson.objects.bulk_create(rows)
    Asset.objects.bulk_create(
        [
            Asset(lesson=lesson, title=f"File {k}", file_name=f"file{k}.md", file=f"assets/{lesson.pk}/file{k}.md")
            for lesson in created
            for k in (1, 2)
        ]
    )
    half = len(created) // 2
    LessonProgress.objects.bulk_create(
        [
            LessonProgress(user=learner, lesson=lesson, completed=True, completed_at=lesson.created_at)
            for lesson in created[:half]
        ]
        + [LessonProgress(user=learner, lesson=created[half], position_seconds=120)]
    )
    return {"lessons": created, "middle": created[half]}


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("size", [10, 500])
def test_pages_run_a_fixed_number_of_queries(client, settings, size, django_assert_num_queries):
    settings.MUX_SIGNING_KEY_ID = ""  # no token minting needed to count queries
    learner = SubscriptionFactory().user
    data = build_course(size, learner)
    assert Lesson.objects.count() == size
    client.force_login(learner)
    pages = {
        "outline": "/course/",
        "lesson": f"/lessons/{data['middle'].pk}/",
        "dashboard": "/dashboard/",
    }
    for url in pages.values():  # warm-up: session bookkeeping on a first request is not the page's cost
        client.get(url)
    for name, url in pages.items():
        with django_assert_num_queries(QUERIES[name]):
            response = client.get(url)
        assert response.status_code == 200, name


def test_query_counts_do_not_grow_with_the_course(client, settings):
    """The same measurement side by side, independent of the pinned numbers."""
    settings.MUX_SIGNING_KEY_ID = ""
    counts = {}
    for size in (10, 500):
        Module.objects.all().delete()
        learner = SubscriptionFactory().user
        data = build_course(size, learner)
        client.force_login(learner)
        urls = ["/course/", f"/lessons/{data['middle'].pk}/", "/dashboard/"]
        for url in urls:
            client.get(url)
        counts[size] = [count_queries(client, url) for url in urls]
    assert counts[10] == counts[500]
