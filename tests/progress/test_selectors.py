"""The progress selectors agree with the seed's SQL (section 5) on the same data.

The seed's SQL is run verbatim except for table/column names and one deliberate difference
(documented in progress/selectors.py): unpublished modules are left out.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from progress.models import LessonProgress
from progress.selectors import course_progress, dashboard_for, lesson_progress, next_lesson_for, recently_completed
from tests.accounts.factories import UserFactory
from tests.courses.factories import LessonFactory, ModuleFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db

SEED_PROGRESS_SQL = """
SELECT m.id AS module_id, m.title AS module_title,
       COUNT(l.id) AS total_lessons,
       COUNT(lp.id) FILTER (WHERE lp.completed = true) AS completed_lessons
FROM courses_module m
LEFT JOIN courses_lesson l ON l.module_id = m.id AND l.published = true
LEFT JOIN progress_lessonprogress lp ON lp.lesson_id = l.id AND lp.user_id = %s
WHERE m.published = true
GROUP BY m.id
ORDER BY m.order
"""

SEED_NEXT_LESSON_SQL = """
SELECT l.id FROM courses_lesson l
LEFT JOIN progress_lessonprogress lp ON lp.lesson_id = l.id AND lp.user_id = %s
WHERE l.published = true AND (lp.completed IS NULL OR lp.completed = false)
  AND (SELECT published FROM courses_module WHERE id = l.module_id)
ORDER BY (SELECT "order" FROM courses_module WHERE id = l.module_id), l.order
LIMIT 1
"""


@pytest.fixture
def messy_course():
    """Modules created out of order, unpublished lessons and modules, other users' progress."""
    m3 = ModuleFactory(order=3, title="Third")
    m1 = ModuleFactory(order=1, title="First")
    hidden = ModuleFactory(order=2, title="Hidden", published=False)
    m4 = ModuleFactory(order=4, title="Empty")
    lessons = {
        "m1_l2": LessonFactory(module=m1, order=2),
        "m1_l1": LessonFactory(module=m1, order=1, is_free=True),
        "m1_draft": LessonFactory(module=m1, order=3, published=False),
        "hidden_l1": LessonFactory(module=hidden, order=1),
        "m3_l1": LessonFactory(module=m3, order=1),
        "m3_l2": LessonFactory(module=m3, order=2),
    }
    return {"modules": [m1, hidden, m3, m4], "lessons": lessons}


def _seed_progress(user):
    with connection.cursor() as cursor:
        cursor.execute(SEED_PROGRESS_SQL, [user.pk])
        return [tuple(row) for row in cursor.fetchall()]


def _seed_next(user):
    with connection.cursor() as cursor:
        cursor.execute(SEED_NEXT_LESSON_SQL, [user.pk])
        row = cursor.fetchone()
    return row[0] if row else None


def _as_rows(progress):
    return [(p.module_id, p.module_title, p.total_lessons, p.completed_lessons) for p in progress]


def test_course_progress_matches_seed_sql(messy_course):
    user, other = UserFactory(), UserFactory()
    lessons = messy_course["lessons"]
    LessonProgressFactory(user=user, lesson=lessons["m1_l1"])
    LessonProgressFactory(user=user, lesson=lessons["m1_l2"], completed=False)
    LessonProgressFactory(user=user, lesson=lessons["m1_draft"])  # unpublished: never counted
    LessonProgressFactory(user=user, lesson=lessons["m3_l2"])
    LessonProgressFactory(user=other, lesson=lessons["m3_l1"])  # someone else's

    rows = _as_rows(course_progress(user=user))
    assert rows == _seed_progress(user)
    assert [(title, total, done) for _, title, total, done in rows] == [
        ("First", 2, 1),
        ("Third", 2, 1),
        ("Empty", 0, 0),
    ]


def test_course_progress_for_a_new_learner_is_all_zero(messy_course):
    user = UserFactory()
    assert _as_rows(course_progress(user=user)) == _seed_progress(user)
    assert all(p.completed_lessons == 0 and p.percent == 0 for p in course_progress(user=user))


def test_next_lesson_follows_module_order_then_lesson_order(messy_course):
    user = UserFactory()
    lessons = messy_course["lessons"]
    steps = []
    for _ in range(5):
        lesson = next_lesson_for(user=user)
        assert (lesson.pk if lesson else None) == _seed_next(user)
        steps.append(lesson)
        if lesson is None:
            break
        LessonProgressFactory(user=user, lesson=lesson)
    assert steps == [lessons["m1_l1"], lessons["m1_l2"], lessons["m3_l1"], lessons["m3_l2"], None]


def test_started_but_incomplete_lesson_is_still_next(messy_course):
    user = UserFactory()
    LessonProgressFactory(user=user, lesson=messy_course["lessons"]["m1_l1"], completed=False)
    assert next_lesson_for(user=user) == messy_course["lessons"]["m1_l1"]
    assert next_lesson_for(user=user).pk == _seed_next(user)


def test_selectors_cost_one_query_each(messy_course, django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):
        course_progress(user=user)
    with django_assert_num_queries(1):
        assert next_lesson_for(user=user).module.title


def test_the_dashboard_from_the_cached_course_agrees_with_the_seed_queries(messy_course):
    """`dashboard_for` (cached structure + one query) gives the seed queries' answers, step by step."""
    user, other = UserFactory(), UserFactory()
    lessons = messy_course["lessons"]
    LessonProgressFactory(user=user, lesson=lessons["m1_draft"])  # unpublished: never counted
    LessonProgressFactory(user=other, lesson=lessons["m3_l1"])  # someone else's
    LessonProgressFactory(user=user, lesson=lessons["m1_l2"], completed=False, position_seconds=42)
    for step in ("m1_l1", "m1_l2", "m3_l1", "m3_l2"):
        board = dashboard_for(user=user)
        assert _as_rows(board.modules) == _seed_progress(user)
        assert (board.next_lesson.pk if board.next_lesson else None) == _seed_next(user)
        expected_resume = lesson_progress(user=user, lesson=lessons[step])
        assert board.resume_seconds == (expected_resume.position_seconds if expected_resume else 0)
        # Same lessons, same instants to the microsecond (the selector reads them as epoch seconds).
        assert [(r.lesson.pk, r.completed_at) for r in board.recent] == [
            (p.lesson_id, p.completed_at) for p in recently_completed(user=user)
        ]
        progress = LessonProgress.objects.filter(user=user, lesson=lessons[step]).first()
        if progress is None:
            LessonProgressFactory(user=user, lesson=lessons[step])
        else:
            LessonProgress.objects.filter(pk=progress.pk).update(completed=True, completed_at=timezone.now())
    board = dashboard_for(user=user)
    assert board.next_lesson is None and _seed_next(user) is None
    assert [r.lesson.module.title for r in board.recent][:1] == ["Third"]
