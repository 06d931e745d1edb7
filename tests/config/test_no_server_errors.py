"""Bad input never answers 500: every route of the site (the admin's too), as a visitor, a learner
and an admin, with a corpus of hostile values in its path arguments, its query string and its body
(GET and POST): NUL bytes, absurd lengths and numbers, deep JSON, ids of the wrong shape."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

JUNK_BODIES: list[tuple[str, Any]] = [
    ("application/x-www-form-urlencoded", "plan=lifetime&position=-1e309&next=https://evil.example/&x=%00"),
    ("application/json", '{"event": "drop table", "position": "NaN", "properties": [1, 2]}'),
    ("application/json", "{not json"),
    ("text/plain", "\x00\xff" * 10),
    ("application/json", "[" * 3000),  # RecursionError in a bare json.loads
    ("application/json", '{"position": ' + "9" * 400 + ', "source": "video"}'),  # OverflowError in float()
    ("application/json", '{"position": 1e999, "event": "video_started", "properties": {"x": "\\u0000"}}'),
    (
        "application/x-www-form-urlencoded",
        "email=a%00b%40example.com&password=x%00&title=%00&q=%00&position=" + "9" * 400,
    ),
]
# Values put into every path argument: wrong shapes of an id, NUL, huge, traversal, a real-shaped id
# that names nothing.
HOSTILE_ARGS = ["a%00b", "x" * 300, "9" * 400, "..%2F..%2Fetc%2Fpasswd", "%C3%BC%E2%80%AE", "zzzzzzzzzzzzzzzzzzzzzzzzz"]


def _walk(resolver: URLResolver, prefix: str) -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _walk(entry, pattern)
        elif isinstance(entry, URLPattern):
            found.append(pattern)
    return found


def _template(pattern: str) -> str:
    """A route with `{}` where each argument goes (path converters and regex groups alike)."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", pattern).replace("^", "").replace("$", "")
    path = re.sub(r"<(?:\w+:)?\w+>", "{}", path)
    return "/" + path.replace("\\", "")


TEMPLATES = sorted({_template(p) for p in _walk(get_resolver(), "")})


def _routes(*, admin: bool) -> list[str]:
    """Every route, its arguments filled with a junk id (`admin`: only /admin/, else everything else)."""
    chosen = [t for t in TEMPLATES if t.startswith("/admin/") == admin or t.startswith("/admin/analytics")]
    return sorted({t.replace("{}", "zzz-not-an-id") for t in chosen})


ROUTES = _routes(admin=False)
ADMIN_ROUTES = _routes(admin=True)


def test_the_route_list_covers_the_site() -> None:
    for expected in ["/lessons/zzz-not-an-id/", "/webhooks/stripe/", "/analytics/events/", "/account/delete/"]:
        assert expected in ROUTES


@pytest.mark.parametrize("who", ["visitor", "learner", "admin"])
def test_no_route_answers_500_to_junk(client: Any, who: str, user: Any, admin_user: Any, course: Any) -> None:
    client.raise_request_exception = False  # a view that raised answers 500 here instead of raising
    if who == "learner":
        client.force_login(user)
    elif who == "admin":
        client.force_login(admin_user)
    failures = []
    for route in ROUTES:
        responses = [client.get(route, {"next": "//evil.example", "session_id": "x" * 5000, "from": "31/02/2026"})]
        for content_type, body in JUNK_BODIES:
            responses.append(client.post(route, data=body, content_type=content_type))
        for response in responses:
            if response.status_code >= 500 and response.status_code != 503:
                failures.append((route, response.request["REQUEST_METHOD"], response.status_code))
    assert failures == []


def _failures(responses: list[Any]) -> list[tuple[str, str, int]]:
    return [
        (r.request["PATH_INFO"][:80], r.request["REQUEST_METHOD"], r.status_code)
        for r in responses
        if r.status_code >= 500 and r.status_code != 503
    ]


@pytest.mark.parametrize("who", ["visitor", "learner", "admin"])
def test_no_path_argument_answers_500_to_the_hostile_corpus(
    client: Any, who: str, user: Any, admin_user: Any, course: Any
) -> None:
    """Every route that takes an argument, each argument replaced by each hostile value."""
    client.raise_request_exception = False
    if who != "visitor":
        client.force_login(user if who == "learner" else admin_user)
    templates = [t for t in TEMPLATES if "{}" in t and (who == "admin" or not t.startswith("/admin/"))]
    assert len(templates) >= 8
    responses = []
    for template in templates:
        # The admin's many `<path:object_id>` routes get the two values that used to reach the database.
        values = HOSTILE_ARGS[:2] if template.startswith("/admin/") else HOSTILE_ARGS
        for value in values:
            path = template.replace("{}", value)
            responses.append(client.get(path))
            if not template.startswith("/admin/"):
                responses.append(
                    client.post(path, data="title=%00&x=1", content_type="application/x-www-form-urlencoded")
                )
    failures = _failures(responses)
    assert failures == [], "\n".join(map(str, failures))


