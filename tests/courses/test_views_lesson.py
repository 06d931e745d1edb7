"""The lesson page: access decision, player and tokens, paywall, preview, body, files, navigation."""

from __future__ import annotations

import base64
import re

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from analytics.buffer import events_buffered_flush
from analytics.models import Event
from billing.models import SubscriptionStatus
from courses.models import PlaybackPolicy
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import AssetFactory, LessonFactory, ModuleFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db

MUX_TEST_STREAM = "EcHgOK9coz5K4rjSwOkoE7Y7O01201YMIC200RI6lNxnhs"  # from Mux's player docs


def html(response) -> str:
    return response.content.decode()


def player_attrs(page: str) -> dict[str, str]:
    tag = re.search(r"<mux-player(.*?)></mux-player>", page, re.S)
    assert tag, "no <mux-player> on the page"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


@pytest.fixture
def signing_key(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    settings.MUX_SIGNING_KEY_ID = "signing-key-1"
    settings.MUX_SIGNING_PRIVATE_KEY = base64.b64encode(pem).decode()
    return key.public_key()


# --- The access decision --------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_with_next(client, course):
    lesson = course["free_lesson"]
    response = client.get(f"/lessons/{lesson.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/lessons/{lesson.pk}/"


def test_unknown_lesson_is_404(client, user):
    client.force_login(user)
    assert client.get("/lessons/doesnotexist0000000000000/").status_code == 404


@pytest.mark.parametrize("what", ["lesson", "module"])
def test_unpublished_content_is_404_to_learners_and_a_preview_to_staff(client, subscriber, admin_user, what):
    module = ModuleFactory(published=what != "module")
    lesson = LessonFactory(module=module, published=what != "lesson")
    client.force_login(subscriber)
    assert client.get(f"/lessons/{lesson.pk}/").status_code == 404
    assert not Event.objects.filter(user=subscriber).exists()

    client.force_login(admin_user)
    response = client.get(f"/lessons/{lesson.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert "banner--preview" in page and "<strong>Preview.</strong>" in page
    assert f"/admin/courses/lesson/{lesson.pk}/change/" in page


def test_published_lesson_has_no_preview_banner_for_staff(client, course, admin_user):
    client.force_login(admin_user)
    assert "banner--preview" not in html(client.get(f"/lessons/{course['lessons'][3].pk}/"))


def test_free_lesson_plays_its_public_playback_id_and_records_lesson_viewed(client, course, user, signing_key):
    lesson = course["free_lesson"]
    lesson.mux_playback_policy = PlaybackPolicy.PUBLIC
    lesson.save()
    client.force_login(user)
    response = client.get(f"/lessons/{lesson.pk}/")
    assert response.status_code == 200
    attrs = player_attrs(html(response))
    assert attrs["playback-id"] == lesson.mux_playback_id
    assert "playback-token" not in attrs and "thumbnail-token" not in attrs
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert attrs["data-start-event"] == "video_1_started"
    assert attrs["data-event-url"] == "/analytics/events/"
    assert attrs["data-position-url"] == f"/lessons/{lesson.pk}/position/"
    assert attrs["data-complete-url"] == f"/lessons/{lesson.pk}/complete/"
    assert attrs["metadata-video-title"] == lesson.title
    # Recorded through the buffer: in the table once the worker's flush has run (analytics/buffer.py).
    assert not Event.objects.filter(user=user).exists()
    assert events_buffered_flush() == 1
    event = Event.objects.get(user=user)
    assert event.event == "lesson_viewed"
    assert event.properties == {"lesson_id": lesson.pk, "module_id": lesson.module_id}


def test_locked_lesson_shows_the_paywall_with_both_plans_and_no_video(client, course, user, signing_key):
    lesson = course["lessons"][1]
    client.force_login(user)
    response = client.get(f"/lessons/{lesson.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert "data-paywall" in page and "<mux-player" not in page
    assert lesson.mux_playback_id not in page  # the playback id is never revealed before access
    forms = re.findall(r'<form method="post" action="/billing/checkout/">(.*?)</form>', page, re.S)
    assert len(forms) == 2
    assert all("csrfmiddlewaretoken" in form for form in forms)
    assert [re.search(r'name="plan" value="(\w+)"', form).group(1) for form in forms] == ["monthly", "annual"]
    assert "$49" in page and "$399" in page
    events = list(Event.objects.filter(user=user).values_list("event", "properties"))
    assert events == [("paywall_viewed", {"lesson_id": lesson.pk})]


@pytest.mark.parametrize(
    "status", [SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE]
)
def test_paid_lesson_plays_with_signed_tokens_for_members(client, course, signing_key, status):
    member = SubscriptionFactory(status=status).user
    lesson = course["lessons"][1]
    client.force_login(member)
    attrs = player_attrs(html(client.get(f"/lessons/{lesson.pk}/")))
    assert attrs["playback-id"] == lesson.mux_playback_id
    assert attrs["data-start-event"] == "video_started"
    for attribute, audience in [("playback-token", "v"), ("thumbnail-token", "t"), ("storyboard-token", "s")]:
        claims = jwt.decode(attrs[attribute], signing_key, algorithms=["RS256"], audience=audience)
        assert claims["sub"] == lesson.mux_playback_id
        assert jwt.get_unverified_header(attrs[attribute])["kid"] == "signing-key-1"


@pytest.mark.parametrize("status", [SubscriptionStatus.CANCELLED, SubscriptionStatus.INCOMPLETE])
def test_a_lapsed_or_incomplete_subscription_meets_the_paywall(client, course, signing_key, status):
    learner = SubscriptionFactory(status=status).user
    client.force_login(learner)
    page = html(client.get(f"/lessons/{course['lessons'][1].pk}/"))
    assert "data-paywall" in page and "playback-token" not in page


def test_access_override_and_staff_watch_paid_lessons(client, course, signing_key, admin_user):
    for viewer in (UserFactory(access_override=True), admin_user):
        client.force_login(viewer)
        assert "playback-token=" in html(client.get(f"/lessons/{course['lessons'][4].pk}/"))


def test_without_signing_keys_a_paid_lesson_says_video_unavailable(client, course, subscriber, settings):
    settings.MUX_SIGNING_KEY_ID = ""
    settings.MUX_SIGNING_PRIVATE_KEY = ""
    client.force_login(subscriber)
    response = client.get(f"/lessons/{course['lessons'][1].pk}/")
    assert response.status_code == 200
    page = html(response)
    assert "Video unavailable" in page and "<mux-player" not in page
    assert "Notes." in page  # the rest of the lesson still works


def test_a_free_lesson_uploaded_signed_gets_tokens_when_signing_is_configured(client, course, user, signing_key):
    lesson = course["free_lesson"]  # the factory's default policy is SIGNED
    client.force_login(user)
    attrs = player_attrs(html(client.get(f"/lessons/{lesson.pk}/")))
    assert jwt.decode(attrs["playback-token"], signing_key, algorithms=["RS256"], audience="v")["sub"] == (
        lesson.mux_playback_id
    )


def test_lesson_without_a_video_shows_a_placeholder(client, course, subscriber, signing_key):
    lesson = course["lessons"][2]
    lesson.mux_playback_id = None
    lesson.save()
    client.force_login(subscriber)
    page = html(client.get(f"/lessons/{lesson.pk}/"))
    assert "Video coming soon" in page and "<mux-player" not in page


def test_demo_playback_id_fills_in_only_for_a_free_lesson_without_video(client, course, subscriber, settings):
    settings.MUX_DEMO_PLAYBACK_ID = MUX_TEST_STREAM
    free, paid = course["lessons"][0], course["lessons"][1]
    for lesson in (free, paid):
        lesson.mux_playback_id = None
        lesson.save()
    client.force_login(subscriber)
    page = html(client.get(f"/lessons/{free.pk}/"))
    assert player_attrs(page)["playback-id"] == MUX_TEST_STREAM
    assert "public Mux test video" not in page  # the demo note is for staff only
    assert "Video coming soon" in html(client.get(f"/lessons/{paid.pk}/"))


def test_demo_note_shows_to_staff_only(client, course, admin_user, settings):
    settings.MUX_DEMO_PLAYBACK_ID = MUX_TEST_STREAM
    free = course["free_lesson"]
    free.mux_playback_id = None
    free.save()
    client.force_login(admin_user)
    assert "Staff note: this lesson has no upload of its own yet" in html(client.get(f"/lessons/{free.pk}/"))


def test_demo_course_test_streams_play_unsigned_for_members(client, course, subscriber, settings):
    # MUX_DEMO_PLAYBACK_IDS (local settings only) marks Mux's public test streams: they play without tokens.
    settings.MUX_DEMO_PLAYBACK_IDS = frozenset({MUX_TEST_STREAM})
    paid = course["lessons"][1]
    paid.mux_playback_id = MUX_TEST_STREAM
    paid.mux_playback_policy = PlaybackPolicy.PUBLIC
    paid.save()
    client.force_login(subscriber)
    attrs = player_attrs(html(client.get(f"/lessons/{paid.pk}/")))
    assert attrs["playback-id"] == MUX_TEST_STREAM and "playback-token" not in attrs


def test_mux_player_is_served_by_the_site_itself_not_a_cdn(client, course, user):
    client.force_login(user)
    page = html(client.get(f"/lessons/{course['free_lesson'].pk}/"))
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert "/static/vendor/mux-player/mux-player.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts  # no third-party origin at run time
    assert "<script>" not in page  # no inline scripts (the CSP stays tight)
    # The fallback is on the page, hidden until the player script or the stream fails.
    assert re.search(r"<div[^>]*data-player-fallback[^>]*hidden", page)
    assert "This video couldn&#x27;t load" in page or "This video couldn't load" in page


# --- Resume, body, files, navigation --------------------------------------------------------------


def test_the_player_resumes_at_the_saved_position(client, course, subscriber, signing_key):
    lesson = course["lessons"][1]
    progress = LessonProgressFactory(user=subscriber, lesson=lesson, completed=False, position_seconds=125)
    client.force_login(subscriber)
    assert player_attrs(html(client.get(f"/lessons/{lesson.pk}/")))["start-time"] == "125"

    progress.position_seconds = lesson.video_duration - 2  # at the credits: start again
    progress.save()
    assert "start-time" not in player_attrs(html(client.get(f"/lessons/{lesson.pk}/")))


def test_lesson_body_is_rendered_and_sanitised(client, course, user):
    lesson = course["free_lesson"]
    lesson.content = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Key ideas"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "<script>alert('x')</script>"},
                    {"type": "text", "text": "link", "marks": [{"type": "link", "attrs": {"href": "javascript:x()"}}]},
                ],
            },
        ],
    }
    lesson.save()
    client.force_login(user)
    page = html(client.get(f"/lessons/{lesson.pk}/"))
    body = page.split('<div class="lesson-body">')[1].split("</div>")[0]
    assert "<h2>Key ideas</h2>" in body
    assert "&lt;script&gt;" in body and "<script" not in body and "javascript:" not in body


