"""The lesson player in Chromium: the Mux Player script is a static file of this site; when it (or the stream)
fails, a poster says "This video couldn't load — retry" and the notes and files stay usable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.a11y import assert_accessible
from tests.conftest import browser_sign_in
from tests.courses.factories import AssetFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAYER_SCRIPT = "**/static/vendor/mux-player/mux-player.js"


def test_blocked_player_script_shows_the_fallback_and_retry_loads_it(browser_page, live_server, course, user):
    page: Any = browser_page
    free = course["free_lesson"]
    AssetFactory(lesson=free, title="Setup checklist")
    blocked: list[str] = []

    def block(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route(PLAYER_SCRIPT, block)
    browser_sign_in(page, live_server, user)
    page.goto(f"/lessons/{free.pk}/")

    fallback = page.locator("[data-player-fallback]")
    fallback.wait_for(state="visible")
    assert blocked, "the page asked for the player script (and it was blocked)"
    assert "This video couldn't load" in fallback.inner_text()
    assert free.title in fallback.text_content()  # the poster names the lesson
    # The rest of the lesson still works: its notes, its files, marking it complete.
    assert page.locator(".lesson-body").inner_text().strip()
    with page.expect_download() as download:
        page.get_by_role("link", name="Setup checklist").click()
    assert download.value.suggested_filename
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_text("Lesson marked complete.").wait_for()
    assert_accessible(page, "lesson with the player fallback")

    # The script is reachable again: Retry fetches it, the player takes over and the poster goes away.
    page.unroute(PLAYER_SCRIPT)
    with page.expect_response(PLAYER_SCRIPT) as loaded:
        page.get_by_role("button", name="Retry").click()
    assert loaded.value.status == 200
    page.wait_for_function("() => !!window.customElements.get('mux-player')")
    assert page.locator("mux-player").evaluate("el => el.shadowRoot !== null")


def test_a_stream_that_cannot_load_shows_the_fallback(browser_page, live_server, course, user):
    # The player script loads from this site; Mux's stream host is unreachable (tests/conftest.py aborts it).
    page: Any = browser_page
    browser_sign_in(page, live_server, user)
    page.goto(f"/lessons/{course['free_lesson'].pk}/")
    page.wait_for_function("() => !!window.customElements.get('mux-player')")
    page.locator("[data-player-fallback]").wait_for(state="visible", timeout=15_000)
    assert page.get_by_role("button", name="Retry").is_visible()
