import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

from analytics.models import Event
from analytics.services import event_track_for_request
from analytics.sessions import SESSION_KEY
from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def beacon(client):
    response = client.post(
        "/analytics/events/", json.dumps({"event": "video_started"}), content_type="application/json"
    )
    assert response.status_code == 204
    return Event.objects.order_by("-created_at").first()


def _request(user=None):
    request = RequestFactory().get("/pricing/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = user or AnonymousUser()
    return request


def test_a_visitor_who_triggers_nothing_costs_no_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_the_id_is_created_on_first_use_and_stable(db):
    request = _request()
    assert SESSION_KEY not in request.session
    first = event_track_for_request(request=request, name="paywall_viewed", properties={"source": "pricing"})
    second = event_track_for_request(request=request, name="lesson_viewed")
    assert first.session_id == second.session_id == request.session[SESSION_KEY]
    assert first.user is None and first.properties == {"source": "pricing"}


def test_a_signed_in_request_records_the_user_and_the_session(user):
    request = _request(user)
    event = event_track_for_request(request=request, name="lesson_viewed")
    assert event.user == user and event.session_id == request.session[SESSION_KEY]


def test_a_broken_session_never_breaks_the_request(user):
    request = RequestFactory().get("/")  # no session at all
    request.user = user
    event = event_track_for_request(request=request, name="lesson_viewed")
    assert event is not None and event.session_id is None and event.user == user


def test_the_id_survives_login_and_ends_with_logout(client, user):
    anonymous = beacon(client)
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    signed_in = beacon(client)
    assert signed_in.user == user and signed_in.session_id == anonymous.session_id
    client.post("/accounts/logout/")
    after = beacon(client)
    assert after.user is None and after.session_id != anonymous.session_id