def test_files_are_listed_with_access_checked_download_links(client, course, user):
    lesson = course["free_lesson"]
    first = AssetFactory(lesson=lesson, title="Checklist", file_name="checklist.md", order=1)
    second = AssetFactory(lesson=lesson, title="Slides", file_name="slides.pdf", order=0, file_size=2048)
    client.force_login(user)
    page = html(client.get(f"/lessons/{lesson.pk}/"))
    assert page.index("Slides") < page.index("Checklist")
    assert f'href="/assets/{first.pk}/download/"' in page and f'href="/assets/{second.pk}/download/"' in page
    assert "2.0\xa0KB" in page
    assert first.file.name not in page  # the storage key is never shown


def test_previous_and_next_cross_module_boundaries(client, course, subscriber, signing_key):
    lessons = course["lessons"]
    client.force_login(subscriber)
    page = html(client.get(f"/lessons/{lessons[3].pk}/"))  # first lesson of module 2
    assert re.search(rf'href="/lessons/{lessons[2].pk}/" rel="prev"', page)
    assert re.search(rf'href="/lessons/{lessons[4].pk}/" rel="next"', page)
    first = html(client.get(f"/lessons/{lessons[0].pk}/"))
    assert 'rel="prev"' not in first
    last = html(client.get(f"/lessons/{lessons[5].pk}/"))
    assert 'rel="next"' not in last


