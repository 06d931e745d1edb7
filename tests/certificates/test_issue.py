"""The certificate issue rule: exactly once, on the completion of the last published lesson."""

import pytest

from certificates.models import Certificate
from emails.models import EmailQueue, EmailTemplate
from progress.services import lesson_complete, lesson_uncomplete
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import LessonFactory

pytestmark = pytest.mark.django_db


def test_issued_exactly_once_on_the_last_lessons_completion(course, mailoutbox, django_capture_on_commit_callbacks):
    learner = SubscriptionFactory(user__name="Ada Lovelace").user
    lessons = course["lessons"]
    LessonFactory(module=course["modules"][0], order=9, published=False)  # drafts don't count
    for lesson in lessons[:-1]:
        lesson_complete(user=learner, lesson=lesson)
    assert not Certificate.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        lesson_complete(user=learner, lesson=lessons[-1])
    certificate = Certificate.objects.get(user=learner)
    assert (certificate.name, certificate.lessons_completed) == ("Ada Lovelace", 6)
    [mail] = [m for m in mailoutbox if m.extra_headers["X-Syllabus-Template"] == "CERTIFICATE"]
    assert f"http://testserver/certificates/{certificate.pk}/" in mail.body

    # Again, un-complete and re-complete: nothing new, no second email.
    lesson_complete(user=learner, lesson=lessons[-1])
    lesson_uncomplete(user=learner, lesson=lessons[0])
    with django_capture_on_commit_callbacks(execute=True):
        lesson_complete(user=learner, lesson=lessons[0])
    assert Certificate.objects.filter(user=learner).count() == 1
    assert EmailQueue.objects.filter(template=EmailTemplate.CERTIFICATE).count() == 1


def test_order_does_not_matter_the_last_one_done_issues_it(course):
    learner = SubscriptionFactory().user
    lessons = course["lessons"]
    for lesson in reversed(lessons[1:]):
        lesson_complete(user=learner, lesson=lesson)
    assert not Certificate.objects.exists()
    lesson_complete(user=learner, lesson=lessons[0])
    assert Certificate.objects.filter(user=learner).exists()


def test_stays_valid_when_lessons_are_added_later(client, course):
    learner = SubscriptionFactory().user
    for lesson in course["lessons"]:
        lesson_complete(user=learner, lesson=lesson)
    certificate = Certificate.objects.get()
    LessonFactory(module=course["modules"][1], order=4, published=True)
    assert client.get(f"/certificates/{certificate.pk}/").status_code == 200
    assert Certificate.objects.get().revoked_at is None


def test_no_certificate_without_published_lessons_or_for_another_learner(course):
    a, b = SubscriptionFactory().user, SubscriptionFactory().user
    for lesson in course["lessons"][:3]:
        lesson_complete(user=a, lesson=lesson)
    for lesson in course["lessons"][3:]:
        lesson_complete(user=b, lesson=lesson)
    assert not Certificate.objects.exists()


def test_the_backfill_command_issues_earned_certificates_once(course):
    from django.core.management import call_command

    from progress.models import LessonProgress

    done, halfway = SubscriptionFactory().user, SubscriptionFactory().user
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=done, lesson=lesson, completed=True) for lesson in course["lessons"]]
        + [LessonProgress(user=halfway, lesson=course["lessons"][0], completed=True)]
    )
    call_command("certificates_issue")
    call_command("certificates_issue")
    assert list(Certificate.objects.values_list("user_id", flat=True)) == [done.pk]
    assert EmailQueue.objects.filter(template=EmailTemplate.CERTIFICATE).count() == 1


def test_a_learner_without_a_name_is_not_shown_by_email_address(course):
    learner = SubscriptionFactory(user__name="", user__email="quiet.person@example.com").user
    for lesson in course["lessons"]:
        lesson_complete(user=learner, lesson=lesson)
    assert Certificate.objects.get().name == "quiet.person"
