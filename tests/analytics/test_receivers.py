import json

import pytest
from django.test import Client

from accounts.models import User
from analytics.models import Event
from analytics.services import event_session_link
from tests.accounts.factories import UserFactory
from tests.analytics.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_signing_up_links_the_visitors_anonymous_events(client):
    for name in ("video_1_started", "video_started"):
        body = json.dumps({"event": name, "properties": {"lesson_id": "les1"}})
        assert client.post("/analytics/events/", body, content_type="application/json").status_code == 204
    session_id = Event.objects.first().session_id
    stranger = Client()
    stranger.post("/analytics/events/", json.dumps({"event": "video_started"}), content_type="application/json")

    response = client.post(
        "/accounts/signup/",
        {"email": "new.learner@example.com", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
    )

    assert response.status_code == 302
    learner = User.objects.get(email="new.learner@example.com")
    mine = Event.objects.filter(session_id=session_id, event__in=["video_1_started", "video_started"])
    assert mine.count() == 2 and all(e.user == learner for e in mine)
    assert Event.objects.exclude(session_id=session_id).filter(event="video_started").get().user is None


def test_linking_touches_only_anonymous_rows_of_that_session_and_is_idempotent():
    learner, other = UserFactory(), UserFactory()
    EventFactory(session_id="s1", user=None)
    EventFactory(session_id="s1", user=other)  # already someone's: left alone
    EventFactory(session_id="s2", user=None)
    assert event_session_link(user=learner, session_id="s1") == 1
    assert event_session_link(user=learner, session_id="s1") == 0
    assert event_session_link(user=learner, session_id="") == 0
    assert set(Event.objects.values_list("session_id", "user_id")) == {
        ("s1", learner.pk),
        ("s1", other.pk),
        ("s2", None),
    }
