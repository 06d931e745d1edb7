"""The learning pages in a real browser (Chromium via Playwright, against the live server).

These tests block the Mux Player script (a static file from npm) so the element stays un-upgraded: they check
its attributes and drive the page script by dispatching the media events the player would fire.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from analytics.models import Event
from progress.models import LessonProgress
from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, live_server: Any, user: Any) -> None:
    browser_sign_in(page, live_server, user)
    # No player script: the page script is driven by hand (tests/courses/test_browser.py covers the player).
    page.route("**/static/vendor/mux-player/**", lambda route: route.abort())


def module_bar(page: Any, title: str) -> int:
    return int(page.get_by_role("progressbar", name=f"Progress in {title}").get_attribute("aria-valuenow"))


def test_free_lesson_page_carries_the_mux_player_with_its_playback_id(browser_page, live_server, course, user):
    free = course["free_lesson"]
    sign_in(browser_page, live_server, user)
    browser_page.goto(f"/lessons/{free.pk}/")
    player = browser_page.locator("mux-player")
    assert player.count() == 1
    assert player.get_attribute("playback-id") == free.mux_playback_id
    assert player.get_attribute("data-start-event") == "video_1_started"
    assert browser_page.get_by_role("heading", level=1).inner_text() == free.title
    assert browser_page.locator("script[data-mux-player-script]").get_attribute("src").startswith("/static/vendor/")


def test_a_locked_lesson_shows_the_paywall(browser_page, live_server, course, user):
    locked = course["lessons"][1]
    sign_in(browser_page, live_server, user)
    browser_page.goto(f"/lessons/{locked.pk}/")
    assert browser_page.get_by_role("heading", level=1).inner_text() == f"Unlock “{locked.title}”"
    assert browser_page.locator("mux-player").count() == 0
    assert browser_page.get_by_role("button", name="Subscribe monthly").is_visible()
    assert browser_page.get_by_role("button", name="Subscribe annual").is_visible()
    plans = browser_page.locator('form[action="/billing/checkout/"] input[name="plan"]')
    assert [plans.nth(i).get_attribute("value") for i in range(plans.count())] == ["monthly", "annual"]
    assert Event.objects.filter(user=user, event="paywall_viewed").count() == 1


def test_mark_complete_moves_the_dashboard_bar(browser_page, live_server, course, subscriber):
    module = course["modules"][0]
    lesson = course["lessons"][1]
    sign_in(browser_page, live_server, subscriber)
    browser_page.goto("/dashboard/")
    assert module_bar(browser_page, module.title) == 0

    browser_page.goto(f"/lessons/{lesson.pk}/")
    browser_page.get_by_role("button", name="Mark complete").click()
    # The script saves it without leaving the page and flips the button.
    browser_page.get_by_text("Lesson marked complete.").wait_for()
    assert browser_page.url.endswith(f"/lessons/{lesson.pk}/")
    assert "Completed" in browser_page.locator("[data-complete-button]").inner_text()
    assert LessonProgress.objects.get(user=subscriber, lesson=lesson).completed

    browser_page.goto("/dashboard/")
    assert module_bar(browser_page, module.title) == 33
    assert browser_page.locator("[data-overall-percent]").get_attribute("data-overall-percent") == "17"

    # And back: un-completing moves it down again.
    browser_page.goto(f"/lessons/{lesson.pk}/")
    browser_page.locator("[data-complete-button]").click()
    browser_page.get_by_text("Lesson marked not complete.").wait_for()
    browser_page.goto("/dashboard/")
    assert module_bar(browser_page, module.title) == 0


def test_mark_complete_works_without_javascript(browser_page, live_server, course, subscriber):
    context = browser_page.context.browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, subscriber)
        lesson = course["lessons"][2]
        page.goto(f"/lessons/{lesson.pk}/")
        page.get_by_role("button", name="Mark complete").click()
        page.wait_for_url(f"**/lessons/{lesson.pk}/")
        assert page.get_by_text("Lesson marked complete.").is_visible()
        assert LessonProgress.objects.get(user=subscriber, lesson=lesson).completed
    finally:
        context.close()


def test_player_script_reports_start_position_and_completion(browser_page, live_server, course, user):
    free = course["free_lesson"]
    sign_in(browser_page, live_server, user)
    browser_page.goto(f"/lessons/{free.pk}/")
    player = "document.querySelector('mux-player')"

    # First play: the start event goes to the analytics beacon with the CSRF header.
    with browser_page.expect_request("**/analytics/events/") as beacon:
        browser_page.evaluate(f"{player}.dispatchEvent(new Event('play'))")
    request = beacon.value
    assert request.method == "POST"
    assert json.loads(request.post_data) == {"event": "video_1_started", "properties": {"lesson_id": free.pk}}
    assert request.headers["x-csrftoken"]
    assert request.response().status == 204  # the analytics beacon stored it
    assert Event.objects.filter(user=user, event="video_1_started", properties={"lesson_id": free.pk}).count() == 1

    # Pause: the position is saved (the un-upgraded element stands in for the player's currentTime).
    with browser_page.expect_response(f"**/lessons/{free.pk}/position/") as saved:
        browser_page.evaluate(f"{player}.currentTime = 42.6; {player}.dispatchEvent(new Event('pause'))")
    assert saved.value.status == 200
    assert LessonProgress.objects.get(user=user, lesson=free).position_seconds == 42

    # End of the video: the lesson completes through the progress endpoint, which records video_1_completed.
    with browser_page.expect_response(f"**/lessons/{free.pk}/complete/") as completed:
        browser_page.evaluate(f"{player}.ended = true; {player}.dispatchEvent(new Event('ended'))")
    assert completed.value.status == 200
    browser_page.get_by_text("Lesson marked complete.").wait_for()
    row = LessonProgress.objects.get(user=user, lesson=free)
    assert row.completed and row.video_completed_at is not None and row.position_seconds == 0
    assert Event.objects.filter(user=user, event="video_1_completed").count() == 1

    # Reloaded, the page resumes nowhere (finished) and shows the lesson as completed.
    browser_page.reload()
    assert browser_page.locator("mux-player").get_attribute("start-time") is None
    assert "Completed" in browser_page.locator("[data-complete-button]").inner_text()