def test_the_sidebar_lists_the_module_with_ticks(client, course, subscriber, signing_key):
    lessons = course["lessons"]
    LessonProgressFactory(user=subscriber, lesson=lessons[0])
    client.force_login(subscriber)
    page = html(client.get(f"/lessons/{lessons[1].pk}/"))
    sidebar = page.split('class="lesson-sidebar"')[1]
    assert all(lesson.title in sidebar for lesson in lessons[:3])
    assert lessons[3].title not in sidebar
    assert sidebar.count("status-icon--done") == 1
    assert f'href="/lessons/{lessons[1].pk}/" aria-current="page"' in sidebar


def test_locks_on_the_free_lesson_page_follow_lesson_access(client, course, user, subscriber):
    free = course["free_lesson"]
    client.force_login(user)  # signed in, no membership: the free lesson plays, the rest of its module is locked
    page = html(client.get(f"/lessons/{free.pk}/"))
    sidebar = page.split('class="lesson-sidebar"')[1]
    assert sidebar.count("status-icon--locked") == 2
    assert "Next · members only" in page
    client.force_login(subscriber)
    page = html(client.get(f"/lessons/{free.pk}/"))
    assert "status-icon--locked" not in page and "members only" not in page


def test_the_complete_button_reflects_state_and_is_a_csrf_protected_form(client, course, user):
    lesson = course["free_lesson"]
    client.force_login(user)
    page = html(client.get(f"/lessons/{lesson.pk}/"))
    form = re.search(r"<form method=\"post\" class=\"complete-form\"(.*?)</form>", page, re.S).group(0)
    assert f'action="/lessons/{lesson.pk}/complete/"' in form and "csrfmiddlewaretoken" in form
    assert "Mark complete" in form

    LessonProgressFactory(user=user, lesson=lesson)
    page = html(client.get(f"/lessons/{lesson.pk}/"))
    form = re.search(r"<form method=\"post\" class=\"complete-form\"(.*?)</form>", page, re.S).group(0)
    assert f'action="/lessons/{lesson.pk}/uncomplete/"' in form and "Completed" in form


def test_lesson_page_answers_only_get(client, course, user):
    client.force_login(user)
    assert client.post(f"/lessons/{course['free_lesson'].pk}/").status_code == 405
