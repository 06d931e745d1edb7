from unittest import mock

import pytest
from django.db import DatabaseError, transaction

from analytics.models import Event
from analytics.services import UnknownEventName, event_track
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_track_for_a_user_with_properties():
    user = UserFactory()
    event = event_track(name="subscription_started", user=user, properties={"plan": "ANNUAL"})
    row = Event.objects.get()
    assert row == event
    assert (row.user, row.event, row.properties) == (user, "subscription_started", {"plan": "ANNUAL"})


def test_track_for_an_anonymous_session():
    event_track(name="lesson_viewed", session_id="anon-123")
    row = Event.objects.get()
    assert row.user is None and row.session_id == "anon-123"


def test_unknown_event_name_raises_and_stores_nothing():
    with pytest.raises(UnknownEventName):
        event_track(name="made_up")
    assert not Event.objects.exists()


def test_database_failure_never_breaks_the_callers_transaction():
    user = UserFactory()
    with transaction.atomic():
        with mock.patch.object(Event.objects, "create", side_effect=DatabaseError("disk full")):
            assert event_track(name="login", user=user) is None
        # The caller's transaction is still usable.
        assert UserFactory() is not None
    assert not Event.objects.exists()


def test_deleting_a_user_keeps_their_events_with_the_user_cleared():
    user = UserFactory()
    event_track(name="login", user=user)
    user.delete()
    assert Event.objects.get().user_id is None