def test_no_admin_route_answers_500_to_junk(client: Any, admin_user: Any, course: Any) -> None:
    client.raise_request_exception = False
    client.force_login(admin_user)
    assert len(ADMIN_ROUTES) > 30
    responses = []
    for route in ADMIN_ROUTES:
        responses.append(client.get(route, {"q": "a\x00b", "o": "9" * 400, "p": "-1", "id__exact": "\x00"}))
        responses.append(client.post(route, {"action": "delete_selected", "_selected_action": ["a\x00", "9" * 400]}))
    failures = _failures(responses)
    assert failures == [], "\n".join(map(str, failures))


def test_a_nul_in_a_lesson_or_asset_id_is_a_404_before_any_query(
    client: Any, subscriber: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(subscriber)
    for path in ["/lessons/a%00b/", "/assets/a%00b/download/", "/admin/courses/lesson/a%00b/change/"]:
        with django_assert_num_queries(0):
            response = client.get(path)
        assert response.status_code == 404, path
    with django_assert_num_queries(0):
        assert client.post("/lessons/a%00b/complete/").status_code == 404
    # The right shape but not an id of ours: the lesson page looks it up and says 404.
    assert client.get("/lessons/" + "x" * 300 + "/").status_code == 404


def test_hostile_bodies_on_a_real_lesson_are_400s_and_change_nothing(client: Any, subscriber: Any, course: Any) -> None:
    """The progress endpoints of a lesson the learner may watch: each hostile body is a 400 with a
    message, and the saved progress is untouched."""
    from progress.models import LessonProgress

    lesson = course["lessons"][1]
    client.force_login(subscriber)
    saved = client.post(f"/lessons/{lesson.pk}/position/", data='{"position": 30}', content_type="application/json")
    assert saved.status_code == 200
    bodies = [
        "[" * 3000,
        '{"position": ' + "9" * 400 + "}",
        '{"position": 1e999}',
        '{"position": "1e400"}',
        '{"position": NaN}',
        '{"position": 30, "note": "\\u0000"}',
        '{"position": ' + "[" * 50 + "]" * 50 + "}",
    ]
    for body in bodies:
        # "complete" takes no position: a position that is a string is no concern of it.
        for action in ("position",) if '"1e400"' in body else ("position", "complete"):
            response = client.post(f"/lessons/{lesson.pk}/{action}/", data=body, content_type="application/json")
            assert response.status_code == 400, (action, body[:40], response.status_code)
            assert response.json()["error"]
    form = client.post(f"/lessons/{lesson.pk}/position/", {"position": "9" * 400})
    assert form.status_code == 400
    progress = LessonProgress.objects.get(user=subscriber, lesson=lesson)
    assert (progress.position_seconds, progress.completed) == (30, False)


def test_signed_webhooks_with_absurd_content_are_400s(client: Any) -> None:
    from tests.billing.stripe_events import lifecycle_event, post_event

    event = lifecycle_event("02_customer.subscription.created", user_id="u")
    for changes in ({"id": "evt_a\x00b"}, {"id": "evt_" + "x" * 300}, {"created": 1e20}, {"created": 10**20}):
        response = post_event(client, {**event, **changes})
        assert response.status_code == 400, changes
    body = json.dumps(event).replace('"status":', '"st\\u0000atus":', 1).encode()
    assert post_event(client, body).status_code == 400
    assert post_event(client, b"[" * 3000).status_code == 400


def test_a_lesson_body_nested_too_deep_or_with_nul_is_a_form_error(client: Any, admin_user: Any) -> None:
    from django.core.exceptions import ValidationError

    from courses.forms import TipTapJSONField

    field = TipTapJSONField()
    for raw in ["[" * 3000, '{"type": "doc", "content": [{"type": "text", "text": "a\\u0000b"}]}']:
        with pytest.raises(ValidationError):
            field.clean(raw)
    client.force_login(admin_user)
    preview = client.post("/admin/courses/lesson/content-preview/", {"content": "[" * 3000})
    assert preview.status_code == 400
    assert "nested deeper" in preview.json()["errors"][0]
