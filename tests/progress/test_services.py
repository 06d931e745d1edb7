"""Progress writes: completion, module completion, video completion and abandonment emails, positions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from analytics.models import Event
from emails.models import EmailQueue, EmailTemplate
from progress.models import LessonProgress
from progress.services import (
    lesson_complete,
    lesson_position_save,
    lesson_uncomplete,
    lesson_video_complete,
)
from tests.courses.factories import LessonFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def events(user, name=None):
    rows = Event.objects.filter(user=user).order_by("created_at", "id")
    if name:
        rows = rows.filter(event=name)
    return list(rows.values_list("event", "properties"))


def queued(user, template=None):
    rows = EmailQueue.objects.filter(user_id=user.pk)
    if template:
        rows = rows.filter(template=template)
    return rows


# --- Complete / uncomplete --------------------------------------------------------------------------


def test_complete_is_idempotent_and_records_lesson_completed_once(course, user):
    lesson = course["lessons"][1]
    with time_machine.travel(NOW, tick=False):
        first = lesson_complete(user=user, lesson=lesson)
    second = lesson_complete(user=user, lesson=lesson)
    assert first.changed and not second.changed
    row = LessonProgress.objects.get(user=user, lesson=lesson)
    assert row.completed and row.completed_at == NOW
    assert LessonProgress.objects.count() == 1
    assert events(user) == [("lesson_completed", {"lesson_id": lesson.pk, "module_id": lesson.module_id})]


def test_uncomplete_is_idempotent_and_keeps_the_position(course, user):
    lesson = course["lessons"][1]
    lesson_position_save(user=user, lesson=lesson, position=42)
    lesson_complete(user=user, lesson=lesson)
    assert lesson_uncomplete(user=user, lesson=lesson).changed
    assert not lesson_uncomplete(user=user, lesson=lesson).changed
    row = LessonProgress.objects.get(user=user, lesson=lesson)
    assert not row.completed and row.completed_at is None and row.position_seconds == 42


def test_uncomplete_of_a_never_started_lesson_writes_an_empty_row_only(course, user):
    result = lesson_uncomplete(user=user, lesson=course["lessons"][1])
    assert not result.changed and not result.progress.completed
    assert events(user) == []


# --- Module completion --------------------------------------------------------------------------------


def test_completing_the_last_published_lesson_of_a_module_queues_module_complete_once(course, user):
    module_lessons = course["lessons"][:3]
    LessonFactory(module=course["modules"][0], order=9, published=False)  # a draft never blocks completion
    results = [lesson_complete(user=user, lesson=lesson) for lesson in module_lessons]
    assert [r.module_completed for r in results] == [False, False, True]

    module = course["modules"][0]
    email = queued(user, EmailTemplate.MODULE_COMPLETE).get()
    assert email.idempotency_key == f"module_complete:{user.pk}:{module.pk}"
    assert email.data == {"module_id": module.pk, "module_title": module.title}
    assert events(user, "module_completed") == [
        ("module_completed", {"module_id": module.pk, "module_title": module.title})
    ]

    # Repeats change nothing; un-completing and completing again queues no second email.
    assert not lesson_complete(user=user, lesson=module_lessons[2]).module_completed
    lesson_uncomplete(user=user, lesson=module_lessons[1])
    assert lesson_complete(user=user, lesson=module_lessons[1]).module_completed
    assert queued(user, EmailTemplate.MODULE_COMPLETE).count() == 1


def test_the_module_is_complete_whatever_order_its_lessons_are_done_in(course, user):
    first, second, third = course["lessons"][:3]
    assert not lesson_complete(user=user, lesson=third).module_completed
    assert not lesson_complete(user=user, lesson=first).module_completed
    assert lesson_complete(user=user, lesson=second).module_completed
    assert len(events(user, "module_completed")) == 1


def test_another_learners_progress_never_completes_my_module(course, user, subscriber):
    for lesson in course["lessons"][:2]:
        lesson_complete(user=subscriber, lesson=lesson)
    assert not lesson_complete(user=user, lesson=course["lessons"][2]).module_completed
    assert not queued(user).filter(template=EmailTemplate.MODULE_COMPLETE).exists()


def test_staff_completing_an_unpublished_lesson_never_completes_a_module(admin_user):
    draft = LessonFactory(published=False)
    result = lesson_complete(user=admin_user, lesson=draft)
    assert result.changed and not result.module_completed


# --- Video completion ------------------------------------------------------------------------------------


def test_finishing_the_free_video_without_access_records_video_1_completed_and_queues_abandonment(course, user):
    free = course["free_lesson"]
    lesson_position_save(user=user, lesson=free, position=300)
    with time_machine.travel(NOW, tick=False):
        result = lesson_video_complete(user=user, lesson=free)
    assert result.changed and result.progress.completed
    row = LessonProgress.objects.get(user=user, lesson=free)
    assert row.video_completed_at == NOW and row.position_seconds == 0
    # Both are recorded at the same frozen instant; ids are random, so compare without order.
    assert sorted(name for name, _ in events(user)) == ["lesson_completed", "video_1_completed"]
    assert events(user, "video_1_completed") == [("video_1_completed", {"lesson_id": free.pk})]
    schedule = dict(queued(user).values_list("template", "scheduled_for"))
    assert schedule == {
        EmailTemplate.ABANDONMENT_1: NOW + timedelta(hours=1),
        EmailTemplate.ABANDONMENT_2: NOW + timedelta(hours=24),
        EmailTemplate.ABANDONMENT_3: NOW + timedelta(days=3),
    }

    # Watching it to the end again: no second event, no new emails, the lesson stays complete.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        again = lesson_video_complete(user=user, lesson=free)
    assert not again.changed
    assert len(events(user, "video_1_completed")) == 1
    assert queued(user).count() == 3


def test_finishing_the_free_video_with_access_queues_no_abandonment(course, subscriber):
    lesson_video_complete(user=subscriber, lesson=course["free_lesson"])
    assert events(subscriber, "video_1_completed")
    assert not queued(subscriber).exists()


def test_finishing_another_video_records_video_completed_with_the_lesson_id(course, subscriber):
    lesson = course["lessons"][4]
    lesson_video_complete(user=subscriber, lesson=lesson)
    assert events(subscriber, "video_completed") == [("video_completed", {"lesson_id": lesson.pk})]
    assert not events(subscriber, "video_1_completed")
    assert not queued(subscriber).exists()


def test_a_lesson_ticked_by_hand_still_records_its_video_completion_later(course, subscriber):
    lesson = course["lessons"][4]
    lesson_complete(user=subscriber, lesson=lesson)
    result = lesson_video_complete(user=subscriber, lesson=lesson)
    assert not result.changed  # already complete
    assert len(events(subscriber, "video_completed")) == 1
    assert len(events(subscriber, "lesson_completed")) == 1


def test_the_video_ending_on_a_modules_last_lesson_completes_the_module(course, subscriber):
    for lesson in course["lessons"][3:5]:
        lesson_complete(user=subscriber, lesson=lesson)
    assert lesson_video_complete(user=subscriber, lesson=course["lessons"][5]).module_completed
    assert queued(subscriber, EmailTemplate.MODULE_COMPLETE).count() == 1


# --- Position ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "saved"),
    [(0, 0), (12.9, 12), (599.5, 599), (600, 600), (601, 600), (10**12, 600), (-5, 0), (float("inf"), 600)],
)
def test_position_is_clamped_to_the_video_length(course, user, position, saved):
    lesson = course["lessons"][1]  # 600 s
    assert lesson_position_save(user=user, lesson=lesson, position=position).position_seconds == saved
    assert LessonProgress.objects.get(user=user, lesson=lesson).position_seconds == saved


def test_position_without_a_known_duration_is_only_floored_at_zero(user):
    lesson = LessonFactory(video_duration=None)
    assert lesson_position_save(user=user, lesson=lesson, position=4000).position_seconds == 4000
    assert lesson_position_save(user=user, lesson=lesson, position=10**15).position_seconds == 2**31 - 1


def test_saving_the_position_updates_one_row_and_leaves_completion_alone(course, user):
    lesson = course["lessons"][1]
    lesson_complete(user=user, lesson=lesson)
    lesson_position_save(user=user, lesson=lesson, position=10)
    lesson_position_save(user=user, lesson=lesson, position=20)
    row = LessonProgress.objects.get(user=user, lesson=lesson)
    assert row.position_seconds == 20 and row.completed
    assert events(user, "lesson_completed") and len(events(user)) == 1
