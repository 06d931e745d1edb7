"""Progress endpoints (JSON for the player, redirects for plain forms) and the dashboard."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from analytics.models import Event
from billing.models import SubscriptionStatus
from emails.models import EmailQueue, EmailTemplate
from progress.models import LessonProgress
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import LessonFactory, ModuleFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def post_json(client, url, data=None):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json", **JSON)


def nothing_written(user) -> bool:
    return not LessonProgress.objects.filter(user=user).exists() and not Event.objects.filter(user=user).exists()


# --- Complete / uncomplete ---------------------------------------------------------------------------


def test_complete_by_fetch_answers_json_and_is_idempotent(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    first = post_json(client, f"/lessons/{lesson.pk}/complete/")
    assert first.status_code == 200
    body = first.json()
    assert body["lesson_id"] == lesson.pk and body["completed"] is True and body["module_completed"] is False
    assert body["completed_at"]
    second = post_json(client, f"/lessons/{lesson.pk}/complete/")
    assert second.status_code == 200 and second.json()["completed_at"] == body["completed_at"]
    assert LessonProgress.objects.filter(user=subscriber, completed=True).count() == 1
    assert Event.objects.filter(user=subscriber, event="lesson_completed").count() == 1


def test_complete_by_plain_form_redirects_back_to_the_lesson_with_a_message(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    response = client.post(f"/lessons/{lesson.pk}/complete/", {"next": f"/lessons/{lesson.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/lessons/{lesson.pk}/"
    assert LessonProgress.objects.get(user=subscriber, lesson=lesson).completed
    page = client.get(response["Location"]).content.decode()
    assert "Lesson marked complete." in page


def test_a_foreign_next_url_is_ignored(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    response = client.post(f"/lessons/{lesson.pk}/complete/", {"next": "https://evil.example/phish"})
    assert response["Location"] == f"/lessons/{lesson.pk}/"


def test_uncomplete_by_fetch_and_by_form(client, course, subscriber):
    lesson = course["lessons"][1]
    LessonProgressFactory(user=subscriber, lesson=lesson)
    client.force_login(subscriber)
    response = post_json(client, f"/lessons/{lesson.pk}/uncomplete/")
    assert response.status_code == 200 and response.json()["completed"] is False
    assert client.post(f"/lessons/{lesson.pk}/uncomplete/").status_code == 302
    assert not LessonProgress.objects.get(user=subscriber, lesson=lesson).completed


def test_completing_a_modules_last_lesson_says_so_and_queues_the_email(client, course, subscriber):
    client.force_login(subscriber)
    for lesson in course["lessons"][:2]:
        post_json(client, f"/lessons/{lesson.pk}/complete/")
    response = post_json(client, f"/lessons/{course['lessons'][2].pk}/complete/")
    assert response.json()["module_completed"] is True
    assert EmailQueue.objects.filter(user_id=subscriber.pk, template=EmailTemplate.MODULE_COMPLETE).count() == 1
    assert Event.objects.filter(user=subscriber, event="module_completed").count() == 1


def test_video_end_on_the_free_lesson_records_video_1_completed_and_queues_abandonment(client, course, user):
    free = course["free_lesson"]
    client.force_login(user)
    response = post_json(client, f"/lessons/{free.pk}/complete/", {"source": "video"})
    assert response.status_code == 200 and response.json()["completed"] is True
    assert Event.objects.filter(user=user, event="video_1_completed", properties={"lesson_id": free.pk}).exists()
    templates = set(EmailQueue.objects.filter(user_id=user.pk).values_list("template", flat=True))
    assert templates == {EmailTemplate.ABANDONMENT_1, EmailTemplate.ABANDONMENT_2, EmailTemplate.ABANDONMENT_3}


def test_video_end_on_a_paid_lesson_records_video_completed(client, course, subscriber):
    lesson = course["lessons"][3]
    client.force_login(subscriber)
    post_json(client, f"/lessons/{lesson.pk}/complete/", {"source": "video"})
    assert list(
        Event.objects.filter(user=subscriber, event="video_completed").values_list("properties", flat=True)
    ) == [{"lesson_id": lesson.pk}]


# --- Position ------------------------------------------------------------------------------------------


def test_position_by_fetch_is_saved_and_clamped(client, course, subscriber):
    lesson = course["lessons"][1]  # 600 s
    client.force_login(subscriber)
    assert post_json(client, f"/lessons/{lesson.pk}/position/", {"position": 93.7}).json()["position"] == 93
    assert post_json(client, f"/lessons/{lesson.pk}/position/", {"position": 99999}).json()["position"] == 600
    assert post_json(client, f"/lessons/{lesson.pk}/position/", {"position": -3}).json()["position"] == 0
    assert LessonProgress.objects.get(user=subscriber, lesson=lesson).position_seconds == 0


def test_position_from_a_beacon_form_post_is_saved(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    response = client.post(f"/lessons/{lesson.pk}/position/", {"position": "321"})
    assert response.status_code == 302
    assert LessonProgress.objects.get(user=subscriber, lesson=lesson).position_seconds == 321


@pytest.mark.parametrize("position", [None, "", "abc", "NaN", True, [], {"s": 1}])
def test_a_position_that_is_not_a_number_is_400_and_nothing_is_written(client, course, subscriber, position):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    payload = {} if position is None else {"position": position}
    response = post_json(client, f"/lessons/{lesson.pk}/position/", payload)
    assert response.status_code == 400 and "position" in response.json()["error"]
    assert not LessonProgress.objects.filter(user=subscriber).exists()


def test_a_body_that_is_not_json_is_400(client, course, subscriber):
    client.force_login(subscriber)
    for body in ("{not json", "[1, 2]"):
        response = client.post(
            f"/lessons/{course['lessons'][1].pk}/position/", data=body, content_type="application/json", **JSON
        )
        assert response.status_code == 400
    assert not LessonProgress.objects.filter(user=subscriber).exists()


# --- Refusals: nothing is ever written --------------------------------------------------------------------


@pytest.mark.parametrize("action", ["complete", "uncomplete", "position"])
def test_without_access_every_progress_endpoint_is_403_and_writes_nothing(client, course, user, action):
    lesson = course["lessons"][1]
    client.force_login(user)
    response = post_json(client, f"/lessons/{lesson.pk}/{action}/", {"position": 10, "source": "video"})
    assert response.status_code == 403 and "error" in response.json()
    form = client.post(f"/lessons/{lesson.pk}/{action}/", {"position": 10})
    assert form.status_code == 403 and b"/pricing/" in form.content
    assert nothing_written(user)


def test_a_lapsed_member_can_no_longer_record_progress(client, course):
    subscription = SubscriptionFactory(status=SubscriptionStatus.CANCELLED)
    client.force_login(subscription.user)
    assert post_json(client, f"/lessons/{course['lessons'][1].pk}/complete/").status_code == 403
    assert nothing_written(subscription.user)


@pytest.mark.parametrize("action", ["complete", "uncomplete", "position"])
def test_anonymous_progress_posts_go_to_login_and_write_nothing(client, course, action):
    lesson = course["free_lesson"]
    response = client.post(f"/lessons/{lesson.pk}/{action}/", {"position": 5})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/lessons/{lesson.pk}/"
    assert post_json(client, f"/lessons/{lesson.pk}/{action}/", {"position": 5}).status_code == 403
    assert not LessonProgress.objects.exists() and not Event.objects.exists()


@pytest.mark.parametrize("action", ["complete", "uncomplete", "position"])
def test_unknown_or_unpublished_lessons_are_404(client, subscriber, action):
    client.force_login(subscriber)
    assert post_json(client, f"/lessons/nosuchlesson000000000000/{action}/", {"position": 1}).status_code == 404
    draft = LessonFactory(module=ModuleFactory(), published=False)
    assert post_json(client, f"/lessons/{draft.pk}/{action}/", {"position": 1}).status_code == 404
    assert nothing_written(subscriber)


@pytest.mark.parametrize("action", ["complete", "uncomplete", "position"])
def test_progress_endpoints_are_csrf_protected(course, subscriber, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(subscriber)
    lesson = course["lessons"][1]
    response = client.post(f"/lessons/{lesson.pk}/{action}/", {"position": 10})
    assert response.status_code == 403
    assert nothing_written(subscriber)

    # With the token from the lesson page (as the player script sends it), the same request goes through.
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    ok = client.post(
        f"/lessons/{lesson.pk}/{action}/",
        data=json.dumps({"position": 10}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        **JSON,
    )
    assert ok.status_code == 200


@pytest.mark.parametrize("action", ["complete", "uncomplete", "position"])
def test_progress_endpoints_refuse_get(client, course, subscriber, action):
    client.force_login(subscriber)
    assert client.get(f"/lessons/{course['lessons'][1].pk}/{action}/").status_code == 405


# --- Dashboard ----------------------------------------------------------------------------------------------


def test_dashboard_needs_a_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/dashboard/"


def test_dashboard_shows_overall_and_module_progress_continue_and_recent(client, course, subscriber):
    lessons = course["lessons"]
    LessonProgressFactory(user=subscriber, lesson=lessons[0])
    LessonProgressFactory(user=subscriber, lesson=lessons[1])
    LessonProgressFactory(user=subscriber, lesson=lessons[2], completed=False, position_seconds=185)
    client.force_login(subscriber)
    page = client.get("/dashboard/").content.decode()
    assert 'data-overall-percent="33"' in page  # 2 of 6
    bars = re.findall(r'aria-label="Progress in ([^"]+)"[^>]*aria-valuenow="(\d+)"', page)
    assert bars == [(course["modules"][0].title, "67"), (course["modules"][1].title, "0")]
    continue_link = re.search(r'<a class="button" href="([^"]+)" data-continue>\s*([^<]+?)\s*</a>', page)
    assert continue_link.group(1) == f"/lessons/{lessons[2].pk}/"
    assert continue_link.group(2) == "Continue at 3:05"
    recent = page.split('id="recent-title"')[1]
    assert lessons[0].title in recent and lessons[1].title in recent and lessons[2].title not in recent


def test_dashboard_for_a_learner_without_access_offers_to_unlock(client, course, user):
    LessonProgressFactory(user=user, lesson=course["free_lesson"])
    client.force_login(user)
    page = client.get("/dashboard/").content.decode()
    assert "data-continue" not in page
    assert "See plans" in page


def test_dashboard_when_every_lesson_is_done(client, course, subscriber):
    for lesson in course["lessons"]:
        LessonProgressFactory(user=subscriber, lesson=lesson)
    client.force_login(subscriber)
    page = client.get("/dashboard/").content.decode()
    assert 'data-overall-percent="100"' in page and "completed every lesson" in page


def test_dashboard_with_no_course_yet(client, user):
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200 and 'data-overall-percent="0"' in response.content.decode()


def test_dashboard_module_rows_are_shared_markup_with_each_learners_own_numbers(client, course):
    """The module rows are rendered once per content version (courses/_dashboard_module.html) with slots:
    two learners in a row see their own numbers, and an edit to the course shows at once."""
    lessons, modules = course["lessons"], course["modules"]
    first, second = SubscriptionFactory(status=SubscriptionStatus.ACTIVE).user, SubscriptionFactory().user
    for lesson in lessons[:3]:
        LessonProgressFactory(user=first, lesson=lesson)

    def bars(user):
        client.force_login(user)
        page = client.get("/dashboard/").content.decode()
        return re.findall(
            r'data-module-progress="([^"]+)">\s*<span class="module-progress__title">([^<]+)</span>\s*'
            r'<span class="module-progress__count">(\d+) / (\d+) · (\d+)%</span>\s*'
            r'<span class="progress( progress--done)?"\s+role="progressbar" aria-label="Progress in ([^"]+)"[^>]*'
            r'aria-valuenow="(\d+)"\s+data-percent="(\d+)"><span class="progress__bar" style="width: (\d+)%">',
            page,
        )

    m1, m2 = modules[0], modules[1]
    assert bars(first) == [
        (m1.pk, m1.title, "3", "3", "100", " progress--done", m1.title, "100", "100", "100"),
        (m2.pk, m2.title, "0", "3", "0", "", m2.title, "0", "0", "0"),
    ]
    assert bars(second) == [
        (m1.pk, m1.title, "0", "3", "0", "", m1.title, "0", "0", "0"),
        (m2.pk, m2.title, "0", "3", "0", "", m2.title, "0", "0", "0"),
    ]
    m1.title = "Renamed <b>first</b>"
    m1.save()
    LessonFactory(module=m1, order=4, published=True)
    escaped = "Renamed &lt;b&gt;first&lt;/b&gt;"
    assert bars(first)[0] == (m1.pk, escaped, "3", "4", "75", "", escaped, "75", "75", "75")
    assert bars(second)[0] == (m1.pk, escaped, "0", "4", "0", "", escaped, "0", "0", "0")
