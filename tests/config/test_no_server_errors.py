"""Bad input never answers 500: every route of the site, as a visitor, a learner and an admin,
with junk in its path arguments, its query string and its body (GET and POST)."""

from __future__ import annotations

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
]


def _routes() -> list[str]:
    """Every non-admin route (allauth's, the apps'), its arguments filled with a junk id."""

    def walk(resolver: URLResolver, prefix: str) -> list[str]:
        found: list[str] = []
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if pattern.startswith("admin/") and not pattern.startswith("admin/analytics"):
                    continue
                found += walk(entry, pattern)
            elif isinstance(entry, URLPattern):
                found.append(pattern)
        return found

    routes = set()
    for pattern in walk(get_resolver(), ""):
        path = re.sub(r"<(?:\w+:)?\w+>", "zzz-not-an-id", pattern)
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "zzz-not-an-id", path).replace("^", "").replace("$", "")
        routes.add("/" + path)
    return sorted(routes)


ROUTES = _routes()


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
