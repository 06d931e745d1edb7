"""Lesson Q&A through the site: the access matrix, bad input, editing, deleting, marking answered,
the posting limit, and the lesson page's query budget."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qa.models import Post
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.community_personas import EXPECTED, LESSONS, PERSONAS, lesson_of, persona, sign_in
from tests.qa.html_safety import dangers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("kind", LESSONS)
def test_access_matrix_for_reading_and_posting_a_thread(client, course, who, kind, ask):
    lesson = lesson_of(kind, course)
    other = SubscriptionFactory().user
    existing = ask(other, lesson, "A question only watchers may read")
    user = persona(who)
    sign_in(client, user)
    expected = EXPECTED[who][kind]

    page = client.get(f"/lessons/{lesson.pk}/")
    shown = "A question only watchers may read" in page.content.decode()
    assert shown is (expected == "watch")
    if expected == "watch":
        assert 'id="questions"' in page.content.decode()

    response = client.post(f"/lessons/{lesson.pk}/questions/", {"body": "Mine"})
    answer = client.post(f"/qa/{existing.pk}/answers/", {"body": "Reply"})
    if expected == "watch":
        assert response.status_code == 302 and answer.status_code == 302
        assert Post.objects.filter(lesson=lesson).count() == 3
        return
    assert Post.objects.filter(lesson=lesson).count() == 1  # nothing stored
    if who == "anonymous":
        expected = "login"  # posting needs an account before anything is looked up
    for refused in (response, answer):
        body = refused.content.decode()
        assert "A question only watchers may read" not in body
        if expected == "login":
            assert refused.status_code == 302 and "/accounts/login/" in refused["Location"]
        elif expected == "paywall":
            assert refused.status_code == 403 and "part of the membership" in body
        else:
            assert refused.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "is empty"),
        ("   \n ", "is empty"),
        ("x" * 5001, "the limit is 5000"),
        ("nul \x00 byte", "NUL character"),
    ],
)
def test_bad_posts_are_a_400_that_says_why_and_store_nothing(client, course, subscriber, body, message):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    response = client.post(f"/lessons/{lesson.pk}/questions/", {"body": body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Post.objects.exists()


def test_a_script_laden_post_is_stored_as_text_and_never_runs(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    client.post(
        f"/lessons/{lesson.pk}/questions/", {"body": "Why? <script>alert('x')</script> [a](javascript:alert(1))"}
    )
    post = Post.objects.get()
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert "<script>alert" not in page
    thread = page[page.index('id="questions"') :]
    assert dangers(thread, allow_tags=frozenset({"form", "input", "script"})) == []
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in post.body_html or "&lt;script&gt;" in post.body_html


@pytest.mark.parametrize("bad", ["not-an-id", "a" * 24, "A" * 25, "x" * 300])
def test_ids_of_the_wrong_shape_are_404_before_any_query(client, subscriber, bad):
    client.force_login(subscriber)
    for url in (f"/lessons/{bad}/questions/", f"/qa/{bad}/answers/", f"/qa/{bad}/delete/"):
        assert client.post(url, {"body": "x"}).status_code == 404
    assert client.post(f"/qa/{'b' * 25}/answers/", {"body": "x"}).status_code == 404  # right shape, no such post


def test_edit_within_15_minutes_then_refused(client, course, subscriber, ask):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        question = ask(subscriber, lesson, "First version")
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(f"/qa/{question.pk}/edit/").status_code == 200
        assert client.post(f"/qa/{question.pk}/edit/", {"body": "Second *version*"}).status_code == 302
    question.refresh_from_db()
    assert question.body == "Second *version*" and "<em>version</em>" in question.body_html and question.edited_at
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        late = client.post(f"/qa/{question.pk}/edit/", {"body": "Third"})
    assert late.status_code == 400 and "15 minutes" in late.content.decode()
    question.refresh_from_db()
    assert question.body == "Second *version*"


def test_only_the_author_edits_or_deletes(client, course, subscriber, ask):
    lesson = course["lessons"][1]
    question = ask(subscriber, lesson)
    other = SubscriptionFactory().user
    client.force_login(other)
    assert client.post(f"/qa/{question.pk}/edit/", {"body": "hijack"}).status_code == 404
    assert client.post(f"/qa/{question.pk}/delete/").status_code == 404
    assert Post.objects.get().body != "hijack"
    client.force_login(subscriber)
    assert client.post(f"/qa/{question.pk}/delete/").status_code == 302
    assert not Post.objects.exists()


def test_staff_answers_are_marked_and_the_asker_or_staff_marks_answered(client, course, subscriber, admin_user, ask):
    lesson = course["lessons"][1]
    question = ask(subscriber, lesson)
    client.force_login(admin_user)
    client.post(f"/qa/{question.pk}/answers/", {"body": "From the team"})
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert "data-staff-answer" in page
    assert Post.objects.get(question=question).by_staff

    bystander = SubscriptionFactory().user
    client.force_login(bystander)
    assert client.post(f"/qa/{question.pk}/answered/", {"answered": "1"}).status_code == 403
    client.force_login(subscriber)
    assert client.post(f"/qa/{question.pk}/answered/", {"answered": "maybe"}).status_code == 400
    assert client.post(f"/qa/{question.pk}/answered/", {"answered": "1"}).status_code == 302
    question.refresh_from_db()
    assert question.is_answered
    assert "data-answered" in client.get(f"/lessons/{lesson.pk}/").content.decode()


def test_hidden_posts_are_shown_to_nobody_and_cannot_be_answered(client, course, subscriber, ask):
    lesson = course["lessons"][1]
    question = ask(subscriber, lesson, "Spam spam spam")
    Post.objects.filter(pk=question.pk).update(is_hidden=True)
    client.force_login(subscriber)
    assert "Spam spam spam" not in client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert client.post(f"/qa/{question.pk}/answers/", {"body": "x"}).status_code == 404


def test_posting_is_rate_limited_per_learner(client, course, subscriber, settings):
    settings.QA_POST_RATE = "3/10m"
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    codes = [client.post(f"/lessons/{lesson.pk}/questions/", {"body": f"q{i}"}).status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]
    assert Post.objects.count() == 3
    # Another learner has their own allowance.
    client.force_login(SubscriptionFactory().user)
    assert client.post(f"/lessons/{lesson.pk}/questions/", {"body": "mine"}).status_code == 302


def test_with_the_cache_down_posting_still_works(client, course, subscriber, settings):
    """The limit fails open: a Redis outage must not stop learners from asking (a closed port)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    working = settings.CACHES
    settings.CACHES = {"default": {**working["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    try:
        lesson = course["lessons"][1]
        client.force_login(subscriber)
        assert client.post(f"/lessons/{lesson.pk}/questions/", {"body": "still works"}).status_code == 302
        assert Post.objects.count() == 1
    finally:
        settings.CACHES = working


def test_the_thread_costs_one_query_however_long_it_is(client, course, subscriber, ask, answer):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    client.get(f"/lessons/{lesson.pk}/")
    q = ask(subscriber, lesson)
    answer(UserFactory(admin=True), q)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/lessons/{lesson.pk}/")
    for i in range(15):
        more = ask(SubscriptionFactory().user, lesson, f"question {i}")
        answer(subscriber, more)
        answer(UserFactory(admin=True), more)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/lessons/{lesson.pk}/")
    assert page.content.decode().count("data-question=") == 16
    assert len(many) == len(few)


def test_a_double_submit_or_replayed_post_is_stored_once(client, course, subscriber):
    lesson = course["lessons"][1]
    client.force_login(subscriber)
    first = client.post(f"/lessons/{lesson.pk}/questions/", {"body": "Same text"})
    again = client.post(f"/lessons/{lesson.pk}/questions/", {"body": "Same text"})
    assert first["Location"] == again["Location"]
    question = Post.objects.get()
    helper = SubscriptionFactory().user
    client.force_login(helper)
    for _ in range(2):
        assert client.post(f"/qa/{question.pk}/answers/", {"body": "Same answer"}).status_code == 302
    assert Post.objects.filter(question=question).count() == 1
    from emails.models import EmailQueue

    assert EmailQueue.objects.filter(template="QA_REPLY").count() == 1  # one email about it, not two
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        client.force_login(subscriber)
        client.post(f"/lessons/{lesson.pk}/questions/", {"body": "Same text"})  # later: a new question
    assert Post.objects.filter(question__isnull=True).count() == 2
