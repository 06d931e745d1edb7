"""Moderation in the admin (hide, pin, delete — each in the admin log) and the open-questions count."""

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry

from qa.models import Post
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/qa/post/"


def test_hide_pin_and_delete_are_audited(client, admin_user, course, ask, answer):
    lesson = course["lessons"][1]
    learner = SubscriptionFactory().user
    spam, good = ask(learner, lesson, "Buy my stuff"), ask(learner, lesson, "A good question")
    reply = answer(admin_user, good, "Answer")
    client.force_login(admin_user)

    client.post(CHANGELIST, {"action": "hide", "_selected_action": [spam.pk]})
    client.post(CHANGELIST, {"action": "pin", "_selected_action": [good.pk, reply.pk]})  # answers can't be pinned
    spam.refresh_from_db(), good.refresh_from_db(), reply.refresh_from_db()
    assert spam.is_hidden and good.is_pinned and not reply.is_pinned
    log = {(e.object_id, e.change_message) for e in LogEntry.objects.filter(action_flag=CHANGE, user=admin_user)}
    assert log == {(spam.pk, "Hidden."), (good.pk, "Pinned.")}

    client.force_login(learner)
    page = client.get(f"/lessons/{lesson.pk}/").content.decode()
    assert "Buy my stuff" not in page and page.index("A good question") < page.index("Post question") + 10**6

    client.force_login(admin_user)
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [spam.pk], "post": "yes"})
    assert not Post.objects.filter(pk=spam.pk).exists()
    assert LogEntry.objects.filter(object_id=spam.pk, action_flag=DELETION).exists()


def test_the_admin_index_counts_open_questions(client, admin_user, course, ask):
    lesson = course["lessons"][1]
    learner = SubscriptionFactory().user
    ask(learner, lesson, "one")
    answered = ask(learner, lesson, "two")
    hidden = ask(learner, lesson, "three")
    Post.objects.filter(pk=answered.pk).update(is_answered=True)
    Post.objects.filter(pk=hidden.pk).update(is_hidden=True)
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    assert 'data-open-questions="1"' in page
    listing = client.get(CHANGELIST, {"kind": "open"}).content.decode()
    assert "one" in listing and "Question: two" not in listing
