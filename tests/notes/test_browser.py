"""A note at the player's current time, then a click on it seeks the player there (Chromium, live server).

The Mux Player script comes from a CDN that is unreachable here; the test sets the element's currentTime
and fires the media events the player would, as tests/progress/test_browser.py does."""

import pytest

from notes.models import Note
from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_note_at_the_current_time_then_click_it_to_seek(browser_page, live_server, course, subscriber):
    page = browser_page
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    lesson = course["free_lesson"]  # public playback: the player renders without signing keys
    browser_sign_in(page, live_server, subscriber)
    page.goto(f"/lessons/{lesson.pk}/")

    page.evaluate(
        """() => { const p = document.querySelector('mux-player');
                   p.currentTime = 192.4; p.dispatchEvent(new Event('timeupdate')); }"""
    )
    note_at = page.get_by_role("button", name="Note at 03:12")
    note_at.wait_for()
    page.get_by_label("New note").fill("The key idea: <b>models first</b>")
    note_at.click()
    page.get_by_text("Note saved at 03:12.").wait_for()
    assert Note.objects.get().position_seconds == 192
    # Shown as text, in the list, without leaving the page (the video keeps playing).
    assert page.locator("[data-note] .note__body").inner_text() == "The key idea: <b>models first</b>"
    assert page.url.endswith(f"/lessons/{lesson.pk}/")

    page.evaluate("() => { document.querySelector('mux-player').currentTime = 5; }")
    page.get_by_role("button", name="Play from 03:12").click()
    assert page.evaluate("() => document.querySelector('mux-player').currentTime") == 192

    # After a reload the server-rendered note seeks the same way; /notes/ lists it.
    page.reload()
    page.evaluate("() => { document.querySelector('mux-player').currentTime = 0; }")
    page.get_by_role("button", name="Play from 03:12").click()
    assert page.evaluate("() => document.querySelector('mux-player').currentTime") == 192
    page.goto("/notes/")
    assert "models first" in page.locator("[data-note]").inner_text()
    # From /notes/, the note's time opens the lesson at that moment.
    page.get_by_role("link", name="03:12").click()
    page.wait_for_url(f"**/lessons/{lesson.pk}/#note-*")
    page.locator("[data-lesson-notes]").wait_for()
    assert page.evaluate("() => document.querySelector('mux-player').currentTime") == 192
