"""Branded error pages: 400, 403, 404, 429 and 500 in the site's look; the 500 page renders with the
database down (no queries, no context processors)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def _branded(response: Any, code: int) -> str:
    html = response.content.decode()
    assert response.status_code == code
    assert f"Error {code}" in html and 'class="brand"' in html and "/static/css/site.css" in html
    assert "Back to the home page" in html
    return html


def test_404_and_400_are_branded(client: Any) -> None:
    assert "couldn't find that page" in _branded(client.get("/no-such-page/"), 404)
    assert "couldn't find that page" in _branded(client.get("/lessons/not-an-id/"), 404)
    assert "did not make sense" in _branded(client.get("/pricing/?q=%00"), 400)


def test_403_is_branded(user: Any) -> None:
    from django.views.defaults import permission_denied

    request = RequestFactory().get("/")
    request.user = user
    assert "can't open this page" in _branded(permission_denied(request, Exception()), 403)


def test_429_is_branded(client: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "1/m/ip"}
    client.post("/accounts/password/reset/", {"email": "a@example.com"})
    assert "Too many attempts" in _branded(client.post("/accounts/password/reset/", {"email": "b@example.com"}), 429)


def test_the_500_page_needs_no_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    assert "Something went wrong on our side" in _branded(response, 500)


@pytest.mark.django_db(transaction=True)
def test_the_500_page_renders_with_the_database_down() -> None:
    """PostgreSQL unreachable (the connection pointed at a closed port): pages that need it answer
    the branded 500, not Django's bare text and not a crash."""
    saved = dict(connection.settings_dict)
    client = Client(raise_request_exception=False)
    try:
        connection.close()
        connection.settings_dict["PORT"] = "1"  # nothing listens on port 1
        response = client.get("/course/")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert "Something went wrong on our side" in _branded(response, 500)
