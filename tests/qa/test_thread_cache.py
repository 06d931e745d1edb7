"""The lesson Q&A thread cached per generation (qa/thread_cache.py): read once, then from the cache;
every write — a new post, an admin hide through a queryset update, a deletion, an author's new name —
shows on the next page; one learner's edit and delete buttons never reach another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from qa.models import Post
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def _thread_queries(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    return body, sum('FROM "qa_post"' in q["sql"] for q in ctx.captured_queries)


def test_a_thread_is_read_once_then_served_from_the_cache(client, course, subscriber, ask):
    lesson = course["lessons"][1]
    ask(subscriber, lesson, "Where are the slides?")
    client.force_login(subscriber)
    url = f"/lessons/{lesson.pk}/"
    body, cold = _thread_queries(client, url)
    body_again, warm = _thread_queries(client, url)
    assert "Where are the slides?" in body and "Where are the slides?" in body_again
    assert (cold, warm) == (1, 0)


def test_new_posts_hides_deletes_and_renames_show_at_once(client, course, subscriber, ask, answer):
    lesson = course["lessons"][1]
    url = f"/lessons/{lesson.pk}/"
    client.force_login(subscriber)
    client.get(url)
    question = ask(subscriber, lesson, "First question here")
    assert "First question here" in client.get(url).content.decode()

    reply = answer(SubscriptionFactory().user, question, "An answer to it")
    assert "An answer to it" in client.get(url).content.decode()

    Post.objects.filter(pk=reply.pk).update(is_hidden=True)  # the admin's action: a queryset update
    assert "An answer to it" not in client.get(url).content.decode()

    author = User.objects.get(pk=subscriber.pk)
    author.name = "Renamed Asker"
    author.save()
    assert "Renamed Asker" in client.get(url).content.decode()

    question.delete()
    assert "First question here" not in client.get(url).content.decode()


def test_one_learners_buttons_never_reach_another(course, subscriber, ask):
    lesson = course["lessons"][1]
    url = f"/lessons/{lesson.pk}/"
    question = ask(subscriber, lesson, "Mine to edit")
    mine, theirs = Client(), Client()
    mine.force_login(subscriber)
    theirs.force_login(SubscriptionFactory(user__onboarding_complete=True).user)
    edit = f"/qa/{question.pk}/edit/"
    for _ in range(2):  # the author fills the cache, then the other reads it
        assert edit in mine.get(url).content.decode()
        other = theirs.get(url).content.decode()
        assert "Mine to edit" in other and edit not in other
