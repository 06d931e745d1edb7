"""Favicon, link previews (Open Graph, Twitter cards)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def meta(page: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page)
    assert match, f"no {key}"
    return match.group(1)


def test_favicon_is_linked_and_the_ico_path_redirects_to_it(client):
    page = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_landing_pricing_and_lessons_have_their_own_preview_cards(client, course, user):
    landing = client.get("/").content.decode()
    pricing = client.get("/pricing/").content.decode()
    client.force_login(user)
    free = course["free_lesson"]
    lesson = client.get(f"/lessons/{free.pk}/").content.decode()
    titles = {meta(page, "og:title") for page in (landing, pricing, lesson)}
    assert len(titles) == 3 and f"{free.title} · Syllabus" in titles
    assert meta(pricing, "og:description").startswith("$49 a month or $399 a year")
    for page in (landing, pricing, lesson):
        assert meta(page, "twitter:card") == "summary_large_image"
        assert meta(page, "og:image").startswith("http://testserver/static/img/og-card")
    assert meta(lesson, "og:url") == f"http://testserver/lessons/{free.pk}/"
