import json

import pytest
from django.test import Client

from analytics.models import Event
from analytics.sessions import SESSION_KEY

pytestmark = pytest.mark.django_db

URL = "/analytics/events/"
CSRF_SECRET = "a" * 32  # a valid unmasked CSRF secret; the player sends the cookie's value as X-CSRFToken


def post(client, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_an_anonymous_visitor_is_recorded_under_a_stable_session_id(client):
    response = post(client, {"event": "video_1_started", "properties": {"lesson_id": "les1", "position": 0}})
    assert response.status_code == 204
    assert "sessionid" in response.cookies
    post(client, {"event": "video_started", "properties": {"lesson_id": "les2"}})
    first, second = Event.objects.order_by("created_at")
    assert (first.event, first.user, first.properties) == (
        "video_1_started",
        None,
        {"lesson_id": "les1", "position": 0},
    )
    assert first.session_id and first.session_id == second.session_id == client.session[SESSION_KEY]


def test_a_signed_in_learner_is_recorded_as_themselves(client, user):
    client.force_login(user)
    assert post(client, {"event": "video_started", "properties": {"lesson_id": "les9"}}).status_code == 204
    event = Event.objects.get()
    assert event.user == user and event.session_id == client.session[SESSION_KEY]


def test_properties_are_optional(client):
    assert post(client, {"event": "video_1_started"}).status_code == 204
    assert Event.objects.get().properties == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"event": "made_up"}, "Unknown event 'made_up'; the browser may send: video_1_started, video_started."),
        # Server-side names are not the browser's to send (completion goes through the progress endpoints).
        ({"event": "video_completed"}, "Unknown event 'video_completed'"),
        ({"event": "subscription_started", "properties": {"plan": "ANNUAL"}}, "Unknown event 'subscription_started'"),
        ({"properties": {}}, "Unknown event None"),
        ({"event": ["video_started"]}, "Unknown event ['video_started']"),
        ("{not json", "The request body is not valid JSON."),
        (b"\xff\xfe", "The request body is not valid JSON."),
        ('["video_started"]', 'Send a JSON object: {"event": "...", "properties": {...}}.'),
        ({"event": "video_started", "user_id": "someone"}, "Unexpected field(s): user_id."),
        ({"event": "video_started", "properties": ["a"]}, "`properties` must be a JSON object."),
        ({"event": "video_started", "properties": {f"k{i}": i for i in range(11)}}, "At most 10 properties"),
        ({"event": "video_started", "properties": {"lesson_id": "x" * 201}}, "longer than 200 characters"),
        ({"event": "video_started", "properties": {"nested": {"a": 1}}}, "must be a string, number, boolean or null"),
        ({"event": "video_started", "properties": {"list": [1]}}, "must be a string, number, boolean or null"),
        ({"event": "video_started", "properties": {"Bad-Key": 1}}, "Property name 'Bad-Key' must be lowercase"),
        ({"event": "video_started", "properties": {"k" * 41: 1}}, "(at most 40)"),
        ('{"event": "video_started", "properties": {"n": NaN}}', "Property 'n' must be a finite number."),
        ({"event": "video_started", "properties": {f"p{i}": "y" * 200 for i in range(10)}}, "larger than 2048 bytes"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(client, body, message):
    response = post(client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Event.objects.exists()


def test_a_declared_oversized_body_is_refused_before_it_is_read(client):
    response = client.generic("POST", URL, data=b"{}", content_type="application/json", CONTENT_LENGTH="999999")
    assert response.status_code == 400
    assert "larger than 2048 bytes" in response.json()["error"]
    assert not Event.objects.exists()


def test_only_post(client):
    assert client.get(URL).status_code == 405
    assert not Event.objects.exists()


def test_csrf_is_required():
    client = Client(enforce_csrf_checks=True)
    body = json.dumps({"event": "video_started", "properties": {"lesson_id": "les1"}})
    assert client.post(URL, body, content_type="application/json").status_code == 403
    assert not Event.objects.exists()
    client.cookies["csrftoken"] = CSRF_SECRET
    wrong = client.post(URL, body, content_type="application/json", headers={"X-CSRFToken": "b" * 32})
    assert wrong.status_code == 403
    ok = client.post(URL, body, content_type="application/json", headers={"X-CSRFToken": CSRF_SECRET})
    assert ok.status_code == 204
    assert Event.objects.count() == 1


def test_rate_limited_per_session(client, settings):
    settings.ANALYTICS_BEACON_PER_SESSION = 3
    for _ in range(3):
        assert post(client, {"event": "video_started"}).status_code == 204
    response = post(client, {"event": "video_started"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many events from this session" in response.json()["error"]
    assert Event.objects.count() == 3
    # Another browser is not affected.
    assert post(Client(), {"event": "video_started"}).status_code == 204


def test_rate_limited_per_address_across_sessions(settings):
    settings.ANALYTICS_BEACON_PER_IP = 4
    statuses = [post(Client(), {"event": "video_started"}).status_code for _ in range(5)]
    assert statuses == [204, 204, 204, 204, 429]
    assert Event.objects.count() == 4
    # Bad requests count too (a flood of garbage is still a flood).
    assert post(Client(REMOTE_ADDR="10.0.0.9"), "{bad").status_code == 400
    assert post(Client(), "{bad").status_code == 429


def test_behind_trusted_proxies_the_address_comes_from_x_forwarded_for(settings):
    """Behind a load balancer every request has its address; the limit must follow the visitor's."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ANALYTICS_BEACON_PER_IP = 2
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    visitor_a = [
        post(Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7"), {"event": "video_started"}).status_code
        for _ in range(3)
    ]
    assert visitor_a == [204, 204, 429]
    assert post(Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.4"), {"event": "video_started"}).status_code == 204
    # A request that did not come through the proxy chain falls back to the socket address, never a 500.
    assert post(Client(**proxy), {"event": "video_started"}).status_code == 204


def test_the_rate_window_expires(client, settings):
    import time_machine

    settings.ANALYTICS_BEACON_PER_SESSION = 1
    assert post(client, {"event": "video_started"}).status_code == 204
    assert post(client, {"event": "video_started"}).status_code == 429
    # The window lives in Redis (TTL 60 s); time-machine cannot move Redis's clock, so expire the key as Redis would.
    from django.core.cache import cache

    cache.delete(f"analytics:beacon:session:{client.session[SESSION_KEY]}")
    with time_machine.travel(61, tick=False):
        assert post(client, {"event": "video_started"}).status_code == 204


def test_a_cache_outage_does_not_lose_events(client, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "add", down)
    assert post(client, {"event": "video_started"}).status_code == 204
    assert Event.objects.count() == 1
