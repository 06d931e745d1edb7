"""Learner pages kept rendered (config/page_cache.py): served again with no query while nothing they
show changed, and rendered afresh the very next request after any change to what they show — whoever
or whatever made it — never one learner's page to another, and each browser with its own form token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import SubscriptionStatus
from certificates.models import Certificate
from config.page_cache import CSRF_SLOT
from notes.services import note_create
from pages.defaults import DEMO_CONTENT
from pages.models import SiteContent
from pages.services import site_content_cache_clear
from progress.models import LessonProgress
from progress.services import lesson_complete, lesson_position_save
from qa.services import answer_post, question_ask
from teams.models import TeamMembership
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.processes import redis_cache
from tests.teams.factories import team_with_seats

pytestmark = pytest.mark.django_db


def page(client: Client, url: str) -> tuple[str, int]:
    """The page's HTML and how many queries answering it took (the test transaction's savepoints aside)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])


def kept(client: Client, url: str, *, queries: int = 0) -> str:
    """Visit twice: the second answer comes from the cache and is the same page. No query (a lesson page's
    visit is recorded through the Redis buffer, analytics/buffer.py); `queries`: what else the request asks."""
    first, _ = page(client, url)
    again, ran = page(client, url)
    assert ran == queries, f"{url} was not served from the page cache"
    assert without_tokens(again) == without_tokens(first)
    return again


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def learner(client: Client, subscriber: Any, course: dict[str, Any]) -> Any:
    client.force_login(subscriber)
    return subscriber


