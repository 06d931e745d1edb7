"""The interactive transcript in Chromium: the cue being spoken is highlighted as the video plays, a click
or Enter on a cue seeks the player there, and a search hit's ?t= link starts the player at that second."""

from __future__ import annotations

from typing import Any

import pytest

from courses import services
from courses.models import PlaybackPolicy, VideoStatus
from tests.conftest import browser_sign_in
from tests.courses.factories import LessonFactory, ModuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUES = [
    {"start": 0.0, "end": 4.0, "text": "Welcome to the lesson."},
    {"start": 4.0, "end": 9.5, "text": "First we set up the database."},
    {"start": 65.25, "end": 70.0, "text": "Now the migrations run in CI."},
]


def test_transcript_follows_the_video_and_seeks_it(
    browser_page: Any, live_server: Any, subscriber: Any, mux_signing: Any
) -> None:
    page = browser_page
    lesson = LessonFactory(
        module=ModuleFactory(published=True),
        mux_playback_id="playbackbrowser1",
        mux_playback_policy=PlaybackPolicy.SIGNED,
        video_status=VideoStatus.READY,
        video_duration=300,
    )
    services.lesson_transcript_store(lesson=lesson, language="en", label="English", source="GENERATED", cues=CUES)
    browser_sign_in(page, live_server, subscriber)
    page.goto(f"/lessons/{lesson.pk}/")

    cues = page.locator("[data-transcript-cues] button")
    assert cues.count() == 3
    player = "document.querySelector('mux-player')"

    # Playing: the player reports its time; the cue being spoken is highlighted.
    page.evaluate(f"{player}.currentTime = 5; {player}.dispatchEvent(new Event('timeupdate'))")
    assert cues.nth(1).get_attribute("aria-current") == "true"
    assert cues.nth(0).get_attribute("aria-current") is None

    # A click on a cue seeks there.
    cues.nth(2).click()
    assert page.evaluate(f"{player}.currentTime") == 65.25
    assert cues.nth(2).get_attribute("aria-current") == "true"

    # Keyboard: Tab reaches the cues, Enter seeks.
    cues.nth(0).focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.start") == "4.000"
    page.keyboard.press("Enter")
    assert page.evaluate(f"{player}.currentTime") == 4.0

    # A transcript search hit links with ?t=: the player starts there.
    page.goto("/search/?q=migrations")
    page.locator(".search-hit__cue a").click()
    page.wait_for_url(f"**/lessons/{lesson.pk}/?t=65")
    assert page.locator("mux-player").get_attribute("start-time") == "65"
    page.get_by_text("Starting at 1:05.").wait_for()