def test_a_kept_page_shows_the_learners_progress_at_once(client, learner, course):
    lessons = course["lessons"]
    assert "0 of 6 lessons completed" in kept(client, "/dashboard/")
    lesson_complete(user=learner, lesson=lessons[0])
    html, queries = page(client, "/dashboard/")
    assert "1 of 6 lessons completed" in html and queries > 0
    # ...and through the endpoint the lesson page posts to, with the token the kept lesson page carried
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    lesson_page = kept(browser, f"/lessons/{lessons[1].pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', lesson_page).group(1)
    response = browser.post(f"/lessons/{lessons[1].pk}/complete/", {"csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302)
    assert "2 of 6 lessons completed" in page(client, "/dashboard/")[0]


def test_the_resume_position_notes_and_answers_show_at_once_on_the_lesson_page(client, learner, course):
    lesson = course["free_lesson"]  # played unsigned: no signing key needed here
    url = f"/lessons/{lesson.pk}/"
    assert 'start-time="95"' not in kept(client, url)
    lesson_position_save(user=learner, lesson=lesson, position=95)
    assert 'start-time="95"' in kept(client, url)  # rendered again at once, then kept again

    note_create(user=learner, lesson=lesson, body="Remember the migration flag")
    assert "Remember the migration flag" in page(client, url)[0]

    question = question_ask(user=learner, lesson=lesson, body="Does this work offline?")
    kept(client, "/dashboard/")
    staff = UserFactory(admin=True)
    answer_post(user=staff, question=question, body="Yes, downloads work offline.")
    # Someone else's post: the thread on the lesson page and the learner's open questions both move.
    assert "Yes, downloads work offline." in page(client, url)[0]
    assert "Does this work offline?" in kept(client, "/dashboard/")


def test_account_changes_show_at_once(client, learner):
    kept(client, "/account/")
    EmailAddress.objects.create(user=learner, email="second@example.com", verified=False)
    assert "second@example.com (unverified)" in page(client, "/account/")[0]

    kept(client, "/account/")
    learner.name = "Ada Renamed"
    learner.save()
    assert "Ada Renamed" in page(client, "/account/")[0]

    assert "Subscribe again" not in kept(client, "/account/")
    subscription = learner.subscription
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.cancelled_at = timezone.now()
    subscription.save()
    assert "Subscribe again" in page(client, "/account/")[0]


def test_a_team_change_shows_on_every_members_page(client, course):
    team = team_with_seats(members=2)
    member = TeamMembership.objects.filter(team=team["team"], role="MEMBER").get().user
    client.force_login(member)
    # A seat's access is asked of the database on every request (billing.selectors.has_access): one query.
    assert "Your access to the course comes from the team" in kept(client, "/account/", queries=1)
    locked_before = kept(client, "/course/", queries=1)

    team["team"].name = "Renamed Team"
    team["team"].save()
    assert "Renamed Team" in page(client, "/account/")[0]

    subscription = team["subscription"]
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.save()
    html = page(client, "/account/")[0]
    assert "gives you no access right now" in html
    assert page(client, "/course/")[0] != locked_before  # lessons locked again on the outline


def test_a_certificate_shows_on_the_dashboard_at_once(client, learner, course):
    kept(client, "/dashboard/")
    Certificate.objects.create(user=learner, course_title="The Course", lessons_completed=6, issued_at=timezone.now())
    assert "for completing The Course" in page(client, "/dashboard/")[0]


def test_content_and_site_edits_show_at_once(client, learner, course, django_capture_on_commit_callbacks):
    lesson = course["lessons"][2]
    kept(client, "/course/")
    lesson.title = "A brand new title"
    lesson.save()
    assert "A brand new title" in page(client, "/course/")[0]

    anonymous = Client()
    kept(anonymous, "/")
    with django_capture_on_commit_callbacks(execute=True):
        SiteContent.objects.create(**{**DEMO_CONTENT, "headline": "Fresh words on the landing"})
        site_content_cache_clear()  # what the admin's save calls
    assert "Fresh words on the landing" in page(anonymous, "/")[0]


def test_one_learner_never_sees_anothers_page(client, learner, course):
    lesson_complete(user=learner, lesson=course["lessons"][0])
    assert "1 of 6 lessons completed" in kept(client, "/dashboard/")
    other = SubscriptionFactory(user__onboarding_complete=True, user__email="other@example.com").user
    other_client = Client()
    other_client.force_login(other)
    html = kept(other_client, "/dashboard/")
    assert "0 of 6 lessons completed" in html
    account = kept(other_client, "/account/")
    assert "other@example.com" in account and learner.email not in account
    assert learner.email in kept(client, "/account/")
    # Anonymous visitors share one landing page, never a learner's.
    client_page = kept(client, "/")
    anonymous_page = kept(Client(), "/")
    assert "Sign out" in client_page and "Sign out" not in anonymous_page


def test_each_browser_gets_its_own_form_token(learner):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(learner)
    second.force_login(learner)
    tokens = []
    for browser in (first, second):
        html = kept(browser, "/account/")
        assert CSRF_SLOT not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append(token)
        # The kept page's form posts with this browser's token.
        response = browser.post("/account/email-preferences/", {"csrfmiddlewaretoken": token})
        assert response.status_code in (200, 302), response.status_code
    # A token from the other browser's page is refused: the slot was filled per request, not stored.
    response = first.post("/account/email-preferences/", {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403


def test_a_flash_message_shows_once_and_is_never_kept(client, learner):
    kept(client, "/account/")
    response = client.post("/account/email-preferences/", {"marketing_emails": "on"}, follow=True)
    assert response.status_code == 200
    assert 'class="message' in response.content.decode()
    assert 'class="message' not in kept(client, "/account/")


def test_staff_pages_are_never_kept(client, admin_user, course):
    client.force_login(admin_user)
    page(client, "/course/")
    assert page(client, "/course/")[1] > 0


def test_a_write_that_bypasses_the_models_shows_within_the_minute(client, learner, course):
    """The last line of defence: raw SQL tells no cache, yet no kept page outlives its clock minute."""
    with time_machine.travel(timezone.now().replace(second=5), tick=False) as clock:
        assert "0 of 6 lessons completed" in kept(client, "/dashboard/")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO progress_lessonprogress (id, user_id, lesson_id, completed, completed_at,"
                " position_seconds, created_at, updated_at) VALUES (%s, %s, %s, true, now(), 0, now(), now())",
                ["rawprogress0000000000000000", learner.pk, course["lessons"][0].pk],
            )
        assert "0 of 6 lessons completed" in kept(client, "/dashboard/")  # the stale copy, this minute
        clock.shift(timedelta(seconds=60))
        assert "1 of 6 lessons completed" in page(client, "/dashboard/")[0]
    assert LessonProgress.objects.filter(user=learner).count() == 1


def test_with_the_cache_down_every_page_renders_from_the_database(tmp_path, settings, learner, course):
    with redis_cache(tmp_path, settings, prefix="pc") as server:
        client = Client()
        client.force_login(learner)
        assert "0 of 6 lessons completed" in kept(client, "/dashboard/")
        server.stop()
        lesson_complete(user=learner, lesson=course["lessons"][0])  # its bump is lost: the cache is down
        for url in ("/", "/course/", f"/lessons/{course['lessons'][1].pk}/", "/account/"):
            assert page(client, url)[1] > 0, url  # rendered, nothing kept or served from a copy
        assert "1 of 6 lessons completed" in page(client, "/dashboard/")[0]
